# Mask R-CNN + FPN with a TinyNet-A backbone; otherwise as mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/tinynet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=_base_.tinynet_backbone,  # strides 4/8/16/32
    # = backbone.out_channels
    neck=dict(in_channels=[24, 40, 112, 1280]))
