# The Vision GNN backbones (mmghost.PyramidViG, mmghost.ViG) for the det / seg configs: each
# config picks its outputs, e.g. `backbone=dict(_base_.pvig_backbone, out_indices=(1, 2, 3))`.
# Variants change `arch` and the checkpoint (configs/vig/README.md).

# Pyramid ViG-S, strides 4/8/16/32 (channels 80/160/400/640)
pvig_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_s_82.1.pth.tar'  # noqa: E501
pvig_backbone = dict(
    type='mmghost.PyramidViG',
    arch='s',
    out_indices=(0, 1, 2, 3),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=pvig_pretrained))

# isotropic ViG-S (stride 16, 320 channels): mmghost.SimplePyramid in front of the neck rescales
# its last block
vig_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/vig/vig_s_80.6.pth'  # noqa: E501
vig_backbone = dict(
    type='mmghost.ViG',
    arch='s',
    out_indices=(-1, ),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    init_cfg=dict(type='Pretrained', checkpoint=vig_pretrained))

# Vision GNN is trained on RGB scaled to [-1, 1] (timm default_cfg mean = std = 0.5)
img_norm = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
# no weight decay on the norm layers and the position embedding
paramwise_cfg = dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)})
