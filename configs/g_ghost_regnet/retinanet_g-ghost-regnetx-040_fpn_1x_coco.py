# RetinaNet + FPN with a G-Ghost RegNetX-4.0GF backbone, COCO 2017, 1x schedule.
_base_ = ['../_base_/recipes/retinanet_fpn_1x_coco.py', '../_base_/backbones/g_ghost_regnet.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.g_ghost_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[240, 560, 1360]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
