# G-Ghost RegNetX-032 with its upstream head; otherwise as g_ghost_regnetx_040_in1k.py.
# Official weights: g_ghost_regnet_3.2g_77.8.pth, converted with
# official2mmghost.py --model g_ghost_regnetx_032 --classifier.
_base_ = './g_ghost_regnetx_040_in1k.py'

model = dict(backbone=dict(arch='032'), head=dict(in_channels=1008))
