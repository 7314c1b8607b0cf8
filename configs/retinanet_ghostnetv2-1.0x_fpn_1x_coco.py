# GhostNetV2 1.0x (DFC attention, channels as GhostNet 1.0x) in place of the GhostNet 1.0x of
# retinanet_ghostnet-1.0x_fpn_1x_coco.py.
_base_ = ['./retinanet_ghostnet-1.0x_fpn_1x_coco.py']
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/GhostNetV2/ck_ghostnetv2_10.pth.tar'  # noqa: E501

model = dict(
    backbone=dict(
        type='mmghost.GhostNetV2',
        # official ImageNet-1k weights, downloaded once into the torch hub cache and converted
        # on the fly (offline use and other files: README, "Pretrained weights")
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
