# RetinaNet + FPN with a Pyramid ViG-B backbone; otherwise as retinanet_pvig-s_fpn_1x_coco.py.
_base_ = './retinanet_pvig-s_fpn_1x_coco.py'
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_b_83.66.pth.tar'  # noqa: E501

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(
    backbone=dict(arch='b', init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[256, 512, 1024]))
