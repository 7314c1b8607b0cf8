# TinyNet-E with its upstream head, at its resolution (106 = int(224 x r));
# otherwise as tinynet_a_in1k.py.
_base_ = './tinynet_a_in1k.py'

# upstream eval: short edge floor(106 / 0.875) = 121, bicubic, centre crop 106
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=121, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=106),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='e'))
