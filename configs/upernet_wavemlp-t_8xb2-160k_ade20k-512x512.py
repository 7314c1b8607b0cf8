# UperNet with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as upernet_wavemlp-s_8xb2-160k_ade20k-512x512.py.
# ImageNet weights: official2mmghost.py WaveMLP_T.pth.tar ... --model WaveMLP_T.
_base_ = './upernet_wavemlp-s_8xb2-160k_ade20k-512x512.py'

model = dict(backbone=dict(arch='t'))
