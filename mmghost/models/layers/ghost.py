"""Ghost building blocks: the Ghost module (with GhostNetV2's DFC attention), squeeze-excite and
the Ghost bottleneck.

Semantics follow the official GhostNet / GhostNetV2 code (huawei-noah/Efficient-AI-Backbones,
``ghostnet_pytorch/ghostnet.py`` and ``ghostnetv2_pytorch/model/ghostnetv2_torch.py``); the code
is written anew. Convs are mmcv ``ConvModule`` s (bias-free conv, norm, optional activation).
"""
import math

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from .channels import make_divisible
from .grad_checkpoint import maybe_checkpoint
from .tracing import for_any_size

_GATES = {'hard_sigmoid': F.hardsigmoid, 'sigmoid': torch.sigmoid}


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: global average pool, 1x1 conv (bias), activation, 1x1 conv
    (bias), gate; the input is scaled by the gate channel-wise.

    Args:
        channels (int): Input (and output) channels.
        squeeze_channels (int): Channels of the bottleneck.
        act_cfg (dict): Activation between the convs. Defaults to ``dict(type='ReLU')``.
        gate (str): ``'hard_sigmoid'`` (``relu6(x + 3) / 6``, GhostNet) or ``'sigmoid'``.
            Defaults to ``'hard_sigmoid'``.
    """

    def __init__(self, channels, squeeze_channels, act_cfg=dict(type='ReLU'),
                 gate='hard_sigmoid'):
        super().__init__()
        if gate not in _GATES:
            raise ValueError(f'Unknown gate {gate!r}; choose one of {sorted(_GATES)}')
        self.conv_reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = build_activation_layer(act_cfg)
        self.conv_expand = nn.Conv2d(squeeze_channels, channels, 1)
        self.gate = _GATES[gate]

    def forward(self, x):
        scale = self.conv_expand(self.act(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * self.gate(scale)


class DFCAttention(nn.Module):
    """GhostNetV2's decoupled fully connected (DFC) attention gate.

    On the input average-pooled by 2: a conv + norm to the output channels, then a depthwise
    ``1 x k`` and a depthwise ``k x 1`` conv (each + norm, no activation), a sigmoid, and a
    nearest upsampling to the output's size; the output is multiplied by it.

    Where a side of the input is 1, it is not pooled (upstream fails there); elsewhere the
    pooling floors and the upsampling is the upstream nearest one, so odd sizes give the
    upstream gate. A trace for any input size pools 2x2 (a graph's pooling window is fixed), so
    an exported model needs sides of at least 2 here.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Channels of the gated output.
        kernel_size (int): The first conv's kernel (the Ghost module's primary kernel).
            Defaults to 1.
        stride (int): The first conv's stride. Defaults to 1.
        dfc_kernel (int): Length of the horizontal and vertical depthwise kernels.
            Defaults to 5.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
    """

    def __init__(self, in_channels, out_channels, kernel_size=1, stride=1, dfc_kernel=5,
                 norm_cfg=dict(type='BN')):
        super().__init__()
        pad = dfc_kernel // 2
        self.convs = nn.Sequential(
            ConvModule(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                       norm_cfg=norm_cfg, act_cfg=None),
            ConvModule(out_channels, out_channels, (1, dfc_kernel), 1, (0, pad),
                       groups=out_channels, norm_cfg=norm_cfg, act_cfg=None),
            ConvModule(out_channels, out_channels, (dfc_kernel, 1), 1, (pad, 0),
                       groups=out_channels, norm_cfg=norm_cfg, act_cfg=None))

    def forward(self, x, out):
        """Returns ``out`` gated by the attention computed from ``x`` (the module input)."""
        any_size = for_any_size()
        pool = (2, 2) if any_size else (min(2, x.shape[-2]), min(2, x.shape[-1]))
        gate = torch.sigmoid(self.convs(F.avg_pool2d(x, pool, pool)))
        height, width = out.shape[-2:]
        if not any_size and (height, width) == (2 * gate.shape[-2], 2 * gate.shape[-1]):
            # exact 2x nearest upsampling: repeat_interleave is the same map, and faster
            return out * gate.repeat_interleave(2, dim=-1).repeat_interleave(2, dim=-2)
        return out * F.interpolate(gate, size=(height, width), mode='nearest')


class GhostModule(nn.Module):
    """Ghost module: a primary conv makes ``ceil(out / ratio)`` channels, a cheap depthwise
    conv makes ``ratio - 1`` more from each; the first ``out_channels`` of both are returned.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Primary conv kernel. Defaults to 1.
        ratio (int): Output / primary channels. Defaults to 2.
        dw_size (int): Cheap depthwise conv kernel. Defaults to 3.
        stride (int): Primary conv stride. Defaults to 1.
        dfc (bool): Gate the output with :class:`DFCAttention` (GhostNetV2's ``mode='attn'``).
            Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after both convs; None for none (the linear
            projection). Defaults to ``dict(type='ReLU')``.
    """

    def __init__(self, in_channels, out_channels, kernel_size=1, ratio=2, dw_size=3, stride=1,
                 dfc=False, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__()
        if ratio < 2:
            raise ValueError(f'GhostModule ratio must be >= 2, got {ratio}')
        self.out_channels = out_channels
        primary = math.ceil(out_channels / ratio)
        # cheap channels that survive the cut to out_channels
        self.cheap_kept = out_channels - primary
        self.cut_cheap = self.cheap_kept < primary * (ratio - 1)
        self.primary_conv = ConvModule(in_channels, primary, kernel_size, stride,
                                       kernel_size // 2, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.cheap_operation = ConvModule(primary, primary * (ratio - 1), dw_size, 1,
                                          dw_size // 2, groups=primary, norm_cfg=norm_cfg,
                                          act_cfg=act_cfg)
        self.attention = DFCAttention(in_channels, out_channels, kernel_size, stride,
                                      norm_cfg=norm_cfg) if dfc else None

    def forward(self, x):
        primary = self.primary_conv(x)
        cheap = self.cheap_operation(primary)
        if self.cut_cheap:
            # cut before concatenating: same values as cat(...)[:, :out], no strided copy
            cheap = cheap[:, :self.cheap_kept]
        out = torch.cat([primary, cheap], dim=1)
        if self.attention is not None:
            out = self.attention(x, out)
        return out


class GhostBottleneck(nn.Module):
    """Ghost bottleneck: Ghost module (expand, activation), for stride 2 a depthwise conv +
    norm (no activation), optional squeeze-excite, Ghost module (project, linear), plus the
    shortcut (identity, or depthwise conv + norm and 1x1 conv + norm). No activation after the
    sum.

    Args:
        in_channels (int): Input channels.
        mid_channels (int): Expanded channels.
        out_channels (int): Output channels.
        dw_kernel_size (int): Kernel of the strided depthwise convs. Defaults to 3.
        stride (int): 1 or 2. Defaults to 1.
        se_ratio (float): Squeeze-excite channels = ``make_divisible(mid * se_ratio, 4)``;
            0 for none. Defaults to 0.
        dfc (bool): DFC attention in the expanding Ghost module (GhostNetV2). Defaults to False.
        drop_path (float): Stochastic depth on the residual branch. Defaults to 0.
        with_cp (bool): Gradient checkpointing. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
    """

    def __init__(self, in_channels, mid_channels, out_channels, dw_kernel_size=3, stride=1,
                 se_ratio=0., dfc=False, drop_path=0., with_cp=False, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'GhostBottleneck stride must be 1 or 2, got {stride}')
        self.with_cp = with_cp
        pad = (dw_kernel_size - 1) // 2
        self.ghost1 = GhostModule(in_channels, mid_channels, dfc=dfc, norm_cfg=norm_cfg,
                                  act_cfg=act_cfg)
        self.conv_dw = ConvModule(mid_channels, mid_channels, dw_kernel_size, stride, pad,
                                  groups=mid_channels, norm_cfg=norm_cfg,
                                  act_cfg=None) if stride > 1 else None
        self.se = SqueezeExcite(mid_channels, make_divisible(mid_channels * se_ratio, 4),
                                act_cfg) if se_ratio > 0 else None
        self.ghost2 = GhostModule(mid_channels, out_channels, norm_cfg=norm_cfg, act_cfg=None)
        if in_channels == out_channels and stride == 1:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                ConvModule(in_channels, in_channels, dw_kernel_size, stride, pad,
                           groups=in_channels, norm_cfg=norm_cfg, act_cfg=None),
                ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None))
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def _inner_forward(self, x):
        out = self.ghost1(x)
        if self.conv_dw is not None:
            out = self.conv_dw(out)
        if self.se is not None:
            out = self.se(out)
        out = self.drop_path(self.ghost2(out))
        return out.add_(self.shortcut(x))

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)
