# UperNet + auxiliary FCN head with a PyramidTNT-S backbone (the paper's upsampled detection
# pyramid), ADE20K 512x512, 160k iterations.
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: ../_base_/backbones/pyramid_tnt.py).
_base_ = [
    '../_base_/recipes/upernet_swin-adamw_8xb2-160k_ade20k-512x512.py',
    '../_base_/backbones/pyramid_tnt.py'
]

model = dict(
    data_preprocessor=_base_.img_norm,
    # strides 4/8/16/32; BatchNorm trains, as in every UperNet here
    backbone=dict(_base_.ptnt_backbone, norm_eval=False),
    # = backbone.out_channels for out_indices (0, 1, 2, 3); the auxiliary head reads the
    # stride-16 output
    decode_head=dict(in_channels=[128, 256, 512, 512]),
    auxiliary_head=dict(in_channels=512))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
