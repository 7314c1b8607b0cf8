# The YOLOX recipe: mmdet's YOLOXPAFPN + YOLOXHead (SimOTA), COCO 2017, 300 epochs, 8 GPUs x 8
# images, 640x640 mosaic/mixup, mmdet's YOLOX-S recipe otherwise. No backbone: a config adds one
# from ../backbones/ with its normalisation, no-decay keys and the neck's in_channels.
_base_ = [
    '../models/yolox_pafpn.py',
    '../schedules/schedule_1x.py',
    '../default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

img_scale = (640, 640)  # width, height

dataset_type = 'CocoDataset'
data_root = 'data/coco/'
backend_args = None

train_pipeline = [
    dict(type='Mosaic', img_scale=img_scale, pad_val=114.0),
    dict(type='RandomAffine', scaling_ratio_range=(0.1, 2),
         border=(-img_scale[0] // 2, -img_scale[1] // 2)),
    dict(type='MixUp', img_scale=img_scale, ratio_range=(0.8, 1.6), pad_val=114.0),
    dict(type='YOLOXHSVRandomAug'),
    dict(type='RandomFlip', prob=0.5),
    # multi-scale training happens in the data preprocessor (BatchSyncRandomResize);
    # Resize + Pad serve the last epochs, when YOLOXModeSwitchHook turns mosaic/mixup off
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1, 1), keep_empty=False),
    dict(type='PackDetInputs')
]
train_dataset = dict(
    # MultiImageMixDataset feeds the extra images Mosaic and MixUp need
    type='MultiImageMixDataset',
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadAnnotations', with_bbox=True)
        ],
        filter_cfg=dict(filter_empty_gt=False, min_size=32),
        backend_args=backend_args),
    pipeline=train_pipeline)

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='Pad', pad_to_square=True, pad_val=dict(img=(114.0, 114.0, 114.0))),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=train_dataset)
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric='bbox',
    backend_args=backend_args)
test_evaluator = val_evaluator

max_epochs = 300
num_last_epochs = 15
interval = 10
train_cfg = dict(max_epochs=max_epochs, val_interval=interval)

base_lr = 0.01
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=5e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))

param_scheduler = [
    # quadratic warm-up over 5 epochs, updated every iteration
    dict(type='mmdet.QuadraticWarmupLR', by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    # cosine decay from epoch 5 to 285
    dict(type='CosineAnnealingLR', eta_min=base_lr * 0.05, begin=5,
         T_max=max_epochs - num_last_epochs, end=max_epochs - num_last_epochs, by_epoch=True,
         convert_to_iter_based=True),
    # constant lr for the last 15 (no-augmentation) epochs
    dict(type='ConstantLR', by_epoch=True, factor=1, begin=max_epochs - num_last_epochs,
         end=max_epochs)
]

default_hooks = dict(checkpoint=dict(interval=interval, max_keep_ckpts=3))

custom_hooks = [
    dict(type='YOLOXModeSwitchHook', num_last_epochs=num_last_epochs, priority=48),
    dict(type='SyncNormHook', priority=48),
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0001, update_buffers=True,
         priority=49)
]

# base_batch_size = 8 GPUs x 8 images per GPU
auto_scale_lr = dict(base_batch_size=64)

# where the training recipe comes from (tools/analysis_tools/zoo.py reads it; the tests
# compare the optimizer, schedule and batch with the source)
recipe = dict(
    source='mmdet::yolox/yolox_s_8xb8-300e_coco.py',
    why='the stock recipe of the head: no recipe, baseline or figure of the family\'s paper is on '
    'record for YOLOX')

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 8/16/32 for this PAFPN; a config adds the pyramid's in_channels:
# neck=[dict(_base_.simple_pyramid_neck[0], in_channels=C), _base_.simple_pyramid_neck[1]]
simple_pyramid_neck = [
    dict(type='mmghost.SimplePyramid', out_channels=160, scale_factors=(2, 1, 0.5)),
    dict(type='YOLOXPAFPN', in_channels=[160, 160, 160], out_channels=160, num_csp_blocks=1,
         norm_cfg=dict(type='BN', momentum=0.03, eps=0.001), act_cfg=dict(type='Swish'))
]
