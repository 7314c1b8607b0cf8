# The GhostNet backbones (mmghost.GhostNet, mmghost.GhostNetV2) for the det / seg configs: each
# config picks its outputs, e.g. `backbone=dict(_base_.ghostnet_backbone, out_indices=(1, 2, 4))`.

# GhostNet 1.0x, strides 4/8/16/32 (channels 24/40/112/960): the stride-4/8/16 stage ends and the
# final 1x1 ConvBnAct (upstream blocks[9]) after the stride-32 stage, so every pretrained layer
# is used
ghostnet_pretrained = 'https://github.com/huawei-noah/CV-backbones/releases/download/ghostnet_pth/ghostnet_1x.pth'  # noqa: E501
ghostnet_backbone = dict(
    type='mmghost.GhostNet',
    arch='1.0x',
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,  # upstream trains without stochastic depth
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=ghostnet_pretrained))

# GhostNetV2 1.0x: GhostNet 1.0x with DFC attention and the same channels, so its configs change
# only `type='mmghost.GhostNetV2'` and the checkpoint
ghostnetv2_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/GhostNetV2/ck_ghostnetv2_10.pth.tar'  # noqa: E501

# trained on RGB with the ImageNet mean / std
img_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
# no weight decay on BatchNorm
paramwise_cfg = dict(norm_decay_mult=0.)
