# augvit_small_linear2 (two dense augmented shortcuts per residual) with its upstream head;
# otherwise as augvit_small_circulant2_in1k.py.
_base_ = './augvit_small_circulant2_in1k.py'

model = dict(backbone=dict(shortcut_mode='linear2'))
