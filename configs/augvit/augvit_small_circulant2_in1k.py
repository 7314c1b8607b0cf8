# AugViT-S (mode circulant2) with its upstream head, to evaluate ImageNet weights in the
# upstream format (none are released upstream; e.g. your own run of augvit_pytorch/train.py),
# converted on the fly:
#   python tools/test.py configs/augvit/augvit_small_circulant2_in1k.py augvit_s.pth
# The eval pipeline and normalisation are those of pvig_s_224_gelu_in1k.py: upstream's timm
# default_cfg is the same (short edge 248 = 224 / 0.9, bicubic, centre crop 224; RGB to [-1, 1]).
_base_ = '../vig/pvig_s_224_gelu_in1k.py'

# = mmghost.official.official_classifier_cfg('augvit_small_circulant2') + the data preprocessor
model = dict(
    # upstream head input: the class token after the final LayerNorm
    backbone=dict(_delete_=True, type='mmghost.AugViT', arch='s', shortcut_mode='circulant2',
                  out_indices=(-1, ), out_type='cls_token', final_norm=True),
    neck=None,
    # upstream `head`: one Linear
    head=dict(
        _delete_=True,
        type='LinearClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss')))
