# The UperNet recipe: UperNet + auxiliary FCN head, ADE20K 512x512, 160k iterations, SGD + poly
# decay: mmseg's stock UperNet (upernet_r50, 4 GPUs x 4 images; here 8 x 2, the same batch of 16).
# No backbone: a config adds one from ../backbones/ with its normalisation, no-decay keys and the
# heads' in_channels. upernet_swin-adamw_8xb2-160k_ade20k-512x512.py swaps in mmseg's Swin
# optimizer and schedule.
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

# schedule_160k's SGD (lr 0.01, momentum 0.9, weight decay 5e-4) and poly decay
optim_wrapper = dict(paramwise_cfg=dict(norm_decay_mult=0.))

train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

# where the training recipe comes from (tools/analysis_tools/zoo.py reads it; the tests
# compare the optimizer, schedule and batch with the source)
recipe = dict(
    source='mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
    why='the stock recipe of the head for a convolutional backbone: no recipe or baseline of the '
    'family\'s paper is on record')

# the neck for a stride-16 (isotropic) backbone: mmghost.SimplePyramid (ViTDet's simple pyramid)
# turns its map into strides 4/8/16/32 of 256 channels; a config adds its in_channels and the
# heads' (neck=dict(_base_.simple_pyramid_neck, in_channels=C),
# decode_head=dict(in_channels=[256] * 4), auxiliary_head=dict(in_channels=256))
simple_pyramid_neck = dict(type='mmghost.SimplePyramid', out_channels=256)
