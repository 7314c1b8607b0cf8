# TNT-S and PyramidTNT-S backbones as variables, for configs that inherit a Pyramid ViG config
# too and set `model.backbone={{_base_.<name>}}`: `_delete_` makes it replace the inherited one.

# TNT-S (stride 16, 384 channels); each config puts mmghost.SimplePyramid in front of its neck
tnt_pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/tnt/tnt_s_81.5.pth.tar'  # noqa: E501
tnt_backbone = dict(
    _delete_=True,
    type='mmghost.TNT',
    arch='s',
    out_indices=(-1, ),  # the last block, after the final LayerNorm; SimplePyramid rescales it
    final_norm=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=tnt_pretrained))

# PyramidTNT-S with the paper's detection pyramid: every stage output upsampled by 2
# (transposed conv + BN + GELU, 3x3 conv + BN + GELU), strides 4/8/16/32, channels
# 128/256/512/512. The upsampling layers are new: the official weights load into the rest.
ptnt_backbone = dict(
    _delete_=True,
    type='mmghost.PyramidTNT',
    arch='s',
    out_indices=(0, 1, 2, 3),
    upsample=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # Random init: upstream publishes PyramidTNT weights on Baidu Disk only, with no URL to
    # download from. With a local copy of the official file (converted on the fly):
    # init_cfg=dict(type='Pretrained', checkpoint='/path/to/ptnt_s.pth.tar'),
    init_cfg=None)
# strides 8/16/32 (RetinaNet, YOLOX): the upsampled stages 2-4, so every stage is used
ptnt_backbone_stride8 = dict(ptnt_backbone, out_indices=(1, 2, 3))
# segmentation (UperNet) trains the BatchNorms, as the Pyramid ViG UperNet does
ptnt_backbone_seg = dict(ptnt_backbone, norm_eval=False)

# both are trained on RGB scaled to [-1, 1] (timm default_cfg mean = std = 0.5)
tnt_mean_std = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
# no weight decay on the class token, position embeddings and attention biases (nor on
# LayerNorm / BatchNorm: norm_decay_mult)
tnt_paramwise_cfg = dict(
    norm_decay_mult=0.,
    custom_keys={'pos_embed': dict(decay_mult=0.), 'cls_token': dict(decay_mult=0.),
                 'relative_pos': dict(decay_mult=0.)})
