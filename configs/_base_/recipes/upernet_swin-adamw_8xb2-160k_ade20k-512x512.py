# The UperNet recipe with mmseg's Swin optimizer and schedule: AdamW, lr 6e-5, weight decay 0.01,
# 1500 linear warm-up iterations, then poly decay (power 1) to 0 (data, 160k iterations and 8 GPUs
# x 2 images unchanged).
_base_ = './upernet_8xb2-160k_ade20k-512x512.py'

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.00006, betas=(0.9, 0.999),
                   weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)
]

recipe = dict(
    source='mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',
    why='the stock recipe of the head for a transformer backbone: no recipe or baseline of the '
    'family\'s paper is on record')
