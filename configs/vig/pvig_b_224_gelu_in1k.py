# Pyramid ViG-B with its upstream head; otherwise as pvig_s_224_gelu_in1k.py.
_base_ = './pvig_s_224_gelu_in1k.py'

model = dict(backbone=dict(arch='b'), head=dict(in_channels=1024))
