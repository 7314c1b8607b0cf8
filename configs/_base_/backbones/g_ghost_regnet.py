# G-Ghost RegNetX-4.0GF (mmghost.GGhostRegNet) for the det / seg configs: each config picks its
# outputs, e.g. `backbone=dict(_base_.g_ghost_backbone, out_indices=(1, 2, 3))`.

# strides 4/8/16/32 (channels 80/240/560/1360)
g_ghost_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/g_ghost_regnet/g_ghost_regnet_4.0g_78.6.pth'  # noqa: E501
g_ghost_backbone = dict(
    type='mmghost.GGhostRegNet',
    arch='040',
    out_indices=(0, 1, 2, 3),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=g_ghost_pretrained))

# trained on RGB with the ImageNet mean / std
img_norm = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
# no weight decay on BatchNorm
paramwise_cfg = dict(norm_decay_mult=0.)
