# RetinaNet + FPN with a Pyramid ViG-Ti backbone; otherwise as retinanet_pvig_s_coco.py.
_base_ = './retinanet_pvig_s_coco.py'

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(backbone=dict(arch='ti'), neck=dict(in_channels=[96, 240, 384]))
