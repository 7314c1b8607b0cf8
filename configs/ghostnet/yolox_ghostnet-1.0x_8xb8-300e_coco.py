# YOLOX with a GhostNet 1.0x backbone, COCO 2017, 300 epochs.
_base_ = ['../_base_/recipes/yolox_8xb8-300e_coco.py', '../_base_/backbones/ghostnet.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.ghostnet_backbone, out_indices=(1, 2, 4)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 4)
    neck=dict(in_channels=[40, 112, 960]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
