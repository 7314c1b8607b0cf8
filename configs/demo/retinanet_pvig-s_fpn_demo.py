# RetinaNet + Pyramid ViG-S trained from scratch on the synthetic shapes demo set
# (`python tools/make_demo_data.py`), sized for a 2-core CPU: `python tools/run_demo.py`
# (or `python tools/train.py configs/demo/retinanet_pvig-s_fpn_demo.py --classes-from-data`;
# the classes, and every head's num_classes, are the data's).
# The model of retinanet_pvig_s_coco.py with a lighter head, on the demo data and schedule.
# Measured on 2 CPU cores: ~1.2 s per iteration, about 4.5 minutes for tools/run_demo.py in
# all, bbox mAP 0.64 on the demo val split (docs/get_started.md, "The demo").
_base_ = [
    '../_base_/models/retinanet_fpn.py',
    '../_base_/datasets/demo_coco_detection.py',
    '../_base_/schedules/demo_adamw_5e.py',
    '../_base_/default_runtime.py',
    '../_base_/backbones/vig.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

model = dict(
    data_preprocessor=_base_.img_norm,
    # trained from scratch (the demo never needs the network): BatchNorm must learn its
    # statistics
    backbone=dict(_base_.pvig_backbone, out_indices=(1, 2, 3), norm_eval=False,
                  drop_path_rate=0., init_cfg=None),
    # P3-P5 (anchors 16-101 px) suffice for the shapes
    neck=dict(in_channels=[160, 400, 640], out_channels=128, num_outs=3),
    bbox_head=dict(
        in_channels=128,
        feat_channels=128,
        stacked_convs=2,
        anchor_generator=dict(octave_base_scale=2, strides=[8, 16, 32])))

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=_base_.max_epochs, max_keep_ckpts=1))
log_processor = dict(window_size=10)
