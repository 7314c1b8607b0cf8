# Pyramid ViG-S with its upstream head, to evaluate official ImageNet weights:
#   python tools/model_converters/official2mmghost.py pvig_s.pth.tar pvig_s_cls.pth \
#       --model pvig_s_224_gelu --classifier
#   python tools/test.py configs/classification/pvig_s_224_gelu_in1k.py pvig_s_cls.pth
_base_ = ['../_base_/datasets/imagenet.py', '../_base_/default_runtime_cls.py']
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# upstream eval (timm default_cfg): short edge 224 / 0.9 = 248, bicubic, centre crop 224
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=248, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# = mmghost.official.official_classifier_cfg('pvig_s_224_gelu') + the data preprocessor
model = dict(
    type='ImageClassifier',
    # Vision GNN is trained on RGB scaled to [-1, 1]
    data_preprocessor=dict(
        num_classes=1000, mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], to_rgb=True),
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
