# Mask R-CNN with a TNT-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 4/8/16/32, then the FPN of mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/tnt.py']

model = dict(
    data_preprocessor={{_base_.tnt_mean_std}},
    backbone={{_base_.tnt_backbone}},
    neck=[
        # in_channels = backbone.out_channels (384)
        dict(type='mmghost.SimplePyramid', in_channels=384, out_channels=256),
        dict(type='FPN', in_channels=[256, 256, 256, 256], out_channels=256, num_outs=5)
    ])
optim_wrapper = dict(paramwise_cfg={{_base_.tnt_paramwise_cfg}})
