# YOLOX with an isotropic ViG-S backbone (stride 16), COCO 2017, 300 epochs, SGD.
# ViTDet's simple pyramid turns its stride-16 map into the neck's strides.
_base_ = ['../_base_/recipes/yolox_8xb8-300e_coco.py', '../_base_/backbones/vig.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.vig_backbone,
    # in_channels = backbone.out_channels (320)
    neck=[
        dict(type='mmghost.SimplePyramid', in_channels=320, out_channels=160,
             scale_factors=(2, 1, 0.5)),
        dict(type='YOLOXPAFPN', in_channels=[160, 160, 160], out_channels=160, num_csp_blocks=1,
             norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish'))
    ])
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
