# PyramidTNT-S with its upstream head, to evaluate ImageNet weights. The official files are on
# Baidu Disk only; with a local copy (converted on the fly):
#   python tools/test.py configs/pyramid_tnt/ptnt_s_patch16_256_in1k.py ptnt_s.pth.tar
_base_ = [
    '../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/pyramid_tnt.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# upstream eval (timm default_cfg): short edge floor(256 / 0.9) = 284, bicubic, centre crop 256
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=284, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# = mmghost.weights.official.official_classifier_cfg('ptnt_s_patch16_256') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # upstream: final LayerNorm on the stage-4 tokens -> mean over them -> Linear
    backbone=dict(type='mmghost.PyramidTNT', arch='s', out_indices=(-1, ), final_norm=True),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=512,
              loss=dict(type='CrossEntropyLoss')))
