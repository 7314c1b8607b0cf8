# UperNet + Pyramid ViG-S trained from scratch on the synthetic shapes demo set in ADE20K layout
# (`python tools/make_demo_data.py`; 4 classes with background), 160x160 crops, sized for a CPU.
# Inherits the ADE20K config; only data, schedule and from-scratch settings differ.
_base_ = '../upernet_pvig-s_8xb2-160k_ade20k-512x512.py'

crop_size = (160, 160)
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN needs CUDA; BN works everywhere
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(norm_eval=False, drop_path_rate=0., init_cfg=None),
    decode_head=dict(num_classes=4, channels=128, norm_cfg=norm_cfg),
    auxiliary_head=dict(num_classes=4, channels=64, norm_cfg=norm_cfg))

# ---- data (see _base_/datasets/demo_ade.py) ----
dataset_type = 'BaseSegDataset'
data_root = 'data/demo/ade'
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle'),
    palette=[(0, 0, 0), (220, 40, 40), (40, 180, 60), (50, 90, 220)])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=(224, 224), ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.9),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        reduce_zero_label=False,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        data_root=data_root,
        data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        reduce_zero_label=False,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        data_root=data_root,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# ---- schedule: 1000 iterations, validation at the end only ----
max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
