# Isotropic ViG-S (stride 16, 320 channels) as `vig_backbone`, for configs that inherit a
# Pyramid ViG config too and set `model.backbone={{_base_.vig_backbone}}`: `_delete_` makes it
# replace the inherited backbone. Each such config puts mmghost.SimplePyramid in front of its neck.
vig_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/vig/vig_s_80.6.pth'  # noqa: E501
vig_backbone = dict(
    _delete_=True,
    type='mmghost.ViG',
    arch='s',
    out_indices=(-1, ),  # the last block; SimplePyramid rescales it
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=vig_pretrained))
