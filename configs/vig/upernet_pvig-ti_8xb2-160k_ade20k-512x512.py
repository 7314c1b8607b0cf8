# UperNet with a Pyramid ViG-Ti backbone; otherwise as upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = './upernet_pvig-s_8xb2-160k_ade20k-512x512.py'
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_ti_78.5.pth.tar'  # noqa: E501

# head in_channels = backbone.out_channels (strides 4/8/16/32; the auxiliary head reads stage 2)
model = dict(
    backbone=dict(arch='ti', init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(in_channels=[48, 96, 240, 384]),
    auxiliary_head=dict(in_channels=240))
