# Wave-MLP-S (mmghost.WaveMLP) for the det / seg configs, in upstream's detection form
# (`fork_feat=True`): a norm layer (GroupNorm for S) on every output, `out_norms=True`. The
# ImageNet weights do not hold these: all the rest loads strictly, the out norms start fresh
# (their keys are logged). Each config picks its outputs, e.g.
# `backbone=dict(_base_.wavemlp_backbone, out_indices=(1, 2, 3))`.
_base_ = '../families/wavemlp.py'

wavemlp_backbone = dict(
    type='mmghost.WaveMLP',
    arch='s',
    out_indices=(0, 1, 2, 3),
    out_norms=True,
    frozen_stages=-1,
    norm_eval=True,  # the phase convs' BatchNorms (every norm of Wave-MLP-T)
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: docs/weights.md)
    init_cfg=dict(type='Pretrained', checkpoint=_base_.wavemlp_pretrained))
