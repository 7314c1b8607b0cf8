# UperNet + auxiliary FCN head with a GhostNet 1.0x backbone, ADE20K 512x512, 160k iterations.
_base_ = [
    '../_base_/recipes/upernet_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/ghostnet.py'
]

model = dict(
    data_preprocessor=_base_.img_norm,
    # strides 4/8/16/32; BatchNorm trains, as in every UperNet here
    backbone=dict(_base_.ghostnet_backbone, norm_eval=False),
    # = backbone.out_channels for out_indices (0, 1, 2, 4); the auxiliary head reads the
    # stride-16 output
    decode_head=dict(in_channels=[24, 40, 112, 960]),
    auxiliary_head=dict(in_channels=112))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
