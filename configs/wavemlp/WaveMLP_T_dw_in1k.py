# Wave-MLP-T* (depthwise phase convs, BatchNorm) with its upstream head; otherwise as
# WaveMLP_S_in1k.py.
_base_ = './WaveMLP_S_in1k.py'

model = dict(backbone=dict(arch='t_dw'))
