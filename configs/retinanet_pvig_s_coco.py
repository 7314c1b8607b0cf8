# RetinaNet + FPN with a Pyramid ViG-S backbone, COCO 2017, 1x schedule (12 epochs),
# 8 GPUs x 2 images, 1333x800, AdamW as mmdet's transformer-backbone detectors.
_base_ = [
    '_base_/models/retinanet_fpn.py',
    '_base_/datasets/coco_detection.py',
    '_base_/schedules/schedule_1x.py',
    '_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        type='mmghost.PyramidViG',
        arch='s',
        out_indices=(1, 2, 3),  # strides 8/16/32; the stride-4 map is not used by RetinaNet
        frozen_stages=-1,
        norm_eval=True,
        with_cp=False,
        drop_path_rate=0.1,
        # ImageNet weights: python tools/model_converters/official2mmghost.py ...
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/pvig_s_mmghost.pth'),
        init_cfg=None),
    # = backbone.out_channels of Pyramid ViG-S for out_indices (1, 2, 3)
    neck=dict(in_channels=[160, 400, 640], start_level=0, add_extra_convs='on_input',
              num_outs=5))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, betas=(0.9, 0.999),
                   weight_decay=0.05),
    # no weight decay on BatchNorm and the position embedding
    paramwise_cfg=dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)}))
