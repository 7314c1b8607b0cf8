# G-Ghost RegNetX-002 with its upstream head (upstream defines this size but released no
# weights for it); otherwise as g_ghost_regnetx_040_in1k.py.
_base_ = './g_ghost_regnetx_040_in1k.py'

model = dict(backbone=dict(arch='002'), head=dict(in_channels=368))
