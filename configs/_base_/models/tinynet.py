# TinyNet-A as `tinynet_backbone`, for the TinyNet det and seg configs, which inherit a Pyramid
# ViG config too: `_delete_` makes it replace the inherited backbone. They use it as
# `dict(_base_.tinynet_backbone, ...)` with their own changes.
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
    # ImageNet weights: python tools/model_converters/official2mmghost.py \
    #     tinynet_a.pth checkpoints/tinynet-a.pth --model tinynet_a
    # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/tinynet-a.pth'),
    init_cfg=None)
# TinyNet is trained on RGB with the ImageNet mean / std
imagenet_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
