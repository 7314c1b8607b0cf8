# Mask R-CNN + FPN with a GhostNet 1.0x backbone, COCO 2017 instance segmentation, 1x schedule;
# FPN, AdamW and data as mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/ghostnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=_base_.ghostnet_backbone,  # strides 4/8/16/32
    # = backbone.out_channels of GhostNet 1.0x for out_indices (0, 1, 2, 4)
    neck=dict(in_channels=[24, 40, 112, 960]))
