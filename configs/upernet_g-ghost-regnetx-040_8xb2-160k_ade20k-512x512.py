# UperNet with a G-Ghost RegNetX-4.0GF backbone; otherwise as
# upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = './upernet_pvig-s_8xb2-160k_ade20k-512x512.py'

model = dict(
    # ImageNet mean/std, RGB (the upstream training normalisation)
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='mmghost.GGhostRegNet',
        arch='040',
        out_indices=(0, 1, 2, 3),  # strides 4/8/16/32
        frozen_stages=-1,
        norm_eval=False,
        with_cp=False,
        drop_path_rate=0.,
        # ImageNet weights: python tools/model_converters/official2mmghost.py \
        #     g_ghost_regnet_4.0g_78.6.pth checkpoints/g-ghost-040.pth \
        #     --model g_ghost_regnetx_040
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/g-ghost-040.pth'),
        init_cfg=None),
    # = backbone.out_channels (the auxiliary head reads stage 2)
    decode_head=dict(in_channels=[80, 240, 560, 1360]),
    auxiliary_head=dict(in_channels=560))
