# Isotropic ViG-B with its upstream head; otherwise as pvig_s_224_gelu_in1k.py.
_base_ = './pvig_s_224_gelu_in1k.py'

model = dict(backbone=dict(_delete_=True, type='mmghost.ViG', arch='b', out_indices=(-1, )),
             head=dict(in_channels=640))
