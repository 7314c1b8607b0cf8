# RetinaNet + FPN with a TinyNet-A backbone; otherwise as retinanet_pvig_s_coco.py.
_base_ = './retinanet_pvig_s_coco.py'

model = dict(
    # ImageNet mean/std, RGB (the upstream training normalisation)
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        _delete_=True,
        type='mmghost.TinyNet',
        arch='a',
        out_indices=(1, 2, 4),  # strides 8/16/32, the last from the final 1x1 conv
        frozen_stages=-1,
        norm_eval=True,
        with_cp=False,
        drop_path_rate=0.1,
        # ImageNet weights: python tools/model_converters/official2mmghost.py \
        #     tinynet_a.pth checkpoints/tinynet-a.pth \
        #     --model tinynet_a
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/tinynet-a.pth'),
        init_cfg=None),
    # = backbone.out_channels for out_indices (1, 2, 4)
    neck=dict(in_channels=[40, 112, 1280]))
