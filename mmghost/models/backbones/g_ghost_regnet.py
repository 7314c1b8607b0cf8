"""G-Ghost RegNet: RegNetX with GPU-efficient Ghost stages, as a multi-scale backbone.

Paper: Han et al., "GhostNets on Heterogeneous Devices via Cheap Operations", IJCV 2022
(arXiv:2201.03297). Official code: huawei-noah/Efficient-AI-Backbones,
``g_ghost_pytorch/g_ghost_regnet.py``.

Layout: blocks, the model, the official checkpoint converters, the official variants.
"""
from functools import partial

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from ...registry import MODELS
from ...weights.fitting import linear_cls_head, rename_prefix
from ...weights.records import RELEASES, OfficialModel, Weights
from ..family import Converters, Family, Paper
from ..layers.grad_checkpoint import maybe_checkpoint
from .base import MultiScaleBackbone, select_arch

__all__ = ['GGhostRegNet', 'convert_official_g_ghost_regnet',
           'convert_official_g_ghost_regnet_head']


class Bottleneck(nn.Module):
    """RegNetX bottleneck (expansion 1): 1x1, 3x3 grouped (carries the stride), 1x1, plus the
    shortcut (a strided 1x1 conv + BN where the shape changes), then the activation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output (and inner) channels.
        stride (int): Defaults to 1.
        group_width (int): Channels per group of the 3x3 conv (one group if it exceeds
            ``out_channels``). Defaults to 1.
        drop_path (float): Stochastic depth of the residual branch. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
    """

    def __init__(self, in_channels, out_channels, stride=1, group_width=1, drop_path=0.,
                 with_cp=False, norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')):
        super().__init__()
        self.with_cp = with_cp
        groups = out_channels // min(out_channels, group_width)
        self.conv1 = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv2 = ConvModule(out_channels, out_channels, 3, stride, 1, groups=groups,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv3 = ConvModule(out_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = ConvModule(in_channels, out_channels, 1, stride, norm_cfg=norm_cfg,
                                         act_cfg=None)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.act = build_activation_layer(act_cfg)

    def _inner_forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.act(self.drop_path(self.conv3(self.conv2(self.conv1(x)))) + shortcut)

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)


class GhostStage(nn.Module):
    """A G-Ghost stage of ``depth`` blocks: only part of the channels go through the deep path,
    the rest are cheap features enriched with the deep path's global context.

    ``base`` (strided bottleneck, ``C`` channels) -> its first ``raw`` channels run through
    ``depth - 2`` bottlenecks (``layers``, group width ``int(0.75 * group_width)``); the other
    ``C - raw`` channels go through a 1x1 conv + BN (``cheap``), plus ``merge`` of the globally
    average-pooled ``base`` output and every ``layers`` output (1x1 conv, BN, ReLU, 1x1 conv,
    BN, on a ``1x1`` map, so added to every position), then ReLU. ``end`` (bottleneck) takes the
    deep features followed by the cheap ones. ``raw = int(C * (1 - cheap_ratio) / gw') * gw'``.

    ``merge`` holds BatchNorms on ``1x1`` maps: training needs more than one image per
    BatchNorm (batch > 1, SyncBN across GPUs or ``norm_eval=True``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels ``C``.
        depth (int): Blocks including ``base`` and ``end``; at least 3.
        group_width (int): Group width of ``base`` and ``end``; at least 2.
        stride (int): Stride of ``base``. Defaults to 2.
        cheap_ratio (float): Share of the channels made cheaply (before rounding ``raw`` down to
            the deep path's group width). Defaults to 0.5.
        drop_paths (Sequence[float]): Stochastic depth of the ``depth`` blocks, in order.
            Defaults to zeros.
        with_cp (bool): Gradient checkpointing per bottleneck. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
    """

    def __init__(self, in_channels, out_channels, depth, group_width, stride=2, cheap_ratio=0.5,
                 drop_paths=None, with_cp=False, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        drop_paths = drop_paths or [0.] * depth
        ghost_group_width = int(group_width * 0.75)
        self.raw_channels = int(out_channels * (1 - cheap_ratio) / ghost_group_width) \
            * ghost_group_width
        cheap_channels = out_channels - self.raw_channels
        if self.raw_channels <= 0 or cheap_channels <= 0:
            raise ValueError(f'cheap_ratio {cheap_ratio} leaves no deep or no cheap channels '
                             f'of {out_channels} (deep channels are multiples of '
                             f'{ghost_group_width})')
        common = dict(with_cp=with_cp, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.base = Bottleneck(in_channels, out_channels, stride, group_width, drop_paths[0],
                               **common)
        self.layers = nn.Sequential(*[
            Bottleneck(self.raw_channels, self.raw_channels, 1, ghost_group_width, rate, **common)
            for rate in drop_paths[1:-1]])
        self.merge = nn.Sequential(
            ConvModule(out_channels + self.raw_channels * (depth - 2), cheap_channels, 1,
                       norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(cheap_channels, cheap_channels, 1, norm_cfg=norm_cfg, act_cfg=None))
        self.cheap = ConvModule(cheap_channels, cheap_channels, 1, norm_cfg=norm_cfg,
                                act_cfg=None)
        self.cheap_act = build_activation_layer(act_cfg)
        self.end = Bottleneck(out_channels, out_channels, 1, group_width, drop_paths[-1],
                              **common)

    def forward(self, x):
        x = self.base(x)
        # pooling each map apart equals pooling their concatenation, without building it
        pooled = [F.adaptive_avg_pool2d(x, 1)]
        deep = x[:, :self.raw_channels]
        for layer in self.layers:
            deep = layer(deep)
            pooled.append(F.adaptive_avg_pool2d(deep, 1))
        context = self.merge(torch.cat(pooled, dim=1))
        cheap = self.cheap_act(self.cheap(x[:, self.raw_channels:]) + context)
        return self.end(torch.cat([deep, cheap], dim=1))


def _regnetx(depths, widths, group_width):
    return dict(depths=depths, widths=widths, group_width=group_width)


@MODELS.register_module()
class GGhostRegNet(MultiScaleBackbone):
    """G-Ghost RegNetX backbone, outputs at strides 4/8/16/32 (one per stage, its last block).

    Stem (3x3 conv, stride 2, 32 channels, BN, ReLU), then four stages of RegNetX bottlenecks,
    each opening with a stride 2. Stage 0 is plain; stage 2 is always a :class:`GhostStage`,
    stages 1 and 3 are when they have more than 2 blocks (as upstream).

    ========  =====================  ========================  ===========  ===============
    arch      depths                 channels (4/8/16/32)      group width  Ghost stages
    ========  =====================  ========================  ===========  ===============
    ``002``   1, 1, 4, 7             24 / 56 / 152 / 368       8            2, 3
    ``004``   1, 2, 7, 12            32 / 64 / 160 / 384       16           2, 3
    ``006``   1, 3, 5, 7             48 / 96 / 240 / 528       24           1, 2, 3
    ``008``   1, 3, 7, 5             64 / 128 / 288 / 672      16           1, 2, 3
    ``016``   2, 4, 10, 2            72 / 168 / 408 / 912      24           1, 2
    ``032``   2, 6, 15, 2            96 / 192 / 432 / 1008     48           1, 2
    ``040``   2, 5, 14, 2            80 / 240 / 560 / 1360     40           1, 2
    ``064``   2, 4, 10, 1            168 / 392 / 784 / 1624    56           1, 2
    ``080``   2, 5, 15, 1            80 / 240 / 720 / 1920     120          1, 2
    ``120``   2, 5, 11, 1            224 / 448 / 896 / 2240    112          1, 2
    ``160``   2, 6, 13, 1            256 / 512 / 896 / 2048    128          1, 2
    ``320``   2, 7, 13, 1            336 / 672 / 1344 / 2520   168          1, 2
    ========  =====================  ========================  ===========  ===============

    Official ImageNet weights exist for ``032``, ``040``, ``080`` and ``160``. Any input size
    works; every stride-2 conv rounds up (``ceil(H / 2)``). The Ghost stages' ``merge``
    BatchNorms act on ``1x1`` maps: training needs more than one image per BatchNorm.

    Args:
        arch (str | dict): ``'002'`` .. ``'320'`` (aliases ``'regnetx_002'`` ..), or a dict
            with ``depths``, ``widths`` (4 entries each) and ``group_width``.
            Defaults to ``'040'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        cheap_ratio (float): Share of cheap channels in the Ghost stages. Defaults to 0.5.
        out_indices (Sequence[int]): Stages to return. Defaults to ``(0, 1, 2, 3)``.
        frozen_stages (int): ``-1`` none, ``0`` the stem, ``i`` also stages ``< i``.
            Defaults to -1.
        norm_eval (bool): BatchNorm layers stay in eval mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per bottleneck. Defaults to False.
        drop_path_rate (float): Stochastic depth of the bottlenecks' residual branches, linear
            over all blocks (upstream uses none). Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly; an official checkpoint is converted on the fly. Defaults to None.
    """

    arch_zoo = {
        **dict.fromkeys(['002', 'regnetx_002'],
                        _regnetx([1, 1, 4, 7], [24, 56, 152, 368], 8)),
        **dict.fromkeys(['004', 'regnetx_004'],
                        _regnetx([1, 2, 7, 12], [32, 64, 160, 384], 16)),
        **dict.fromkeys(['006', 'regnetx_006'],
                        _regnetx([1, 3, 5, 7], [48, 96, 240, 528], 24)),
        **dict.fromkeys(['008', 'regnetx_008'],
                        _regnetx([1, 3, 7, 5], [64, 128, 288, 672], 16)),
        **dict.fromkeys(['016', 'regnetx_016'],
                        _regnetx([2, 4, 10, 2], [72, 168, 408, 912], 24)),
        **dict.fromkeys(['032', 'regnetx_032'],
                        _regnetx([2, 6, 15, 2], [96, 192, 432, 1008], 48)),
        **dict.fromkeys(['040', 'regnetx_040'],
                        _regnetx([2, 5, 14, 2], [80, 240, 560, 1360], 40)),
        **dict.fromkeys(['064', 'regnetx_064'],
                        _regnetx([2, 4, 10, 1], [168, 392, 784, 1624], 56)),
        **dict.fromkeys(['080', 'regnetx_080'],
                        _regnetx([2, 5, 15, 1], [80, 240, 720, 1920], 120)),
        **dict.fromkeys(['120', 'regnetx_120'],
                        _regnetx([2, 5, 11, 1], [224, 448, 896, 2240], 112)),
        **dict.fromkeys(['160', 'regnetx_160'],
                        _regnetx([2, 6, 13, 1], [256, 512, 896, 2048], 128)),
        **dict.fromkeys(['320', 'regnetx_320'],
                        _regnetx([2, 7, 13, 1], [336, 672, 1344, 2520], 168)),
    }
    num_stages = 4
    stem_channels = 32
    input_conv = 'stem.conv'

    def __init__(self, arch='040', in_channels=3, cheap_ratio=0.5, out_indices=(0, 1, 2, 3),
                 frozen_stages=-1, norm_eval=False, with_cp=False, drop_path_rate=0.,
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('depths', 'widths', 'group_width'))
        depths, widths, group_width = list(arch['depths']), list(arch['widths']), \
            arch['group_width']
        if len(depths) != self.num_stages or len(widths) != self.num_stages:
            raise ValueError(f'arch needs {self.num_stages} depths and widths, got {depths} '
                             f'and {widths}')
        if min(depths) < 1 or depths[2] < 3:
            raise ValueError(f'arch depths must be >= 1, and >= 3 for stage 2 (always a Ghost '
                             f'stage), got {depths}')
        if not isinstance(group_width, int) or group_width < 2:
            raise ValueError(f'arch group_width must be an int >= 2 (the Ghost stages use '
                             f'int(0.75 * group_width)), got {group_width!r}')
        if not 0 < cheap_ratio < 1:
            raise ValueError(f'cheap_ratio must be in (0, 1), got {cheap_ratio}')

        self.stem = ConvModule(in_channels, self.stem_channels, 3, 2, 1, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)
        drop_rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        common = dict(with_cp=with_cp, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.stages = nn.ModuleList()
        in_channels, first = self.stem_channels, 0
        for i, (depth, width) in enumerate(zip(depths, widths)):
            rates = drop_rates[first:first + depth]
            if i == 2 or (i > 0 and depth > 2):
                stage = GhostStage(in_channels, width, depth, group_width, 2, cheap_ratio, rates,
                                   **common)
            else:
                stage = nn.Sequential(*[
                    Bottleneck(in_channels if j == 0 else width, width, 2 if j == 0 else 1,
                               group_width, rate, **common) for j, rate in enumerate(rates)])
            self.stages.append(stage)
            in_channels, first = width, first + depth

        self._setup_outputs(widths, [4, 8, 16, 32])


# Official sub-keys -> mmghost sub-keys, inside a bottleneck and a Ghost stage.
_BOTTLENECK_KEYS = {
    'conv1.': 'conv1.conv.', 'bn1.': 'conv1.bn.', 'conv2.': 'conv2.conv.', 'bn2.': 'conv2.bn.',
    'conv3.': 'conv3.conv.', 'bn3.': 'conv3.bn.', 'downsample.0.': 'downsample.conv.',
    'downsample.1.': 'downsample.bn.'}
_STAGE_KEYS = {'merge.1.': 'merge.0.conv.', 'merge.2.': 'merge.0.bn.',
               'merge.4.': 'merge.1.conv.', 'merge.5.': 'merge.1.bn.',
               'cheap.0.': 'cheap.conv.', 'cheap.1.': 'cheap.bn.'}


_rename = partial(rename_prefix, family='G-Ghost RegNet')


def _convert_stage_key(rest, key):
    """``{i}.*`` / ``base.*`` / ``end.*`` / ``layers.{i}.*`` (bottlenecks) and the Ghost
    stage's own ``merge`` / ``cheap`` keys, below ``layerK.``."""
    head, tail = rest.split('.', 1)
    if head.isdigit() or head in ('base', 'end'):
        return f'{head}.{_rename(tail, _BOTTLENECK_KEYS, key)}'
    if head == 'layers':
        index, tail = tail.split('.', 1)
        return f'layers.{index}.{_rename(tail, _BOTTLENECK_KEYS, key)}'
    return _rename(rest, _STAGE_KEYS, key)


def convert_official_g_ghost_regnet(state_dict):
    """Converts an official G-Ghost RegNet state dict (``g_ghost_regnet.py``) to
    :class:`GGhostRegNet`. The classifier (``fc.*``) is dropped (the released files' ``module.``
    is stripped before, by ``unwrap_state_dict``).

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    converted = {}
    for name, value in state_dict.items():
        if name.startswith('fc.'):
            continue
        if name.startswith('conv1.'):
            new_key = 'stem.conv.' + name[len('conv1.'):]
        elif name.startswith('bn1.'):
            new_key = 'stem.bn.' + name[len('bn1.'):]
        elif name.startswith('layer') and name[5:6] in '1234' and name[6:7] == '.':
            new_key = f'stages.{int(name[5]) - 1}.{_convert_stage_key(name[7:], name)}'
        else:
            raise KeyError(f'Unknown official G-Ghost RegNet key {name!r}')
        converted[new_key] = value
    return converted


def convert_official_g_ghost_regnet_head(state_dict):
    """The upstream classifier after global average pooling and dropout, ``fc`` (Linear), as
    mmpretrain's ``LinearClsHead`` keys."""
    return linear_cls_head(state_dict, 'fc.')


# Released ImageNet-1k checkpoints, release tag 'g_ghost_regnet' (file names from its README;
# the download path follows GitHub's release layout).
_RELEASE = dict(
    quirks=('module_prefix', ),
    evidence="Efficient-AI-Backbones #282 (3.2g: unexpected key 'module.conv1.weight') and #167")
_WEIGHTS = {
    '032': Weights(RELEASES + 'g_ghost_regnet/g_ghost_regnet_3.2g_77.8.pth', top1=77.8,
                   **_RELEASE),
    '040': Weights(RELEASES + 'g_ghost_regnet/g_ghost_regnet_4.0g_78.6.pth', top1=78.6,
                   **_RELEASE),
    '080': Weights(RELEASES + 'g_ghost_regnet/g_ghost_regnet_8.0g_79.0.pth', top1=79.0,
                   **_RELEASE),
    '160': Weights(RELEASES + 'g_ghost_regnet/g_ghost_regnet_16.0g_79.9.pth', top1=79.9,
                   **_RELEASE),
}
_NO_WEIGHTS = 'upstream released G-Ghost RegNet weights for 032, 040, 080 and 160 only'

_OFFICIAL_MODELS = {
    f'g_ghost_regnetx_{size}': OfficialModel(
        backbone=dict(type='mmghost.GGhostRegNet', arch=size),
        weights=_WEIGHTS.get(size),
        no_weights=None if size in _WEIGHTS else _NO_WEIGHTS,
        # upstream: global average pooling, Dropout(0.2) (training only), Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=GGhostRegNet.arch_zoo[size]['widths'][-1],
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_g_ghost_regnet_head)
    for size in ('002', '004', '006', '008', '016', '032', '040', '064', '080', '120', '160',
                 '320')
}


FAMILY = Family(
    papers=(Paper('G-Ghost RegNet', 'GhostNets on Heterogeneous Devices via Cheap Operations',
                  'https://arxiv.org/abs/2201.03297', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/g_ghost_pytorch',
                  ('mmghost.GGhostRegNet', )), ),
    backbones={GGhostRegNet: Converters(convert_official_g_ghost_regnet)},
    official_models=_OFFICIAL_MODELS,
    smallest=('g_ghost_regnetx_002', ),
    config_models={'g_ghost': 'g_ghost_regnetx_040'})
