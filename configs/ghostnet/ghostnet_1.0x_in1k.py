# GhostNet 1.0x with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/ghostnet/ghostnet_1.0x_in1k.py \
#       https://github.com/huawei-noah/CV-backbones/releases/download/ghostnet_pth/ghostnet_1x.pth
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
# The upstream eval (ghostnet_pytorch/validate.py: Resize 256, bilinear, centre crop 224) is the
# base dataset's test pipeline; GhostNetV2 evaluates with timm's defaults, the same transform.
_base_ = [
    '../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/ghostnet.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# = mmghost.weights.official.official_classifier_cfg('ghostnet_1.0x') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # out_indices -1: the final 1x1 ConvBnAct (960 * width channels, upstream blocks[9])
    backbone=dict(type='mmghost.GhostNet', arch='1.0x', out_indices=(-1, )),
    neck=dict(type='GlobalAveragePooling'),
    # upstream head on the pooled features: conv_head 1x1 (1280, bias) -> ReLU -> dropout ->
    # classifier, i.e. two linear layers
    head=dict(
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=960,
        mid_channels=[1280],
        dropout_rate=0.2,
        norm_cfg=None,
        act_cfg=dict(type='ReLU'),
        loss=dict(type='CrossEntropyLoss')))
