# UperNet with a TinyNet-A backbone; otherwise as upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/tinynet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    backbone=dict(_base_.tinynet_backbone, norm_eval=False),  # strides 4/8/16/32
    # = backbone.out_channels (the auxiliary head reads stage 2)
    decode_head=dict(in_channels=[24, 40, 112, 1280]),
    auxiliary_head=dict(in_channels=112))
