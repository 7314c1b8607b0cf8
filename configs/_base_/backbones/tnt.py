# TNT-S (mmghost.TNT, stride 16, 384 channels) for the det / seg configs: mmghost.SimplePyramid in
# front of each neck rescales its last block.
_base_ = '../families/tnt.py'

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
    init_cfg=dict(type='Pretrained', checkpoint=_base_.tnt_pretrained))
