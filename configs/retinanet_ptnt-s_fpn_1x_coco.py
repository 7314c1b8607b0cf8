# RetinaNet with a PyramidTNT-S backbone (upsampled stages 2-4: strides 8/16/32), then the FPN
# of retinanet_pvig_s_coco.py (P6/P7 on its input), as the PyramidTNT paper's RetinaNet.
# The backbone starts from random init: PyramidTNT's official weights are on Baidu Disk only,
# with no URL to download from (a local copy loads: see _base_/models/tnt.py).
_base_ = ['./retinanet_pvig_s_coco.py', './_base_/models/tnt.py']

model = dict(
    data_preprocessor={{_base_.tnt_mean_std}},
    backbone={{_base_.ptnt_backbone_stride8}},
    # = backbone.out_channels of PyramidTNT-S for out_indices (1, 2, 3)
    neck=dict(in_channels=[256, 512, 512]))
optim_wrapper = dict(paramwise_cfg={{_base_.tnt_paramwise_cfg}})
