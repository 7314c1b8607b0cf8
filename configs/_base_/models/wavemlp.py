# Wave-MLP-S backbones as variables, for configs that inherit a Pyramid ViG config too and set
# `model.backbone={{_base_.<name>}}`: `_delete_` makes it replace the inherited one.
#
# Upstream's detection form (`fork_feat=True`): a norm layer (GroupNorm for S) on every output,
# `out_norms=True`. The ImageNet weights do not hold these: all the rest loads strictly, the out
# norms start fresh (their keys are logged).

# strides 4/8/16/32 (Mask R-CNN)
wavemlp_pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_S.pth.tar'  # noqa: E501
wavemlp_backbone = dict(
    _delete_=True,
    type='mmghost.WaveMLP',
    arch='s',
    out_indices=(0, 1, 2, 3),
    out_norms=True,
    frozen_stages=-1,
    norm_eval=True,  # the phase convs' BatchNorms (every norm of Wave-MLP-T)
    with_cp=False,
    drop_path_rate=0.1,
    # official ImageNet-1k weights, downloaded once into the torch hub cache and converted on the
    # fly (offline use and other files: README, "Pretrained weights")
    init_cfg=dict(type='Pretrained', checkpoint=wavemlp_pretrained))
# strides 8/16/32 (RetinaNet, YOLOX)
wavemlp_backbone_stride8 = dict(wavemlp_backbone, out_indices=(1, 2, 3))
# segmentation (UperNet) trains the BatchNorms, as the Pyramid ViG UperNet does
wavemlp_backbone_seg = dict(wavemlp_backbone, norm_eval=False)

# trained on ImageNet mean / std, RGB (timm default_cfg)
wavemlp_mean_std = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
# no weight decay on the norms; there is no position embedding (the Pyramid ViG key goes)
wavemlp_paramwise_cfg = dict(_delete_=True, norm_decay_mult=0.)
