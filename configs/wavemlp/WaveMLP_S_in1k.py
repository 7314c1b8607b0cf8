# Wave-MLP-S with its upstream head, to evaluate the official ImageNet weights:
#   python tools/test.py configs/wavemlp/WaveMLP_S_in1k.py \
#       https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_S.pth.tar
# the official file is converted on the fly; a local copy, timm's file of the same network
# (.safetensors too) or an mmghost checkpoint work the same way (docs/weights.md)
_base_ = ['../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py']
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# upstream eval (timm default_cfg of wave_T/S/M): short edge 224 / 0.9 = 248, bicubic, crop 224
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=248, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# = mmghost.official.official_classifier_cfg('WaveMLP_S') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # ImageNet mean / std, RGB
    data_preprocessor=dict(
        num_classes=1000, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
        to_rgb=True),
    # upstream `norm` (the final norm of the last stage) is the out norm `norm3`
    backbone=dict(type='mmghost.WaveMLP', arch='s', out_indices=(-1, ), out_norms=True),
    neck=dict(type='GlobalAveragePooling'),
    # upstream `head`: Linear on the pooled features
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512,
              loss=dict(type='CrossEntropyLoss')))
