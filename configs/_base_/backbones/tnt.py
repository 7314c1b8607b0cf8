# TNT-S (mmghost.TNT, stride 16, 384 channels) for the det / seg configs: mmghost.SimplePyramid in
# front of each neck rescales its last block.
tnt_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/tnt/tnt_s_81.5.pth.tar'  # noqa: E501
tnt_backbone = dict(
    type='mmghost.TNT',
    arch='s',
    out_indices=(-1, ),  # the last block, after the final LayerNorm
    final_norm=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=tnt_pretrained))

# trained on RGB scaled to [-1, 1] (timm default_cfg mean = std = 0.5)
img_norm = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
# no weight decay on the class token, position embeddings and LayerNorm
paramwise_cfg = dict(
    norm_decay_mult=0.,
    custom_keys={'pos_embed': dict(decay_mult=0.), 'cls_token': dict(decay_mult=0.),
                 'relative_pos': dict(decay_mult=0.)})
