# The synthetic coloured-shapes demo set in ADE20K layout (`python tools/make_demo_data.py`):
#   data/demo/ade/images/{training,validation}/*.jpg
#   data/demo/ade/annotations/{training,validation}/*.png   (0 = background, i = i-th shape class)
#   data/demo/ade/classes.txt   (the class of each value: background, circle, square, triangle)
# Background is a real class here, so labels are not shifted (reduce_zero_label=False).
# The classes are the data's: tools/run_demo.py and `tools/train.py --classes-from-data` read
# classes.txt and set metainfo.classes and every head's num_classes.
_base_ = './ade20k.py'
dataset_type = 'BaseSegDataset'
data_root = 'data/demo/ade'
crop_size = (160, 160)
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
    batch_size=8,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        reduce_zero_label=False,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        data_root=data_root,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        reduce_zero_label=False,
        img_suffix='.jpg',
        seg_map_suffix='.png',
        data_root=data_root,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
