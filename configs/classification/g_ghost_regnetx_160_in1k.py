# G-Ghost RegNetX-160 with its upstream head; otherwise as g_ghost_regnetx_040_in1k.py.
# Official weights: g_ghost_regnet_16.0g_79.9.pth, converted with
# official2mmghost.py --model g_ghost_regnetx_160 --classifier.
_base_ = './g_ghost_regnetx_040_in1k.py'

model = dict(backbone=dict(arch='160'), head=dict(in_channels=2048))
