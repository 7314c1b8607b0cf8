# TinyNet-D with its upstream head, at its resolution (152 = int(224 x r));
# otherwise as tinynet_a_in1k.py.
_base_ = './tinynet_a_in1k.py'

# upstream eval: short edge floor(152 / 0.875) = 173, bicubic, centre crop 152
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=173, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=152),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(backbone=dict(arch='d'))
