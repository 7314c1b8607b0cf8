# RetinaNet with an isotropic ViG-S backbone: ViTDet's simple pyramid turns its stride-16 map
# into strides 8/16/32, then the FPN of retinanet_pvig_s_coco.py (P6/P7 on its input).
_base_ = ['./retinanet_pvig_s_coco.py', './_base_/models/vig-s_simple-pyramid.py']

model = dict(
    backbone={{_base_.vig_backbone}},
    neck=[
        dict(type='mmghost.SimplePyramid', in_channels=320, out_channels=256,
             scale_factors=(2, 1, 0.5)),
        dict(type='FPN', in_channels=[256, 256, 256], out_channels=256, start_level=0,
             add_extra_convs='on_input', num_outs=5)
    ])
