# RetinaNet + FPN with a PyramidTNT-S backbone (the paper's upsampled detection pyramid), COCO
# 2017, 1x schedule, the paper's optimizer (AdamW, lr 1e-4, weight decay 0.05).
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: ../_base_/backbones/pyramid_tnt.py).
_base_ = ['../_base_/recipes/retinanet_fpn_1x_coco.py', '../_base_/backbones/pyramid_tnt.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.ptnt_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[256, 512, 512]))
# the paper's optimizer in place of the recipe's SGD
optim_wrapper = dict(
    optimizer=dict(_base_.ptnt_det_optimizer, _delete_=True), paramwise_cfg=_base_.paramwise_cfg)
recipe = _base_.ptnt_det_recipe
