# TinyNet-C with its upstream head, at its resolution (184 = int(224 x r));
# otherwise as tinynet_a_in1k.py.
_base_ = './tinynet_a_in1k.py'

# upstream eval: short edge floor(184 / 0.875) = 210, bicubic, centre crop 184
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=210, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=184),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='c'))
