# TinyNet-B with its upstream head, at its resolution (188 = int(224 x r));
# otherwise as tinynet_a_in1k.py.
_base_ = './tinynet_a_in1k.py'

# upstream eval: short edge floor(188 / 0.875) = 214, bicubic, centre crop 188
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=214, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=188),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='b'))
