# Mask R-CNN + FPN with a G-Ghost RegNetX-4.0GF backbone; otherwise as
# mask-rcnn_pvig-s_fpn_1x_coco.py.
_base_ = './mask-rcnn_pvig-s_fpn_1x_coco.py'

model = dict(
    # ImageNet mean/std, RGB (the upstream training normalisation)
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='mmghost.GGhostRegNet',
        arch='040',
        out_indices=(0, 1, 2, 3),  # strides 4/8/16/32
        frozen_stages=-1,
        norm_eval=True,
        with_cp=False,
        drop_path_rate=0.,
        # ImageNet weights: python tools/model_converters/official2mmghost.py \
        #     g_ghost_regnet_4.0g_78.6.pth checkpoints/g-ghost-040.pth \
        #     --model g_ghost_regnetx_040
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/g-ghost-040.pth'),
        init_cfg=None),
    # = backbone.out_channels
    neck=dict(in_channels=[80, 240, 560, 1360]))
