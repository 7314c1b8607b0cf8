# The Vision GNN backbones (mmghost.PyramidViG, mmghost.ViG) for the det / seg configs: each
# config picks its outputs, e.g. `backbone=dict(_base_.pvig_backbone, out_indices=(1, 2, 3))`.
# Variants change `arch` and the checkpoint (configs/vig/README.md).
_base_ = '../families/vig.py'

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
    init_cfg=dict(type='Pretrained', checkpoint=_base_.pvig_pretrained))

# isotropic ViG-S (stride 16, 320 channels): mmghost.SimplePyramid in front of the neck rescales
# its last block
vig_backbone = dict(
    type='mmghost.ViG',
    arch='s',
    out_indices=(-1, ),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    init_cfg=dict(type='Pretrained', checkpoint=_base_.vig_pretrained))
