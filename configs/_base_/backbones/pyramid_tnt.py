# PyramidTNT-S (mmghost.PyramidTNT) with the paper's detection pyramid, for the det / seg configs:
# every stage output upsampled by 2 (transposed conv + BN + GELU, 3x3 conv + BN + GELU), strides
# 4/8/16/32, channels 128/256/512/512. The upsampling layers are new: the official weights load
# into the rest. Each config picks its outputs, e.g.
# `backbone=dict(_base_.ptnt_backbone, out_indices=(1, 2, 3))`.
_base_ = '../families/pyramid_tnt.py'

ptnt_backbone = dict(
    type='mmghost.PyramidTNT',
    arch='s',
    out_indices=(0, 1, 2, 3),
    upsample=True,
    frozen_stages=-1,
    norm_eval=True,
    with_cp=False,
    drop_path_rate=0.1,
    # Random init: upstream publishes PyramidTNT weights on Baidu Disk only, with no URL to
    # download from. With a local copy of the official file (converted on the fly):
    # init_cfg=dict(type='Pretrained', checkpoint='/path/to/ptnt_s.pth.tar'),
    init_cfg=None)

# The paper's COCO recipe for RetinaNet and Mask R-CNN 1x (its settings as a third-party summary
# gives them; the paper itself was not read). The det configs train with ptnt_det_optimizer and
# declare ptnt_det_recipe, which records what the source states (the tests compare the two).
ptnt_det_optimizer = dict(type='AdamW', lr=0.0001, weight_decay=0.05)
ptnt_det_recipe = dict(
    source='PyramidTNT paper (arXiv 2201.00978), COCO settings, as summarised in '
    'zhuanlan.zhihu.com/p/454761367',
    stated=dict(optimizer=dict(type='AdamW', lr=0.0001, weight_decay=0.05), batch_per_gpu=2,
                max_epochs=12),
    why='the recipe the family\'s paper states for RetinaNet / Mask R-CNN 1x')
