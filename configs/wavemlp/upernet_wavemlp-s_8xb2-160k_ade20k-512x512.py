# UperNet + auxiliary FCN head with a Wave-MLP-S backbone (upstream's detection form: a fresh norm
# layer on every output), ADE20K 512x512, 160k iterations.
_base_ = [
    '../_base_/recipes/upernet_swin-adamw_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/wavemlp.py'
]

model = dict(
    data_preprocessor=_base_.img_norm,
    # strides 4/8/16/32; BatchNorm trains, as in every UperNet here
    backbone=dict(_base_.wavemlp_backbone, norm_eval=False),
    # = backbone.out_channels for out_indices (0, 1, 2, 3); the auxiliary head reads the
    # stride-16 output
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
