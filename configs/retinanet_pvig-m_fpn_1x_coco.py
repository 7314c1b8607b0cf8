# RetinaNet + FPN with a Pyramid ViG-M backbone; otherwise as retinanet_pvig_s_coco.py.
_base_ = './retinanet_pvig_s_coco.py'

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(backbone=dict(arch='m'), neck=dict(in_channels=[192, 384, 768]))
