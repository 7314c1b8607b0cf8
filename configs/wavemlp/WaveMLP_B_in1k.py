# Wave-MLP-B with its upstream head (no official weights are released); otherwise as
# WaveMLP_S_in1k.py.
_base_ = './WaveMLP_S_in1k.py'

# upstream eval (timm default_cfg of wave_B): short edge 224 / 0.875 = 256, bicubic, crop 224
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='b'), head=dict(in_channels=768))
