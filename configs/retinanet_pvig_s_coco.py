# RetinaNet + FPN with a Pyramid ViG-S backbone, COCO 2017, 1x schedule (12 epochs),
# 8 GPUs x 2 images, 1333x800, AdamW as mmdet's transformer-backbone detectors.
_base_ = [
    '_base_/models/retinanet_fpn.py',
    '_base_/datasets/coco_detection.py',
    '_base_/schedules/schedule_1x.py',
    '_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_s_82.1.pth.tar'  # noqa: E501

model = dict(
    backbone=dict(
        type='mmghost.PyramidViG',
        arch='s',
        out_indices=(1, 2, 3),  # strides 8/16/32; the stride-4 map is not used by RetinaNet
        frozen_stages=-1,
        norm_eval=True,
        with_cp=False,
        drop_path_rate=0.1,
        # official ImageNet-1k weights, downloaded once into the torch hub cache and converted
        # on the fly (offline use and other files: README, "Pretrained weights")
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # = backbone.out_channels of Pyramid ViG-S for out_indices (1, 2, 3)
    neck=dict(in_channels=[160, 400, 640], start_level=0, add_extra_convs='on_input',
              num_outs=5))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, betas=(0.9, 0.999),
                   weight_decay=0.05),
    # no weight decay on BatchNorm and the position embedding
    paramwise_cfg=dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)}))
