# The RetinaNet recipe: RetinaNet + FPN, COCO 2017, 1x schedule (12 epochs), 8 GPUs x 2 images,
# 1333x800, SGD: mmdet's stock RetinaNet (its Swin RetinaNet trains with the same optimizer). No
# backbone: a config adds one from ../backbones/ with its normalisation, no-decay keys and the
# FPN's in_channels. retinanet_fpn_pvt-adamw_1x_coco.py swaps in mmdet's PVT optimizer.
_base_ = [
    '../models/retinanet_fpn.py',
    '../datasets/coco_detection.py',
    '../schedules/schedule_1x.py',
    '../default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    paramwise_cfg=dict(norm_decay_mult=0.))

# where the training recipe comes from (tools/analysis_tools/zoo.py reads it; the tests
# compare the optimizer, schedule and batch with the source)
recipe = dict(
    source='mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
    why='the stock recipe of the head: no recipe or baseline of the family\'s paper is on record')

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 8/16/32 for this FPN; a config adds the pyramid's in_channels:
# neck=[dict(_base_.simple_pyramid_neck[0], in_channels=C), _base_.simple_pyramid_neck[1]]
simple_pyramid_neck = [
    dict(type='mmghost.SimplePyramid', out_channels=256, scale_factors=(2, 1, 0.5)),
    dict(type='FPN', in_channels=[256, 256, 256], out_channels=256, start_level=0,
         add_extra_convs='on_input', num_outs=5)
]
