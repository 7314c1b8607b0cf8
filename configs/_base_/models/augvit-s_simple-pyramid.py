# AugViT-S (mode circulant2: two block-circulant augmented shortcuts per residual; stride 16,
# 384 channels) as `augvit_backbone`, for configs that inherit a Pyramid ViG config too and set
# `model.backbone={{_base_.augvit_backbone}}`: `_delete_` makes it replace the inherited backbone.
# Each such config puts mmghost.SimplePyramid in front of its neck.
augvit_backbone = dict(
    _delete_=True,
    type='mmghost.AugViT',
    arch='s',
    shortcut_mode='circulant2',
    out_indices=(-1, ),  # the last block, after the final LayerNorm; SimplePyramid rescales it
    final_norm=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # Random init: upstream released no AugViT weights. For your own upstream-format
    # (augvit_small_circulant2) checkpoint: init_cfg=dict(type='Pretrained', checkpoint=PATH)
    init_cfg=None)
# AugViT is trained on RGB scaled to [-1, 1] (timm default_cfg mean = std = 0.5)
augvit_mean_std = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
# no weight decay on the class token and position embedding (nor on LayerNorm: norm_decay_mult)
augvit_paramwise_cfg = dict(
    norm_decay_mult=0.,
    custom_keys={'pos_embed': dict(decay_mult=0.), 'cls_token': dict(decay_mult=0.)})
