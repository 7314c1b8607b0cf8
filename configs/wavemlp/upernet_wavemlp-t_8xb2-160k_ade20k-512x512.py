# UperNet with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as upernet_wavemlp-s_8xb2-160k_ade20k-512x512.py.
_base_ = './upernet_wavemlp-s_8xb2-160k_ade20k-512x512.py'

pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_T.pth.tar'  # noqa: E501
# official ImageNet-1k weights of Wave-MLP-T (converted on the fly)
model = dict(
    backbone=dict(arch='t', init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
