# The Mask R-CNN recipe: Mask R-CNN + FPN, COCO 2017 instance segmentation, 1x schedule, 8 GPUs x
# 2 images, 1333x800, AdamW as mmdet's Swin Mask R-CNN. No backbone: a config adds one from
# ../backbones/ with its normalisation, no-decay keys and the FPN's in_channels.
_base_ = [
    '../models/mask-rcnn_fpn.py',
    '../datasets/coco_instance.py',
    '../schedules/schedule_1x.py',
    '../default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11],
         gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.))

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 4/8/16/32 for this FPN; a config adds the pyramid's in_channels:
# neck=[dict(_base_.simple_pyramid_neck[0], in_channels=C), _base_.simple_pyramid_neck[1]]
simple_pyramid_neck = [
    dict(type='mmghost.SimplePyramid', out_channels=256),
    dict(type='FPN', in_channels=[256, 256, 256, 256], out_channels=256, num_outs=5)
]
