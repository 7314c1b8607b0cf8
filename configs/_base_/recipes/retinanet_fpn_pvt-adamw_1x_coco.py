# The RetinaNet recipe with mmdet's PVT optimizer (AdamW, lr 1e-4, weight decay 1e-4; schedule,
# data and 8 GPUs x 2 images unchanged): the baseline of the Vision GNN paper's RetinaNet table.
_base_ = './retinanet_fpn_1x_coco.py'

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, weight_decay=0.0001))

recipe = dict(
    source='mmdet::pvt/retinanet_pvt-s_fpn_1x_coco.py',
    why='PVT-Small RetinaNet 1x (40.4 AP) is the baseline of the Vision GNN paper\'s RetinaNet '
    'table, and its authors trained with stock mmdetection (Efficient-AI-Backbones #104, #233)')
