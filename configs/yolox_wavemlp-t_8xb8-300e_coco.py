# YOLOX with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as yolox_wavemlp-s_8xb8-300e_coco.py.
# ImageNet weights: official2mmghost.py WaveMLP_T.pth.tar ... --model WaveMLP_T.
_base_ = './yolox_wavemlp-s_8xb8-300e_coco.py'

model = dict(backbone=dict(arch='t'))
