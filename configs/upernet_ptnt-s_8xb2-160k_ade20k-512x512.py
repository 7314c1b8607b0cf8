# UperNet with a PyramidTNT-S backbone (all four stages upsampled: strides 4/8/16/32) for the
# heads of upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: see _base_/models/tnt.py).
_base_ = ['./upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/tnt.py']

model = dict(
    data_preprocessor={{_base_.tnt_mean_std}},
    backbone={{_base_.ptnt_backbone_seg}},
    # = backbone.out_channels of PyramidTNT-S (the auxiliary head reads stage 3)
    decode_head=dict(in_channels=[128, 256, 512, 512]),
    auxiliary_head=dict(in_channels=512))
optim_wrapper = dict(paramwise_cfg={{_base_.tnt_paramwise_cfg}})
