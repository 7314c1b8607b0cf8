# YOLOX with a Pyramid ViG-S backbone, COCO 2017, 300 epochs.
_base_ = ['../_base_/recipes/yolox_8xb8-300e_coco.py', '../_base_/backbones/vig.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.pvig_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[160, 400, 640]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
