# The UperNet recipe: UperNet + auxiliary FCN head, ADE20K 512x512, 160k iterations, 8 GPUs x 2
# images, AdamW + linear warmup + poly decay as mmseg's Swin UperNet. No backbone: a config adds
# one from ../backbones/ with its normalisation, no-decay keys and the heads' in_channels.
_base_ = [
    '../models/upernet.py',
    '../datasets/ade20k.py',
    '../default_runtime_seg.py',
    '../schedules/schedule_160k.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
default_scope = 'mmseg'

# BatchNorm statistics are shared across GPUs, as in mmseg's CNN configs (the heads' norm_cfg is
# SyncBN): a distributed run converts the BatchNorm layers of the backbone (GhostNet, TinyNet,
# G-Ghost, Pyramid ViG, Wave-MLP-T; norm_eval=False, 2 images per GPU) to SyncBatchNorm. A
# single-process run keeps plain BatchNorm (mmengine reverts SyncBN), and so does CPU distributed
# training (gloo has no SyncBN; tools/train.py warns).
sync_bn = 'torch'

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)
]

train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 4/8/16/32 of 256 channels; a config adds its in_channels and the
# heads' (neck=dict(_base_.simple_pyramid_neck, in_channels=C),
# decode_head=dict(in_channels=[256] * 4), auxiliary_head=dict(in_channels=256))
simple_pyramid_neck = dict(type='mmghost.SimplePyramid', out_channels=256)
