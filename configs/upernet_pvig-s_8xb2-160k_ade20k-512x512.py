# UperNet + auxiliary FCN head with a Pyramid ViG-S backbone, ADE20K 512x512, 160k iterations,
# 8 GPUs x 2 images, AdamW + linear warmup + poly decay as mmseg's Swin UperNet.
_base_ = [
    '_base_/models/upernet.py',
    '_base_/datasets/ade20k.py',
    '_base_/default_runtime_seg.py',
    '_base_/schedules/schedule_160k.py',
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
pretrained = 'https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/pyramid-vig/pvig_s_82.1.pth.tar'  # noqa: E501
default_scope = 'mmseg'

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmghost.PyramidViG',
        arch='s',
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_eval=False,
        with_cp=False,
        drop_path_rate=0.1,
        # official ImageNet-1k weights, downloaded once into the torch hub cache and converted
        # on the fly (offline use and other files: README, "Pretrained weights")
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    # = backbone.out_channels of Pyramid ViG-S (the auxiliary head reads stage 2)
    decode_head=dict(in_channels=[80, 160, 400, 640], num_classes=150),
    auxiliary_head=dict(in_channels=400, in_index=2, num_classes=150))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0., custom_keys={'pos_embed': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)
]

train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
