# TNT-S with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/tnt/tnt_s_patch16_224_in1k.py \
#       https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/tnt/tnt_s_81.5.pth.tar
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = [
    '../_base_/datasets/imagenet_bicubic-248-224.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/tnt.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# upstream eval (timm default_cfg): the dataset base's short edge 248, bicubic, centre crop 224

# = mmghost.weights.official.official_classifier_cfg('tnt_s_patch16_224') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # upstream: final LayerNorm -> class token -> Linear
    backbone=dict(type='mmghost.TNT', arch='s', out_indices=(-1, ), out_type='cls_token',
                  final_norm=True),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=384,
              loss=dict(type='CrossEntropyLoss')))
