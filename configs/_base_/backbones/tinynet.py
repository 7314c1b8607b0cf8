# TinyNet-A (mmghost.TinyNet) for the det / seg configs: each config picks its outputs, e.g.
# `backbone=dict(_base_.tinynet_backbone, out_indices=(1, 2, 4))`.
_base_ = '../families/tinynet.py'

tinynet_backbone = dict(
    type='mmghost.TinyNet',
    arch='a',
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=_base_.tinynet_pretrained))
