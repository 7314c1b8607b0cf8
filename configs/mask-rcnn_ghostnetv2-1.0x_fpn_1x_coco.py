# GhostNetV2 1.0x (DFC attention, channels as GhostNet 1.0x) in place of the GhostNet 1.0x of
# mask-rcnn_ghostnet-1.0x_fpn_1x_coco.py.
_base_ = ['./mask-rcnn_ghostnet-1.0x_fpn_1x_coco.py']

model = dict(
    backbone=dict(
        type='mmghost.GhostNetV2',
        # ImageNet weights: python tools/model_converters/official2mmghost.py \
        #     ck_ghostnetv2_10.pth.tar checkpoints/ghostnetv2_1.0x_mmghost.pth \
        #     --model ghostnetv2_1.0x
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ghostnetv2_1.0x_mmghost.pth'),
    ))
