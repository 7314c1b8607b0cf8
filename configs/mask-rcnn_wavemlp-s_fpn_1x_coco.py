# Mask R-CNN + FPN with a Wave-MLP-S backbone (upstream's detection form: a fresh norm layer on
# every output, strides 4/8/16/32); otherwise as mask-rcnn_pvig-s_fpn_1x_coco.py (COCO 1x).
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/wavemlp.py']

model = dict(
    data_preprocessor={{_base_.wavemlp_mean_std}},
    backbone={{_base_.wavemlp_backbone}},
    # = backbone.out_channels of Wave-MLP-S
    neck=dict(in_channels=[64, 128, 320, 512]))
optim_wrapper = dict(paramwise_cfg={{_base_.wavemlp_paramwise_cfg}})
