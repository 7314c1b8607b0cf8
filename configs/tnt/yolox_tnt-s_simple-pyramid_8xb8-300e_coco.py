# YOLOX with a TNT-S backbone (stride 16), COCO 2017, 300 epochs.
# ViTDet's simple pyramid turns its stride-16 map into the neck's strides.
_base_ = ['../_base_/recipes/yolox_8xb8-300e_coco.py', '../_base_/backbones/tnt.py']

model = dict(
    data_preprocessor=_base_.img_norm,
    backbone=_base_.tnt_backbone,
    # mmghost.SimplePyramid (in_channels = backbone.out_channels, 384) + the recipe's neck
    neck=[dict(_base_.simple_pyramid_neck[0], in_channels=384), _base_.simple_pyramid_neck[1]])
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
