# RetinaNet + FPN with a Pyramid ViG-M backbone; otherwise as retinanet_pvig-s_fpn_1x_coco.py.
_base_ = './retinanet_pvig-s_fpn_1x_coco.py'
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_m_83.1.pth.tar'  # noqa: E501

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(
    backbone=dict(arch='m', init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[192, 384, 768]))
