# Pyramid ViG-S with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/vig/pvig_s_224_gelu_in1k.py \
#       https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_s_82.1.pth.tar
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = [
    '../_base_/datasets/imagenet_bicubic-248-224.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/vig.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# upstream eval (timm default_cfg): the dataset base's short edge 248, bicubic, centre crop 224

# = mmghost.weights.official.official_classifier_cfg('pvig_s_224_gelu') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    backbone=dict(type='mmghost.PyramidViG', arch='s', out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `prediction`: conv1x1 -> BN -> GELU -> dropout -> conv1x1 on the pooled features
    head=dict(
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=640,
        mid_channels=[1024],
        dropout_rate=0.0,
        norm_cfg=dict(type='BN1d'),
        act_cfg=dict(type='GELU'),
        loss=dict(type='CrossEntropyLoss')))
