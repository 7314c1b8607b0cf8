# RetinaNet + FPN with a Pyramid ViG-S backbone, COCO 2017, 1x schedule (12 epochs), 8 GPUs x 2
# images, 1333x800: the recipe _base_/recipes/retinanet_fpn_pvt-adamw_1x_coco.py (mmdet's PVT
# RetinaNet optimizer, AdamW lr 1e-4 weight decay 1e-4, the baseline of the Vision GNN paper's
# RetinaNet table) with the Pyramid ViG-S of _base_/backbones/vig.py, which starts from the
# official ImageNet-1k weights. The repository's headline config, configs/retinanet_pvig_s_coco.py,
# is this one.
_base_ = ['../_base_/recipes/retinanet_fpn_pvt-adamw_1x_coco.py', '../_base_/backbones/vig.py']

model = dict(
    # Pyramid ViG is trained on RGB scaled to [-1, 1]
    data_preprocessor=_base_.img_norm,
    # strides 8/16/32; the stride-4 map is not used by RetinaNet
    backbone=dict(_base_.pvig_backbone, out_indices=(1, 2, 3)),
    # = backbone.out_channels of Pyramid ViG-S for out_indices (1, 2, 3)
    neck=dict(in_channels=[160, 400, 640]))
# no weight decay on BatchNorm and the position embedding
optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)
