# Wave-MLP-S with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/wavemlp/WaveMLP_S_in1k.py \
#       https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_S.pth.tar
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = [
    '../_base_/datasets/imagenet_bicubic-248-224.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/wavemlp.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# upstream eval (timm default_cfg): the dataset base's short edge 248, bicubic, centre crop 224

# = mmghost.weights.official.official_classifier_cfg('WaveMLP_S') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # upstream `norm` (the final norm of the last stage) is the out norm `norm3`
    backbone=dict(type='mmghost.WaveMLP', arch='s', out_indices=(-1, ), out_norms=True),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `head`: Linear on the pooled features
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512,
              loss=dict(type='CrossEntropyLoss')))
