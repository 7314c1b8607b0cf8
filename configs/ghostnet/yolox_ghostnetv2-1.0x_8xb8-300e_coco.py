# GhostNetV2 1.0x (DFC attention, the channels of GhostNet 1.0x) in place of the GhostNet 1.0x of
# yolox_ghostnet-1.0x_8xb8-300e_coco.py.
_base_ = './yolox_ghostnet-1.0x_8xb8-300e_coco.py'

# official ImageNet-1k weights of GhostNetV2 1.0x (../_base_/backbones/ghostnet.py)
model = dict(
    backbone=dict(type='mmghost.GhostNetV2',
                  init_cfg=dict(checkpoint=_base_.ghostnetv2_pretrained)))
