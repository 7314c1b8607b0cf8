# The Mask R-CNN recipe with mmdet's Swin optimizer: AdamW, lr 1e-4, weight decay 0.05, 1000
# warm-up iterations (data, 1x schedule and 8 GPUs x 2 images unchanged).
_base_ = './mask-rcnn_fpn_1x_coco.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.0001, betas=(0.9, 0.999),
                   weight_decay=0.05))

recipe = dict(
    source='mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py',
    why='the stock recipe of the head for a transformer backbone: no recipe or baseline of the '
    'family\'s paper is on record')
