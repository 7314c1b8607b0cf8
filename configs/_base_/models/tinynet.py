# TinyNet-A as `tinynet_backbone`, for the TinyNet det and seg configs, which inherit a Pyramid
# ViG config too: `_delete_` makes it replace the inherited backbone. They use it as
# `dict(_base_.tinynet_backbone, ...)` with their own changes.
tinynet_pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/v1.2.0/tinynet_a.pth'  # noqa: E501
tinynet_backbone = dict(
    _delete_=True,
    type='mmghost.TinyNet',
    arch='a',
    # strides 4/8/16/32: the stride-4/8/16 stage ends and the final 1x1 conv (1280 channels,
    # upstream conv_head) after the stride-32 stage, so every pretrained layer is used
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=tinynet_pretrained))
# TinyNet is trained on RGB with the ImageNet mean / std
imagenet_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
