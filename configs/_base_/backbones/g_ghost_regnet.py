# G-Ghost RegNetX-4.0GF (mmghost.GGhostRegNet) for the det / seg configs: each config picks its
# outputs, e.g. `backbone=dict(_base_.g_ghost_backbone, out_indices=(1, 2, 3))`.
_base_ = '../families/g_ghost_regnet.py'

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
    init_cfg=dict(type='Pretrained', checkpoint=_base_.g_ghost_pretrained))
