# AugViT-B (mode circulant2) with its upstream head; otherwise as augvit_small_circulant2_in1k.py.
_base_ = './augvit_small_circulant2_in1k.py'

model = dict(backbone=dict(arch='b'), head=dict(in_channels=768))
