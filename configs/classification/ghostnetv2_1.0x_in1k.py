# GhostNetV2 1.0x with its upstream head (that of GhostNet); otherwise as ghostnet_1.0x_in1k.py
# (ghostnetv2_pytorch/train.py evaluates with timm's defaults: Resize 256 bilinear, crop 224,
# ImageNet mean/std). Official weights: official2mmghost.py ck_ghostnetv2_10.pth.tar DST
# --model ghostnetv2_1.0x --classifier (timm's ghostnetv2_100: add --timm).
_base_ = './ghostnet_1.0x_in1k.py'

model = dict(backbone=dict(type='mmghost.GhostNetV2'))
