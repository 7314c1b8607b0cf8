# UperNet + auxiliary FCN head with an AugViT-S backbone (stride 16), ADE20K 512x512, 160k
# iterations.
# ViTDet's simple pyramid turns its stride-16 map into the neck's strides.
# The backbone starts from random init: upstream released no AugViT weights.
_base_ = [
    '../_base_/recipes/upernet_swin-adamw_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/augvit.py'
]

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.augvit_backbone,
    # mmghost.SimplePyramid: in_channels = backbone.out_channels (384)
    neck=dict(_base_.simple_pyramid_neck, in_channels=384),
    decode_head=dict(in_channels=[256, 256, 256, 256]),
    auxiliary_head=dict(in_channels=256))  # in_index 2: the stride-16 pyramid level
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
