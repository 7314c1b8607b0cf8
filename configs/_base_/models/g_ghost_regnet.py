# G-Ghost RegNetX-4.0GF as `g_ghost_backbone`, for the G-Ghost det and seg configs, which
# inherit a Pyramid ViG config too: `_delete_` makes it replace the inherited backbone. They use
# it as `dict(_base_.g_ghost_backbone, ...)` with their own changes.
g_ghost_backbone = dict(
    _delete_=True,
    type='mmghost.GGhostRegNet',
    arch='040',
    out_indices=(0, 1, 2, 3),  # strides 4/8/16/32
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,
    # ImageNet weights: python tools/model_converters/official2mmghost.py \
    #     g_ghost_regnet_4.0g_78.6.pth checkpoints/g-ghost-040.pth --model g_ghost_regnetx_040
    # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/g-ghost-040.pth'),
    init_cfg=None)
# G-Ghost RegNet is trained on RGB with the ImageNet mean / std
imagenet_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
