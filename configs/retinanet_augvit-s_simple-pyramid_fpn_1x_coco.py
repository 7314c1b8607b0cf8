# RetinaNet with an AugViT-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 8/16/32, then the FPN of retinanet_pvig_s_coco.py (P6/P7 on its input).
# The backbone starts from random init: upstream released no AugViT weights.
_base_ = ['./retinanet_pvig_s_coco.py', './_base_/models/augvit-s_simple-pyramid.py']

model = dict(
    data_preprocessor={{_base_.augvit_mean_std}},
    backbone={{_base_.augvit_backbone}},
    neck=[
        # in_channels = backbone.out_channels (384)
        dict(type='mmghost.SimplePyramid', in_channels=384, out_channels=256,
             scale_factors=(2, 1, 0.5)),
        dict(type='FPN', in_channels=[256, 256, 256], out_channels=256, start_level=0,
             add_extra_convs='on_input', num_outs=5)
    ])
optim_wrapper = dict(paramwise_cfg={{_base_.augvit_paramwise_cfg}})
