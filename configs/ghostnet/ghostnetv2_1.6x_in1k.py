# GhostNetV2 1.6x with its upstream head; otherwise as ghostnetv2_1.0x_in1k.py.
_base_ = './ghostnetv2_1.0x_in1k.py'

model = dict(backbone=dict(arch='1.6x'), head=dict(in_channels=1536))
