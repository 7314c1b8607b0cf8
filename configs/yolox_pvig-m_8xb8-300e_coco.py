# YOLOX with a Pyramid ViG-M backbone; otherwise as yolox_pvig-s_8xb8-300e_coco.py.
_base_ = './yolox_pvig-s_8xb8-300e_coco.py'

# neck in_channels = backbone.out_channels (strides 8/16/32)
model = dict(backbone=dict(arch='m'), neck=dict(in_channels=[192, 384, 768]))
