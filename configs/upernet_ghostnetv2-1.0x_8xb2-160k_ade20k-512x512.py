# GhostNetV2 1.0x (DFC attention, channels as GhostNet 1.0x) in place of the GhostNet 1.0x of
# upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py']

model = dict(
    backbone=dict(
        type='mmghost.GhostNetV2',
        # ImageNet weights: python tools/model_converters/official2mmghost.py \
        #     ck_ghostnetv2_10.pth.tar checkpoints/ghostnetv2_1.0x_mmghost.pth \
        #     --model ghostnetv2_1.0x
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ghostnetv2_1.0x_mmghost.pth'),
    ))
