# GhostNet 0.5x with its upstream head; otherwise as ghostnet_1.0x_in1k.py.
_base_ = './ghostnet_1.0x_in1k.py'

model = dict(backbone=dict(arch='0.5x'), head=dict(in_channels=480))
