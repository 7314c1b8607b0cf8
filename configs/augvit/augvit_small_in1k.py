# augvit_small (mode 'base': a plain ViT-S/16, no augmented shortcuts) with its upstream head;
# otherwise as augvit_small_circulant2_in1k.py.
_base_ = './augvit_small_circulant2_in1k.py'

model = dict(backbone=dict(shortcut_mode='base'))
