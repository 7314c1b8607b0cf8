# ImageNet-1k evaluated as timm's default_cfg with crop_pct 0.9, bicubic: short edge
# 224 / 0.9 = 248, centre crop 224 (the upstream eval of Vision GNN, TNT, Wave-MLP and AugViT).
_base_ = './imagenet.py'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=248, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
