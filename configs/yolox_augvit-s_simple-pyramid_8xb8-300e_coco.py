# YOLOX with an AugViT-S backbone: ViTDet's simple pyramid turns its stride-16 map into
# strides 8/16/32 for the YOLOXPAFPN of yolox_pvig-s_8xb8-300e_coco.py.
# The backbone starts from random init: upstream released no AugViT weights.
_base_ = ['./yolox_pvig-s_8xb8-300e_coco.py', './_base_/models/augvit-s_simple-pyramid.py']

model = dict(
    data_preprocessor={{_base_.augvit_mean_std}},
    backbone={{_base_.augvit_backbone}},
    neck=[
        # in_channels = backbone.out_channels (384)
        dict(type='mmghost.SimplePyramid', in_channels=384, out_channels=160,
             scale_factors=(2, 1, 0.5)),
        dict(type='YOLOXPAFPN', in_channels=[160, 160, 160], out_channels=160, num_csp_blocks=1,
             norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish'))
    ])
optim_wrapper = dict(paramwise_cfg={{_base_.augvit_paramwise_cfg}})
