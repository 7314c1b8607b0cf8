# YOLOX (mmdet's YOLOXPAFPN neck + YOLOXHead, strides 8/16/32), without a backbone: a config adds
# `backbone` from ../backbones/, its normalisation and the neck's in_channels.
img_scale = (640, 640)  # width, height

model = dict(
    type='YOLOX',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        bgr_to_rgb=True,
        pad_size_divisor=32,
        batch_augments=[
            dict(type='BatchSyncRandomResize', random_size_range=(480, 800), size_divisor=32,
                 interval=10)
        ]),
    neck=dict(
        type='YOLOXPAFPN',
        out_channels=160,
        num_csp_blocks=1,
        use_depthwise=False,
        upsample_cfg=dict(scale_factor=2, mode='nearest'),
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish')),
    bbox_head=dict(
        type='YOLOXHead',
        num_classes=80,
        in_channels=160,
        feat_channels=160,
        stacked_convs=2,
        strides=(8, 16, 32),
        use_depthwise=False,
        norm_cfg=dict(type='BN', momentum=0.03, eps=0.001),
        act_cfg=dict(type='Swish'),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum',
                      loss_weight=1.0),
        loss_bbox=dict(type='IoULoss', mode='square', eps=1e-16, reduction='sum',
                       loss_weight=5.0),
        loss_obj=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='sum',
                      loss_weight=1.0),
        loss_l1=dict(type='L1Loss', reduction='sum', loss_weight=1.0)),
    train_cfg=dict(assigner=dict(type='SimOTAAssigner', center_radius=2.5)),
    # as in mmdet's YOLOX: score threshold 0.01 for validation (0.001 reproduces the paper's test)
    test_cfg=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.65)))
