# YOLOX with a PyramidTNT-S backbone (the paper's upsampled detection pyramid), COCO 2017, 300
# epochs.
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: ../_base_/backbones/pyramid_tnt.py).
_base_ = ['../_base_/recipes/yolox_8xb8-300e_coco.py', '../_base_/backbones/pyramid_tnt.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.ptnt_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[256, 512, 512]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
