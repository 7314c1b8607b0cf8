# YOLOX with a Pyramid ViG-Ti backbone; otherwise as yolox_pvig-s_8xb8-300e_coco.py.
_base_ = './yolox_pvig-s_8xb8-300e_coco.py'

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(backbone=dict(arch='ti'), neck=dict(in_channels=[96, 240, 384]))
