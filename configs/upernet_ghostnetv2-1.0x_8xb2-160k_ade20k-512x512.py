# GhostNetV2 1.0x (DFC attention, channels as GhostNet 1.0x) in place of the GhostNet 1.0x of
# upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py']
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/GhostNetV2/ck_ghostnetv2_10.pth.tar'  # noqa: E501

model = dict(
    backbone=dict(
        type='mmghost.GhostNetV2',
        # official ImageNet-1k weights, downloaded once into the torch hub cache and converted
        # on the fly (offline use and other files: README, "Pretrained weights")
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
