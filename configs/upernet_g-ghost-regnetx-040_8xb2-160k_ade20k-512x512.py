# UperNet with a G-Ghost RegNetX-4.0GF backbone; otherwise as upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/g_ghost_regnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=dict(_base_.g_ghost_backbone, norm_eval=False),  # strides 4/8/16/32
    # = backbone.out_channels (the auxiliary head reads stage 2)
    decode_head=dict(in_channels=[80, 240, 560, 1360]),
    auxiliary_head=dict(in_channels=560))
