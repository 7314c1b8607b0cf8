# Mask R-CNN + FPN with a Pyramid ViG-M backbone; otherwise as mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = './mask-rcnn_pvig-s_fpn_1x_coco.py'

# neck in_channels = backbone.out_channels (strides 4/8/16/32)
model = dict(backbone=dict(arch='m'), neck=dict(in_channels=[96, 192, 384, 768]))
