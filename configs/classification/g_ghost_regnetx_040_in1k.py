# G-Ghost RegNetX-040 with its upstream head, to evaluate the official ImageNet weights:
#   python tools/model_converters/official2mmghost.py \
#       g_ghost_regnet_4.0g_78.6.pth g_ghost_040_cls.pth \
#       --model g_ghost_regnetx_040 --classifier
#   python tools/test.py configs/classification/g_ghost_regnetx_040_in1k.py g_ghost_040_cls.pth
_base_ = ['../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py']
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# The upstream eval (the pytorch/examples ImageNet recipe: short edge 256, bilinear, centre crop
# 224) is the base dataset's test pipeline.

# = mmghost.official.official_classifier_cfg('g_ghost_regnetx_040') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # ImageNet mean/std, RGB
    data_preprocessor=dict(
        num_classes=1000,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(type='mmghost.GGhostRegNet', arch='040', out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `fc` on the pooled features (its Dropout(0.2) acts in training only)
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1360,
        loss=dict(type='CrossEntropyLoss')))
