"""The inverted residual (MBConv) block of the EfficientNet family.

Semantics follow timm's EfficientNet blocks, which the official TinyNet code builds on
(huawei-noah/Efficient-AI-Backbones, ``tinynet_pytorch``); written anew with mmcv bricks.
"""
from mmcv.cnn import ConvModule
from mmcv.cnn.bricks import DropPath
from torch import nn

from .ghost import SqueezeExcite
from .grad_checkpoint import maybe_checkpoint


class InvertedResidual(nn.Module):
    """MBConv: 1x1 expansion, depthwise conv, squeeze-and-excitation, 1x1 linear projection.

    With ``expand_ratio=1`` there is no expansion conv: EfficientNet's depthwise-separable
    ('ds') block. SE (``se_ratio`` of the input channels) uses ``act_cfg`` and a sigmoid gate.
    The residual (with stochastic depth) is added when the stride is 1 and the channels are
    kept. No activation follows the projection or the sum.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size (padding ``kernel_size // 2``).
        stride (int): Depthwise stride. Defaults to 1.
        expand_ratio (int): Hidden channels / input channels. Defaults to 6.
        se_ratio (float): Squeeze channels / *input* channels (``round``); 0 disables SE.
            Defaults to 0.25.
        drop_path (float): Stochastic depth rate of the residual branch. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after the expansion, the depthwise conv and inside SE.
            Defaults to ``dict(type='SiLU')``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, expand_ratio=6,
                 se_ratio=0.25, drop_path=0., with_cp=False, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='SiLU')):
        super().__init__()
        self.with_cp = with_cp
        self.has_residual = stride == 1 and in_channels == out_channels
        mid_channels = in_channels * expand_ratio
        self.expand = None
        if expand_ratio != 1:
            self.expand = ConvModule(in_channels, mid_channels, 1, norm_cfg=norm_cfg,
                                     act_cfg=act_cfg)
        self.depthwise = ConvModule(mid_channels, mid_channels, kernel_size, stride,
                                    kernel_size // 2, groups=mid_channels, norm_cfg=norm_cfg,
                                    act_cfg=act_cfg)
        self.se = None
        if se_ratio > 0:
            self.se = SqueezeExcite(mid_channels, round(in_channels * se_ratio), act_cfg,
                                    gate='sigmoid')
        self.project = ConvModule(mid_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.drop_path = DropPath(drop_path) if self.has_residual and drop_path > 0 \
            else nn.Identity()

    def _inner_forward(self, x):
        out = x if self.expand is None else self.expand(x)
        out = self.depthwise(out)
        if self.se is not None:
            out = self.se(out)
        out = self.project(out)
        return x + self.drop_path(out) if self.has_residual else out

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)
