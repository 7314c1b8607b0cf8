# UperNet with an isotropic ViG-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 4/8/16/32 for the heads of upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = [
    './upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/vig-s_simple-pyramid.py'
]

model = dict(
    backbone={{_base_.vig_backbone}},
    neck=dict(type='mmghost.SimplePyramid', in_channels=320, out_channels=256),
    decode_head=dict(in_channels=[256, 256, 256, 256]),
    auxiliary_head=dict(in_channels=256))
