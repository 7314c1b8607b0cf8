# UperNet + auxiliary FCN head with a Wave-MLP-S backbone (upstream's detection form: a fresh
# norm layer on every output, strides 4/8/16/32); otherwise as
# upernet_pvig-s_8xb2-160k_ade20k-512x512.py (ADE20K 160k, AdamW).
_base_ = ['./upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/wavemlp.py']

data_preprocessor = {{_base_.wavemlp_mean_std}}
model = dict(
    data_preprocessor=data_preprocessor,
    backbone={{_base_.wavemlp_backbone_seg}},
    # = backbone.out_channels of Wave-MLP-S (the auxiliary head reads stage 2)
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))
optim_wrapper = dict(paramwise_cfg={{_base_.wavemlp_paramwise_cfg}})
