# RetinaNet + FPN with a Wave-MLP-S backbone (upstream's detection form: a fresh norm layer on
# every output), COCO 2017, 1x schedule.
_base_ = ['../_base_/recipes/retinanet_fpn_1x_coco.py', '../_base_/backbones/wavemlp.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=dict(_base_.wavemlp_backbone, out_indices=(1, 2, 3)),  # strides 8/16/32
    # = backbone.out_channels for out_indices (1, 2, 3)
    neck=dict(in_channels=[128, 320, 512]))
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
