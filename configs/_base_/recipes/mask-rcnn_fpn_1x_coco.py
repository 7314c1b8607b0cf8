# The Mask R-CNN recipe: Mask R-CNN + FPN, COCO 2017 instance segmentation, 1x schedule (12
# epochs), 8 GPUs x 2 images, 1333x800, SGD: mmdet's stock Mask R-CNN. No backbone: a config adds
# one from ../backbones/ with its normalisation, no-decay keys and the FPN's in_channels.
# mask-rcnn_fpn_pvt-adamw_1x_coco.py and mask-rcnn_fpn_swin-adamw_1x_coco.py swap the optimizer.
_base_ = [
    '../models/mask-rcnn_fpn.py',
    '../datasets/coco_instance.py',
    '../schedules/schedule_1x.py',
    '../default_runtime.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

# schedule_1x's SGD (lr 0.02, momentum 0.9, weight decay 1e-4)
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.))

# where the training recipe comes from (tools/analysis_tools/zoo.py reads it; the tests
# compare the optimizer, schedule and batch with the source)
recipe = dict(
    source='mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    why='the stock recipe of the head for a convolutional backbone: no recipe or baseline of the '
    'family\'s paper is on record')

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 4/8/16/32 for this FPN; a config adds the pyramid's in_channels:
# neck=[dict(_base_.simple_pyramid_neck[0], in_channels=C), _base_.simple_pyramid_neck[1]]
simple_pyramid_neck = [
    dict(type='mmghost.SimplePyramid', out_channels=256),
    dict(type='FPN', in_channels=[256, 256, 256, 256], out_channels=256, num_outs=5)
]
