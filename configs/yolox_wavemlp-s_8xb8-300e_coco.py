# YOLOX (mmdet's YOLOXPAFPN + YOLOXHead) with a Wave-MLP-S backbone (upstream's detection form:
# a fresh norm layer on every output, strides 8/16/32); otherwise as
# yolox_pvig-s_8xb8-300e_coco.py (SGD, as mmdet's YOLOX).
_base_ = ['./yolox_pvig-s_8xb8-300e_coco.py', './_base_/models/wavemlp.py']

model = dict(
    data_preprocessor={{_base_.wavemlp_mean_std}},
    backbone={{_base_.wavemlp_backbone_stride8}},
    # = backbone.out_channels of Wave-MLP-S for out_indices (1, 2, 3); PAFPN width = stage 2's
    neck=dict(in_channels=[128, 320, 512], out_channels=128),
    bbox_head=dict(in_channels=128, feat_channels=128))
