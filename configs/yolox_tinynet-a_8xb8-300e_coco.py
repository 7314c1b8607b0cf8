# YOLOX with a TinyNet-A backbone; otherwise as yolox_pvig-s_8xb8-300e_coco.py.
_base_ = ['./yolox_pvig-s_8xb8-300e_coco.py', './_base_/models/tinynet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=dict(_base_.tinynet_backbone, out_indices=(1, 2, 4)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 4)
    neck=dict(in_channels=[40, 112, 1280]))
