# RetinaNet with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as retinanet_wavemlp-s_fpn_1x_coco.py.
# ImageNet weights: official2mmghost.py WaveMLP_T.pth.tar ... --model WaveMLP_T.
_base_ = './retinanet_wavemlp-s_fpn_1x_coco.py'

model = dict(backbone=dict(arch='t'))
