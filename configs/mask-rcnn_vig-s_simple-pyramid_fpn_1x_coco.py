# Mask R-CNN with an isotropic ViG-S backbone: ViTDet's simple pyramid turns its stride-16 map
# into strides 4/8/16/32, then the FPN of mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_pvig-s_fpn_1x_coco.py', './_base_/models/vig-s_simple-pyramid.py']

model = dict(
    backbone={{_base_.vig_backbone}},
    neck=[
        dict(type='mmghost.SimplePyramid', in_channels=320, out_channels=256),
        dict(type='FPN', in_channels=[256, 256, 256, 256], out_channels=256, num_outs=5)
    ])
