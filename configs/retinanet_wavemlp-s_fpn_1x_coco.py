# RetinaNet + FPN with a Wave-MLP-S backbone (upstream's detection form: a fresh norm layer on
# every output, strides 8/16/32); otherwise as retinanet_pvig_s_coco.py (COCO 1x, AdamW).
_base_ = ['./retinanet_pvig_s_coco.py', './_base_/models/wavemlp.py']

model = dict(
    data_preprocessor={{_base_.wavemlp_mean_std}},
    backbone={{_base_.wavemlp_backbone_stride8}},
    # = backbone.out_channels of Wave-MLP-S for out_indices (1, 2, 3)
    neck=dict(in_channels=[128, 320, 512]))
optim_wrapper = dict(paramwise_cfg={{_base_.wavemlp_paramwise_cfg}})
