# The synthetic coloured-shapes demo set in COCO format (`python tools/make_demo_data.py`):
#   data/demo/coco/{train,val}/*.jpg, data/demo/coco/annotations/instances_{train,val}.json
# Images are 192x192, 160x224 or 224x160, used at 2/3 of that size: under half the compute per
# image of full size on a CPU, and the shapes stay 14-80 px.
_base_ = './coco_detection.py'
# The classes are the data's: tools/run_demo.py and `tools/train.py --classes-from-data` read
# them from the annotation files and set metainfo.classes and every head's num_classes.
data_root = 'data/demo/coco/'
img_scale_factor = 2 / 3

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale_factor=img_scale_factor, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='Resize', scale_factor=img_scale_factor, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(min_size=8),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
