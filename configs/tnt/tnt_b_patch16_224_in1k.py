# TNT-B with its upstream head; otherwise as tnt_s_patch16_224_in1k.py.
_base_ = './tnt_s_patch16_224_in1k.py'

model = dict(backbone=dict(arch='b'), head=dict(in_channels=640))
