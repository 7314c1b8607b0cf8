# YOLOX with a GhostNet 1.0x backbone, COCO 2017, 300 epochs; PAFPN, head, SGD recipe and data
# as yolox_pvig-s_8xb8-300e_coco.py.
_base_ = ['./yolox_pvig-s_8xb8-300e_coco.py', './_base_/models/ghostnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=dict(_base_.ghostnet_backbone, out_indices=(1, 2, 4)),  # strides 8/16/32
    # = backbone.out_channels of GhostNet 1.0x for out_indices (1, 2, 4)
    neck=dict(in_channels=[40, 112, 960]))
