# Mask R-CNN + FPN with a TinyNet-A backbone, COCO 2017, 1x schedule.
_base_ = ['../_base_/recipes/mask-rcnn_fpn_1x_coco.py', '../_base_/backbones/tinynet.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.tinynet_backbone,  # strides 4/8/16/32
    # = backbone.out_channels for out_indices (0, 1, 2, 4)
    neck=dict(in_channels=[24, 40, 112, 1280]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
