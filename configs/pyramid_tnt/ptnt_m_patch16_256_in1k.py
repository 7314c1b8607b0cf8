# PyramidTNT-M with its upstream head; otherwise as ptnt_s_patch16_256_in1k.py.
_base_ = './ptnt_s_patch16_256_in1k.py'

model = dict(backbone=dict(arch='m'), head=dict(in_channels=768))
