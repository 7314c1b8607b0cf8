# TinyNet-A with its upstream head, to evaluate the official ImageNet weights at its
# resolution (192 = int(224 x r)):
#   python tools/test.py configs/tinynet/tinynet_a_in1k.py \
#       https://github.com/huawei-noah/CV-Backbones/releases/download/v1.2.0/tinynet_a.pth
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = [
    '../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/tinynet.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# upstream eval (timm default_cfg of tinynet_a): short edge floor(192 / 0.875) = 219,
# bicubic, centre crop 192
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=219, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=192),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# = mmghost.weights.official.official_classifier_cfg('tinynet_a') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # out_indices -1: the final 1x1 conv (upstream conv_head: 1280 channels, BN, SiLU)
    backbone=dict(type='mmghost.TinyNet', arch='a', out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `classifier` (Linear) on the pooled features
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss')))
