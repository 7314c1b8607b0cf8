# Mask R-CNN with a Wave-MLP-T backbone (BatchNorm throughout; the same channels as S, so the
# neck / heads are unchanged); otherwise as mask-rcnn_wavemlp-s_fpn_1x_coco.py.
_base_ = './mask-rcnn_wavemlp-s_fpn_1x_coco.py'

pretrained = 'https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp/WaveMLP_T.pth.tar'  # noqa: E501
# official ImageNet-1k weights of Wave-MLP-T (converted on the fly)
model = dict(
    backbone=dict(arch='t', init_cfg=dict(type='Pretrained', checkpoint=pretrained)))
