# GhostNetV2 1.0x with its upstream head (that of GhostNet); otherwise as ghostnet_1.0x_in1k.py
# (ghostnetv2_pytorch/train.py evaluates with timm's defaults: Resize 256 bilinear, crop 224,
# ImageNet mean/std). Official weights (converted on the fly):
#   python tools/test.py configs/ghostnet/ghostnetv2_1.0x_in1k.py \
#       https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/GhostNetV2/ck_ghostnetv2_10.pth.tar
_base_ = './ghostnet_1.0x_in1k.py'

model = dict(backbone=dict(type='mmghost.GhostNetV2'))
