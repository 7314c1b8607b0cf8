# G-Ghost RegNetX-160 with its upstream head; otherwise as g_ghost_regnetx_040_in1k.py.
# Official weights (converted on the fly):
#   python tools/test.py configs/g_ghost_regnet/g_ghost_regnetx_160_in1k.py \
#       https://github.com/huawei-noah/Efficient-AI-Backbones/releases/download/g_ghost_regnet/g_ghost_regnet_16.0g_79.9.pth
_base_ = './g_ghost_regnetx_040_in1k.py'

model = dict(backbone=dict(arch='160'), head=dict(in_channels=2048))
