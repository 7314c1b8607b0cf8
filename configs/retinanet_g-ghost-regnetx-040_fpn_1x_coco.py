# RetinaNet + FPN with a G-Ghost RegNetX-4.0GF backbone; otherwise as retinanet_pvig_s_coco.py.
_base_ = ['./retinanet_pvig_s_coco.py', './_base_/models/g_ghost_regnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=dict(_base_.g_ghost_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[240, 560, 1360]))
