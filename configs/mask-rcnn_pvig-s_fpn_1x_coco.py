# Mask R-CNN + FPN with a Pyramid ViG-S backbone, COCO 2017 instance segmentation, 1x schedule,
# 8 GPUs x 2 images, 1333x800, AdamW as mmdet's Swin Mask R-CNN.
_base_ = [
    '_base_/models/mask-rcnn_fpn.py',
    '_base_/datasets/coco_instance.py',
    '_base_/schedules/schedule_1x.py',
    '_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_s_82.1.pth.tar'  # noqa: E501

model = dict(
    backbone=dict(
        type='mmghost.PyramidViG',
        arch='s',
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_eval=True,
        with_cp=False,
        drop_path_rate=0.1,
        # official ImageNet-1k weights, downloaded once into the torch hub cache and converted
        # on the fly (offline use and other files: README, "Pretrained weights")
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # = backbone.out_channels of Pyramid ViG-S
    neck=dict(in_channels=[80, 160, 400, 640]))

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
    paramwise_cfg=dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)}))
