# PyramidTNT-Ti with its upstream head, trained at 192; otherwise as ptnt_s_patch16_256_in1k.py.
_base_ = './ptnt_s_patch16_256_in1k.py'

# upstream eval (timm default_cfg): short edge floor(192 / 0.9) = 213, bicubic, centre crop 192
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=213, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=192),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='ti'), head=dict(in_channels=320))
