# G-Ghost RegNetX-080 with its upstream head; otherwise as g_ghost_regnetx_040_in1k.py.
# Official weights: g_ghost_regnet_8.0g_79.0.pth, converted with
# official2mmghost.py --model g_ghost_regnetx_080 --classifier.
_base_ = './g_ghost_regnetx_040_in1k.py'

model = dict(backbone=dict(arch='080'), head=dict(in_channels=1920))
