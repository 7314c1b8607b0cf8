# Mask R-CNN + FPN with a Wave-MLP-S backbone (upstream's detection form: a fresh norm layer on
# every output), COCO 2017, 1x schedule.
_base_ = ['../_base_/recipes/mask-rcnn_fpn_swin-adamw_1x_coco.py', '../_base_/backbones/wavemlp.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.wavemlp_backbone,  # strides 4/8/16/32
    # = backbone.out_channels for out_indices (0, 1, 2, 3)
    neck=dict(in_channels=[64, 128, 320, 512]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
