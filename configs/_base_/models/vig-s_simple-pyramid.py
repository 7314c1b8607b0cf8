# Isotropic ViG-S (stride 16, 320 channels) as `vig_backbone`, for configs that inherit a
# Pyramid ViG config too and set `model.backbone={{_base_.vig_backbone}}`: `_delete_` makes it
# replace the inherited backbone. Each such config puts mmghost.SimplePyramid in front of its neck.
vig_backbone = dict(
    _delete_=True,
    type='mmghost.ViG',
    arch='s',
    out_indices=(-1, ),  # the last block; SimplePyramid rescales it
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # ImageNet weights: python tools/model_converters/official2mmghost.py ... --model vig_s_224_gelu
    init_cfg=None)
