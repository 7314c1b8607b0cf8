# G-Ghost RegNetX-040 with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/g_ghost_regnet/g_ghost_regnetx_040_in1k.py \
#       https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/g_ghost_regnet/g_ghost_regnet_4.0g_78.6.pth
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = [
    '../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/g_ghost_regnet.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# The upstream eval (the pytorch/examples ImageNet recipe: short edge 256, bilinear, centre crop
# 224) is the base dataset's test pipeline.

# = mmghost.weights.official.official_classifier_cfg('g_ghost_regnetx_040') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    backbone=dict(type='mmghost.GGhostRegNet', arch='040', out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `fc` on the pooled features (its Dropout(0.2) acts in training only)
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1360,
        loss=dict(type='CrossEntropyLoss')))
