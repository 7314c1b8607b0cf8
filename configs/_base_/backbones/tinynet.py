# TinyNet-A (mmghost.TinyNet) for the det / seg configs: each config picks its outputs, e.g.
# `backbone=dict(_base_.tinynet_backbone, out_indices=(1, 2, 4))`.

# strides 4/8/16/32 (channels 24/40/112/1280): the stride-4/8/16 stage ends and the final 1x1
# conv (upstream conv_head) after the stride-32 stage, so every pretrained layer is used
tinynet_pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/v1.2.0/tinynet_a.pth'  # noqa: E501
tinynet_backbone = dict(
    type='mmghost.TinyNet',
    arch='a',
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=tinynet_pretrained))

# trained on RGB with the ImageNet mean / std
img_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
# no weight decay on BatchNorm
paramwise_cfg = dict(norm_decay_mult=0.)
