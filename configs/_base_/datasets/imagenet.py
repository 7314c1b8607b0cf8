# ImageNet-1k validation (mmpretrain layout: data/imagenet/val/*.JPEG + meta/val.txt), top-1/5.
# The eval transform below is timm's default (crop_pct 0.875, bilinear); each classification
# config replaces `test_pipeline` with its upstream one and re-points the dataloaders at it.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
val_cfg = dict()

test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict()
