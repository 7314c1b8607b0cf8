# Mask R-CNN + FPN with a G-Ghost RegNetX-4.0GF backbone; otherwise as mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/g_ghost_regnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=_base_.g_ghost_backbone,  # strides 4/8/16/32
    # = backbone.out_channels
    neck=dict(in_channels=[80, 240, 560, 1360]))
