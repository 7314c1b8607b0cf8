# UperNet + auxiliary FCN head with a G-Ghost RegNetX-4.0GF backbone, ADE20K 512x512, 160k
# iterations.
_base_ = [
    '../_base_/recipes/upernet_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/g_ghost_regnet.py'
]

model = dict(
    data_preprocessor=_base_.img_norm,
    # strides 4/8/16/32; BatchNorm trains, as in every UperNet here
    backbone=dict(_base_.g_ghost_backbone, norm_eval=False),
    # = backbone.out_channels for out_indices (0, 1, 2, 3); the auxiliary head reads the
    # stride-16 output
    decode_head=dict(in_channels=[80, 240, 560, 1360]),
    auxiliary_head=dict(in_channels=560))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
