# Mask R-CNN + Pyramid ViG-S trained from scratch on the synthetic shapes demo set
# (`python tools/make_demo_data.py`; boxes + polygon masks), sized for a CPU.
# The model of vig/mask-rcnn_pvig-s_fpn_1x_coco.py on the demo data and schedule.
_base_ = [
    '../_base_/models/mask-rcnn_fpn.py',
    '../_base_/datasets/demo_coco_instance.py',
    '../_base_/schedules/demo_adamw_5e.py',
    '../_base_/default_runtime.py',
    '../_base_/backbones/vig.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

model = dict(
    data_preprocessor=_base_.img_norm,
    # trained from scratch (the demo never needs the network): BatchNorm must learn its
    # statistics
    backbone=dict(_base_.pvig_backbone, norm_eval=False, drop_path_rate=0., init_cfg=None),
    neck=dict(in_channels=[80, 160, 400, 640]),
    # fewer proposals and RoI samples: a handful of objects per image
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=_base_.max_epochs, max_keep_ckpts=1))
log_processor = dict(window_size=10)
