# The GhostNet backbones (mmghost.GhostNet, mmghost.GhostNetV2) for the det / seg configs: each
# config picks its outputs, e.g. `backbone=dict(_base_.ghostnet_backbone, out_indices=(1, 2, 4))`.
_base_ = '../families/ghostnet.py'

ghostnet_backbone = dict(
    type='mmghost.GhostNet',
    arch='1.0x',
    out_indices=(0, 1, 2, 4),
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.,  # upstream trains without stochastic depth
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=_base_.ghostnet_pretrained))
