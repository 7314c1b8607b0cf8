# The Mask R-CNN recipe with mmdet's PVT optimizer (AdamW, lr 1e-4, weight decay 1e-4; schedule,
# data and 8 GPUs x 2 images unchanged). mmdet has no PVT Mask R-CNN: this is its PVT RetinaNet
# recipe on the Mask R-CNN head.
_base_ = './mask-rcnn_fpn_1x_coco.py'

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, weight_decay=0.0001))

recipe = dict(
    source='mmdet::pvt/retinanet_pvt-s_fpn_1x_coco.py',
    why='PVT-Small is the baseline of the Vision GNN paper\'s detection tables, and its authors '
    'trained with stock mmdetection (Efficient-AI-Backbones #104, #233); mmdet has no PVT Mask '
    'R-CNN, so its PVT RetinaNet optimizer and schedule (PVT\'s own Mask R-CNN uses lr 2e-4)')
