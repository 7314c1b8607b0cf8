# UperNet + auxiliary FCN head with a GhostNet 1.0x backbone, ADE20K 512x512, 160k iterations;
# heads, AdamW and data as upernet_pvig-s_8xb2-160k_ade20k-512x512.py.
_base_ = ['./upernet_pvig-s_8xb2-160k_ade20k-512x512.py', './_base_/models/ghostnet.py']

model = dict(
    data_preprocessor=_base_.imagenet_norm,
    # strides 4/8/16/32; BatchNorm trains, as in the Pyramid ViG UperNet
    backbone=dict(_base_.ghostnet_backbone, norm_eval=False),
    # = backbone.out_channels of GhostNet 1.0x for out_indices (0, 1, 2, 4); the auxiliary head
    # reads the stride-16 stage
    decode_head=dict(in_channels=[24, 40, 112, 960]),
    auxiliary_head=dict(in_channels=112, in_index=2))
