# G-Ghost RegNetX-4.0GF as `g_ghost_backbone`, for the G-Ghost det and seg configs, which
# inherit a Pyramid ViG config too: `_delete_` makes it replace the inherited backbone. They use
# it as `dict(_base_.g_ghost_backbone, ...)` with their own changes.
g_ghost_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/g_ghost_regnet/g_ghost_regnet_4.0g_78.6.pth'  # noqa: E501
g_ghost_backbone = dict(
    _delete_=True,
    type='mmghost.GGhostRegNet',
    arch='040',
    out_indices=(0, 1, 2, 3),  # strides 4/8/16/32
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=g_ghost_pretrained))
# G-Ghost RegNet is trained on RGB with the ImageNet mean / std
imagenet_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
