# UperNet + Pyramid ViG-S trained from scratch on the synthetic shapes demo set in ADE20K layout
# (`python tools/make_demo_data.py`; 4 classes with background), 160x160 crops, sized for a CPU.
# The model of vig/upernet_pvig-s_8xb2-160k_ade20k-512x512.py on the demo data, 1000 iterations.
_base_ = [
    '../_base_/models/upernet.py',
    '../_base_/datasets/demo_ade.py',
    '../_base_/default_runtime_seg.py',
    '../_base_/schedules/schedule_160k.py',
    '../_base_/backbones/vig.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)

norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN needs CUDA; BN works everywhere
model = dict(
    data_preprocessor=dict(_base_.img_norm, size=_base_.crop_size),
    # from scratch (no ImageNet weights: the demo never needs the network)
    backbone=dict(_base_.pvig_backbone, norm_eval=False, drop_path_rate=0., init_cfg=None),
    decode_head=dict(in_channels=[80, 160, 400, 640], channels=128, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=400, channels=64, norm_cfg=norm_cfg))

# ---- schedule: 1000 iterations, validation at the end only ----
max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=50, end=max_iters, by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
