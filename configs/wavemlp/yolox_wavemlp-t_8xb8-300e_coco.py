# YOLOX with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as yolox_wavemlp-s_8xb8-300e_coco.py.
_base_ = './yolox_wavemlp-s_8xb8-300e_coco.py'

pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_T.pth.tar'  # noqa: E501
# official ImageNet-1k weights of Wave-MLP-T (converted on the fly)
model = dict(
    backbone=dict(arch='t', init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
