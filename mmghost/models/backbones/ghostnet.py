"""GhostNet and GhostNetV2 as detection / segmentation backbones.

Papers: Han et al., "GhostNet: More Features from Cheap Operations", CVPR 2020
(arXiv:1911.11907); Tang et al., "GhostNetV2: Enhance Cheap Operation with Long-Range
Attention", NeurIPS 2022 (arXiv:2211.12905). Official code: huawei-noah/Efficient-AI-Backbones,
``ghostnet_pytorch/ghostnet.py`` and ``ghostnetv2_pytorch/model/ghostnetv2_torch.py``.

Layout: blocks (in :mod:`mmghost.models.layers.ghost`), the models, the official and timm
checkpoint converters, the official variants.
"""
import numbers
from functools import partial

import torch
from mmcv.cnn import ConvModule
from torch import nn

from ...registry import MODELS
from ...weights.fitting import rename_prefix
from ...weights.records import RELEASES, OfficialModel, Weights
from ..family import Converters, Family, Paper
from ..layers.channels import make_divisible
from ..layers.ghost import GhostBottleneck
from .base import MultiScaleBackbone, select_arch

__all__ = ['GhostNet', 'GhostNetV2', 'convert_official_ghostnet', 'convert_official_ghostnet_head',
           'convert_timm_ghostnet']

# The upstream block table: one tuple per upstream ``blocks[i]`` group, one row
# (kernel, expansion, out channels, SE ratio, stride) per bottleneck, channels at width 1.0.
GHOSTNET_BLOCKS = (
    ((3, 16, 16, 0, 1), ),
    ((3, 48, 24, 0, 2), ),
    ((3, 72, 24, 0, 1), ),
    ((5, 72, 40, 0.25, 2), ),
    ((5, 120, 40, 0.25, 1), ),
    ((3, 240, 80, 0, 2), ),
    ((3, 200, 80, 0, 1), (3, 184, 80, 0, 1), (3, 184, 80, 0, 1), (3, 480, 112, 0.25, 1),
     (3, 672, 112, 0.25, 1)),
    ((5, 672, 160, 0.25, 2), ),
    ((5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0, 1), (5, 960, 160, 0.25, 1)),
)
STEM_CHANNELS = 16
FINAL_CHANNELS = 960  # the 1x1 ConvBnAct after the blocks (upstream ``blocks[9]``)
NUM_RESOLUTIONS = 4  # stages at strides 4/8/16/32; the final 1x1 conv is stage index 4


def group_stages():
    """Resolution stage of each upstream group: a stage starts at each stride-2 group except the
    first, so the stride-1 ``blocks[0]`` (at stride 2) opens stage 0 and every stage ends where
    its resolution ends."""
    stages, stage = [], 0
    for i, group in enumerate(GHOSTNET_BLOCKS):
        if group[0][4] == 2 and any(g[0][4] == 2 for g in GHOSTNET_BLOCKS[:i]):
            stage += 1
        stages.append(stage)
    return stages


@MODELS.register_module()
class GhostNet(MultiScaleBackbone):
    """GhostNet backbone, outputs at strides 4/8/16/32 (+ the final 1x1 conv).

    Stem (3x3 conv, stride 2, norm, ReLU), then 16 Ghost bottlenecks in four stages, each
    ending where its resolution ends (upstream ``blocks[0..2]``, ``[3..4]``, ``[5..6]``,
    ``[7..8]``; the stride-2 ``blocks[0]`` opens stage 0), then the 1x1 ConvBnAct to
    ``960 * width`` channels (upstream ``blocks[9]``) as a fifth stage at stride 32. Channels
    are ``make_divisible(c * width, 4)`` as upstream. Any input size >= 32 works; every
    stride-2 conv rounds up.

    Stages after the last ``out_indices`` entry are not run and are frozen (see
    :meth:`~mmghost.models.backbones.base.MultiScaleBackbone._unused_modules`).

    Args:
        arch (str | dict): ``'0.5x'``, ``'1.0x'``, ``'1.3x'`` (aliases without the ``x``), or
            ``dict(width=w)`` for any positive width. Defaults to ``'1.0x'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        out_indices (Sequence[int]): Stages to return: 0-3 the stride 4/8/16/32 stage ends
            (``24/40/112/160`` channels at 1.0x), 4 the final 1x1 conv (``960``, stride 32).
            Defaults to ``(0, 1, 2, 3)``.
        frozen_stages (int): ``-1`` none, ``0`` the stem, ``i`` also stages ``< i`` (5: all).
            Defaults to -1.
        norm_eval (bool): BatchNorm layers stay in eval mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per bottleneck. Defaults to False.
        drop_path_rate (float): Stochastic depth on the bottlenecks' residual branches, linear
            over the 16 bottlenecks (upstream has none). Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly. Defaults to None (mmcv ``ConvModule`` initialisation).
    """

    arch_zoo = {
        **dict.fromkeys(['0.5x', '0.5'], dict(width=0.5)),
        **dict.fromkeys(['1.0x', '1.0'], dict(width=1.0)),
        **dict.fromkeys(['1.3x', '1.3'], dict(width=1.3)),
    }
    #: Bottlenecks from this global index on have DFC attention (GhostNetV2); None: none.
    dfc_from_block = None
    input_conv = 'stem.conv'

    def __init__(self, arch='1.0x', in_channels=3, out_indices=(0, 1, 2, 3), frozen_stages=-1,
                 norm_eval=False, with_cp=False, drop_path_rate=0., norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        width = select_arch(arch, self.arch_zoo, ('width', ))['width']
        if not isinstance(width, numbers.Real) or width <= 0:
            raise ValueError(f'arch width must be a positive number, got {width!r}')
        self.width = width

        channels = make_divisible(STEM_CHANNELS * width, 4)
        self.stem = ConvModule(in_channels, channels, 3, 2, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        rows = [(stage, row) for stage, group in zip(group_stages(), GHOSTNET_BLOCKS)
                for row in group]
        drop_rates = torch.linspace(0, drop_path_rate, len(rows)).tolist()
        stages = [[] for _ in range(NUM_RESOLUTIONS)]
        for index, (stage, (kernel, expansion, out, se_ratio, stride)) in enumerate(rows):
            out = make_divisible(out * width, 4)
            dfc = self.dfc_from_block is not None and index >= self.dfc_from_block
            stages[stage].append(GhostBottleneck(
                channels, make_divisible(expansion * width, 4), out, kernel, stride, se_ratio,
                dfc=dfc, drop_path=drop_rates[index], with_cp=with_cp, norm_cfg=norm_cfg,
                act_cfg=act_cfg))
            channels = out
        stage_channels = [stage[-1].ghost2.out_channels for stage in stages]
        final = make_divisible(FINAL_CHANNELS * width, 4)
        self.stages = nn.ModuleList([
            *(nn.Sequential(*stage) for stage in stages),
            ConvModule(channels, final, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)])

        self._setup_outputs([*stage_channels, final], [4, 8, 16, 32, 32])


@MODELS.register_module()
class GhostNetV2(GhostNet):
    """GhostNetV2 backbone: :class:`GhostNet` with DFC attention.

    The expanding Ghost module of every bottleneck from the third on (upstream ``layer_id > 1``,
    counted over all 16) is gated by the decoupled fully connected attention
    (:class:`~mmghost.models.layers.ghost.DFCAttention`), computed on the bottleneck input
    pooled by 2 and upsampled (nearest) back to its size, as upstream; where a side is 1 it is
    not pooled (upstream fails there). Stages, outputs and arguments are those of
    :class:`GhostNet`.

    Args:
        arch (str | dict): ``'1.0x'``, ``'1.3x'``, ``'1.6x'`` (aliases without the ``x``), or
            ``dict(width=w)``. Defaults to ``'1.0x'``.
        out_indices (Sequence[int]): As :class:`GhostNet`. Defaults to ``(0, 1, 2, 3)``.
        frozen_stages (int): As :class:`GhostNet`. Defaults to -1.
        norm_eval (bool): Defaults to False.
        with_cp (bool): Defaults to False.
        drop_path_rate (float): Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='ReLU')``.
        init_cfg (dict, optional): Defaults to None.
    """

    arch_zoo = {
        **dict.fromkeys(['1.0x', '1.0'], dict(width=1.0)),
        **dict.fromkeys(['1.3x', '1.3'], dict(width=1.3)),
        **dict.fromkeys(['1.6x', '1.6'], dict(width=1.6)),
    }
    dfc_from_block = 2


def _official_prefixes():
    """``{'blocks.{group}.{row}.': 'stages.{stage}.{index}.'}`` plus the final conv."""
    prefixes, counts = {}, [0] * NUM_RESOLUTIONS
    for group, (stage, rows) in enumerate(zip(group_stages(), GHOSTNET_BLOCKS)):
        for row in range(len(rows)):
            prefixes[f'blocks.{group}.{row}.'] = f'stages.{stage}.{counts[stage]}.'
            counts[stage] += 1
    prefixes[f'blocks.{len(GHOSTNET_BLOCKS)}.0.'] = f'stages.{NUM_RESOLUTIONS}.'
    return prefixes


def _conv_bn(official, ours, pairs):
    """Official ``{official}.{2i}`` conv / ``.{2i + 1}`` BN -> ``{ours}{i}.conv`` / ``.bn``."""
    return {f'{official}.{2 * i + j}.': f'{ours}{i}.{("conv", "bn")[j]}.'
            for i in range(pairs) for j in (0, 1)}


# Official sub-keys under each bottleneck -> mmghost sub-keys.
_OFFICIAL_BLOCK_KEYS = {
    **{f'{ghost}.{part}.{i}.': f'{ghost}.{part}.{("conv", "bn")[i]}.'
       for ghost in ('ghost1', 'ghost2') for part in ('primary_conv', 'cheap_operation')
       for i in (0, 1)},
    **_conv_bn('ghost1.short_conv', 'ghost1.attention.convs.', 3),
    **_conv_bn('shortcut', 'shortcut.', 2),
    'conv_dw.': 'conv_dw.conv.', 'bn_dw.': 'conv_dw.bn.',
    'se.conv_reduce.': 'se.conv_reduce.', 'se.conv_expand.': 'se.conv_expand.',
}
_OFFICIAL_TOP_KEYS = {'conv_stem.': 'stem.conv.', 'bn1.': 'stem.bn.'}
_OFFICIAL_FINAL_KEYS = {'conv.': 'conv.', 'bn1.': 'bn.'}
_OFFICIAL_HEAD_KEYS = {'conv_head.': 'head.layers.0.fc.', 'classifier.': 'head.layers.1.fc.'}


_rename = partial(rename_prefix, family='GhostNet')


def convert_official_ghostnet(state_dict):
    """Converts an official GhostNet or GhostNetV2 state dict (any width) to :class:`GhostNet` /
    :class:`GhostNetV2` keys. The classifier (``conv_head``, ``classifier``) is dropped.

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    prefixes = _official_prefixes()
    final = f'stages.{NUM_RESOLUTIONS}.'
    converted = {}
    for key, value in state_dict.items():
        if key.startswith(tuple(_OFFICIAL_HEAD_KEYS)):
            continue
        if key.startswith('blocks.'):
            prefix = '.'.join(key.split('.')[:3]) + '.'
            if prefix not in prefixes:
                raise KeyError(f'Unknown official GhostNet key {key!r}')
            ours = prefixes[prefix]
            table = _OFFICIAL_FINAL_KEYS if ours == final else _OFFICIAL_BLOCK_KEYS
            new_key = ours + _rename(key[len(prefix):], table, key)
        else:
            new_key = _rename(key, _OFFICIAL_TOP_KEYS, key)
        converted[new_key] = value
    return converted


def convert_official_ghostnet_head(state_dict):
    """The upstream classifier, global pool -> ``conv_head`` (1x1, bias) -> ReLU -> dropout ->
    ``classifier``, as mmpretrain's ``StackedLinearClsHead`` keys (the 1x1 conv acts on the
    pooled features, so it is a linear layer)."""
    converted = {}
    for key, value in state_dict.items():
        if key.startswith(tuple(_OFFICIAL_HEAD_KEYS)):
            converted[_rename(key, _OFFICIAL_HEAD_KEYS, key)] = value.flatten(1) \
                if value.ndim == 4 else value
    return converted


def convert_timm_ghostnet(state_dict):
    """timm's ``ghostnet_050/100/130`` and ``ghostnetv2_100/130/160`` use the official key
    names unchanged (timm loads the official files as they are), so this only checks that the
    state dict is not timm's re-parameterisable GhostNetV3.

    Raises:
        KeyError: a GhostNetV3 (``*_rpr_*``) key.
    """
    v3 = [key for key in state_dict if '_rpr_' in key]
    if v3:
        raise KeyError(f'timm GhostNetV3 keys (e.g. {v3[0]!r}) have no GhostNet/V2 counterpart')
    return dict(state_dict)


def _ghostnet_classifier(width):
    return dict(
        backbone=dict(out_indices=(-1, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='StackedLinearClsHead', num_classes=1000,
                  in_channels=make_divisible(FINAL_CHANNELS * width, 4), mid_channels=[1280],
                  dropout_rate=0.2, norm_cfg=None, act_cfg=dict(type='ReLU'),
                  loss=dict(type='CrossEntropyLoss')))


# Released ImageNet-1k checkpoints (top-1 as upstream reports it). GhostNet 1.0x is the file
# timm downloads (the same weights as the repo's state_dict_73.98.pth); GhostNetV2 files are in
# the repo's GhostNetV2 release.
_V2_RELEASE = dict(
    quirks=('thop', ),
    evidence="Efficient-AI-Backbones #164 and #175 list the total_ops / total_params keys; "
    "timm's GhostNetV2 checkpoint filter skips keys containing 'total'")
_WEIGHTS = {
    'ghostnet_1.0x': Weights(
        'https://github.com/huawei-noah/CV-backbones/releases/download/ghostnet_pth/'
        'ghostnet_1x.pth', top1=73.98, note='the URL timm uses; README 73.98 / 91.46',
        evidence='a plain state dict: timm and upstream validate.py load it strictly, no filter'),
    'ghostnetv2_1.0x': Weights(RELEASES + 'GhostNetV2/ck_ghostnetv2_10.pth.tar', top1=75.3,
                               **_V2_RELEASE),
    'ghostnetv2_1.3x': Weights(RELEASES + 'GhostNetV2/ck_ghostnetv2_13.pth.tar', top1=76.9,
                               note='read off the README figure', **_V2_RELEASE),
    'ghostnetv2_1.6x': Weights(RELEASES + 'GhostNetV2/ck_ghostnetv2_16.pth.tar', top1=77.8,
                               note='read off the README figure', **_V2_RELEASE),
}
_NO_WEIGHTS = 'upstream released GhostNet weights for the 1.0x width only'


def _official_model(cls, arch):
    name = f'{cls.__name__.lower()}_{arch}'
    return OfficialModel(
        backbone=dict(type=f'mmghost.{cls.__name__}', arch=arch),
        weights=_WEIGHTS.get(name),
        no_weights=None if name in _WEIGHTS else _NO_WEIGHTS,
        classifier=_ghostnet_classifier(cls.arch_zoo[arch]['width']),
        convert_head=convert_official_ghostnet_head)


_OFFICIAL_MODELS = {
    **{f'ghostnet_{arch}': _official_model(GhostNet, arch) for arch in ('0.5x', '1.0x', '1.3x')},
    **{f'ghostnetv2_{arch}': _official_model(GhostNetV2, arch)
       for arch in ('1.0x', '1.3x', '1.6x')},
}


FAMILY = Family(
    papers=(Paper('GhostNet', 'GhostNet: More Features from Cheap Operations',
                  'https://arxiv.org/abs/1911.11907', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/ghostnet_pytorch',
                  ('mmghost.GhostNet', )),
            Paper('GhostNetV2', 'GhostNetV2: Enhance Cheap Operation with Long-Range Attention',
                  'https://arxiv.org/abs/2211.12905', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/ghostnetv2_pytorch',
                  ('mmghost.GhostNetV2', ))),
    backbones={GhostNet: Converters(convert_official_ghostnet, convert_timm_ghostnet),
               GhostNetV2: Converters(convert_official_ghostnet, convert_timm_ghostnet)},
    official_models=_OFFICIAL_MODELS,
    smallest=('ghostnet_0.5x', 'ghostnetv2_1.0x'),
    config_models={'ghostnet': 'ghostnet_1.0x', 'ghostnetv2': 'ghostnetv2_1.0x'})
