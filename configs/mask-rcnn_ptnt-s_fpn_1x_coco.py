# Mask R-CNN with a PyramidTNT-S backbone (all four stages upsampled: strides 4/8/16/32), then
# the FPN of mask-rcnn_pvig-s_fpn_1x_coco.py, as the PyramidTNT paper's Mask R-CNN.
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: see _base_/models/tnt.py).
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/tnt.py']

model = dict(
    data_preprocessor={{_base_.tnt_mean_std}},
    backbone={{_base_.ptnt_backbone}},
    # = backbone.out_channels of PyramidTNT-S
    neck=dict(in_channels=[128, 256, 512, 512]))
optim_wrapper = dict(paramwise_cfg={{_base_.tnt_paramwise_cfg}})
