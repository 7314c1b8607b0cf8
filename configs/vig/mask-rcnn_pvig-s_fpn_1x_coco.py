# Mask R-CNN + FPN with a Pyramid ViG-S backbone, COCO 2017, 1x schedule.
_base_ = ['../_base_/recipes/mask-rcnn_fpn_pvt-adamw_1x_coco.py', '../_base_/backbones/vig.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.pvig_backbone,  # strides 4/8/16/32
    # = backbone.out_channels for out_indices (0, 1, 2, 3)
    neck=dict(in_channels=[80, 160, 400, 640]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
