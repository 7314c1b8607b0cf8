# Mask R-CNN with an AugViT-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 4/8/16/32, then the FPN of mask-rcnn_pvig-s_fpn_1x_coco.py.
# The backbone starts from random init: upstream released no AugViT weights.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/augvit-s_simple-pyramid.py']

model = dict(
    data_preprocessor={{_base_.augvit_mean_std}},
    backbone={{_base_.augvit_backbone}},
    neck=[
        # in_channels = backbone.out_channels (384)
        dict(type='mmghost.SimplePyramid', in_channels=384, out_channels=256),
        dict(type='FPN', in_channels=[256, 256, 256, 256], out_channels=256, num_outs=5)
    ])
optim_wrapper = dict(paramwise_cfg={{_base_.augvit_paramwise_cfg}})
