# GhostNet 1.0x as `ghostnet_backbone`, for the GhostNet / GhostNetV2 det and seg configs, which
# inherit a Pyramid ViG config too: `_delete_` makes it replace the inherited backbone. They
# use it as `dict(_base_.ghostnet_backbone, ...)` with their own changes.
ghostnet_pretrained = 'https://github.com/huawei-noah/CV-backbones/releases/download/ghostnet_pth/ghostnet_1x.pth'  # noqa: E501
ghostnet_backbone = dict(
    _delete_=True,
    type='mmghost.GhostNet',
    arch='1.0x',
    # strides 4/8/16/32: the stride-4/8/16 stage ends and the final 1x1 ConvBnAct (960
    # channels, upstream blocks[9]) after the stride-32 stage, so every pretrained layer is used
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,  # upstream trains without stochastic depth
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=ghostnet_pretrained))
# GhostNet / GhostNetV2 are trained on RGB with the ImageNet mean / std
imagenet_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
