# GhostNetV2 1.0x (DFC attention, the channels of GhostNet 1.0x) in place of the GhostNet 1.0x of
# upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py.
_base_ = './upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py'

# official ImageNet-1k weights of GhostNetV2 1.0x (../_base_/backbones/ghostnet.py)
model = dict(
    backbone=dict(type='mmghost.GhostNetV2',
                  init_cfg=dict(checkpoint=_base_.ghostnetv2_pretrained)))
