# AugViT-S (mode circulant2) with its upstream head, to evaluate ImageNet weights in the
# upstream format (none are released upstream; e.g. your own run of augvit_pytorch/train.py),
# converted on the fly:
#   python tools/test.py configs/augvit/augvit_small_circulant2_in1k.py augvit_s.pth
_base_ = [
    '../_base_/datasets/imagenet_bicubic-248-224.py', '../_base_/default_runtime_cls.py',
    '../_base_/families/augvit.py'
]
custom_imports = dict(imports=['mmghost'], allow_failed_imports=False)
# upstream eval (timm default_cfg): the dataset base's short edge 248, bicubic, centre crop 224

# = mmghost.weights.official.official_classifier_cfg('augvit_small_circulant2') + the data
# preprocessor
model = dict(
    type='ImageClassifier',
    # the family's normalisation (RGB)
    data_preprocessor=dict(_base_.img_norm, num_classes=1000, to_rgb=True),
    # upstream head input: the class token after the final LayerNorm
    backbone=dict(type='mmghost.AugViT', arch='s', shortcut_mode='circulant2',
                  out_indices=(-1, ), out_type='cls_token', final_norm=True),
    neck=None,
    # upstream `head`: one Linear
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=384,
        loss=dict(type='CrossEntropyLoss')))
