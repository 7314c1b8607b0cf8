# UperNet with an AugViT-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 4/8/16/32 for the heads of upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
# The backbone starts from random init: upstream released no AugViT weights.
_base_ = [
    './upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/augvit-s_simple-pyramid.py'
]

model = dict(
    data_preprocessor={{_base_.augvit_mean_std}},
    backbone={{_base_.augvit_backbone}},
    # in_channels = backbone.out_channels (384)
    neck=dict(type='mmghost.SimplePyramid', in_channels=384, out_channels=256),
    decode_head=dict(in_channels=[256, 256, 256, 256]),
    auxiliary_head=dict(in_channels=256))  # in_index 2: the stride-16 pyramid level
optim_wrapper = dict(paramwise_cfg={{_base_.augvit_paramwise_cfg}})
