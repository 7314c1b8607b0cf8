# AugViT-S (mmghost.AugViT, mode circulant2: two block-circulant augmented shortcuts per residual;
# stride 16, 384 channels) for the det / seg configs: mmghost.SimplePyramid in front of each neck
# rescales its last block.
_base_ = '../families/augvit.py'

augvit_backbone = dict(
    type='mmghost.AugViT',
    arch='s',
    shortcut_mode='circulant2',
    out_indices=(-1, ),  # the last block, after the final LayerNorm
    final_norm=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # Random init: upstream released no AugViT weights. For your own upstream-format
    # (augvit_small_circulant2) checkpoint: init_cfg=dict(type='Pretrained', checkpoint=PATH)
    init_cfg=None)
