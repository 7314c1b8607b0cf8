"""TinyNet: EfficientNet-B0 shrunk by resolution, width and depth, as a multi-scale backbone.

Paper: Han et al., "Model Rubik's Cube: Twisting Resolution, Depth and Width for TinyNets",
NeurIPS 2020 (arXiv:2010.14819). Official code: huawei-noah/Efficient-AI-Backbones,
``tinynet_pytorch`` (built with timm's EfficientNet generator; timm ships the same networks and
weights as ``tinynet_a`` .. ``tinynet_e``).

Layout: blocks (in :mod:`mmghost.models.layers.mobile`), the model, the official checkpoint
converters, the official variants.
"""
import numbers
from functools import partial

from mmcv.cnn import ConvModule
from torch import nn

from ...registry import MODELS
from ...weights.fitting import linear_cls_head, rename_prefix
from ...weights.records import OLD_RELEASES, OfficialModel, Weights
from ..family import Converters, Family, Paper
from ..layers.channels import make_divisible
from ..layers.mobile import InvertedResidual
from .base import MultiScaleBackbone, select_arch

__all__ = ['TinyNet', 'convert_official_tinynet', 'convert_official_tinynet_head']

# EfficientNet-B0's block groups: (repeats, kernel, stride, expand_ratio, out_channels).
BASE_GROUPS = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
               (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
# The block groups of each output stage (strides 4/8/16/32): each stage ends where the
# resolution ends (group 0 runs at stride 2 and opens the stride-4 stage).
STAGE_GROUPS = ((0, 1), (2, ), (3, 4), (5, 6))
STEM_CHANNELS = 32  # not width-scaled (timm ``fix_stem``)
HEAD_CHANNELS = 1280


def scaled_groups(width, depth):
    """``BASE_GROUPS`` scaled as timm's TinyNet generator does: channels rounded to multiples of
    8 (never 10% below), repeats ``max(1, round(r * depth))`` (Python's banker's rounding)."""
    return [(max(1, round(repeats * depth)), kernel, stride, expand,
             make_divisible(channels * width, 8))
            for repeats, kernel, stride, expand, channels in BASE_GROUPS]


@MODELS.register_module()
class TinyNet(MultiScaleBackbone):
    """TinyNet backbone (EfficientNet-B0 layout with TinyNet's width and depth), outputs at
    strides 4/8/16/32, plus the final 1x1 conv.

    Stem (3x3 conv, stride 2, 32 channels, BN, SiLU), then the seven MBConv groups of
    EfficientNet-B0 (the first depthwise-separable; SE with SiLU and a sigmoid gate, sized from
    each block's input), grouped into four stages that each end where their resolution ends:
    stage 0 = groups 0-1 (stride 4; group 0 runs at stride 2), 1 = group 2 (8), 2 = groups 3-4
    (16), 3 = groups 5-6 (32). Stage 4 is upstream's ``conv_head`` (1x1 conv to 1280 channels,
    BN, SiLU; stride 32), which the classifier pools. Channels are ``make_divisible(c * width,
    8)``, repeats ``max(1, round(r * depth))``, as timm's TinyNet generator.

    =====  =====  =====  =========  ===============================  ================
    arch   width  depth  eval size  channels (strides 4/8/16/32/32)  blocks per group
    =====  =====  =====  =========  ===============================  ================
    ``a``  1.0    1.2    192        24 / 40 / 112 / 320 / 1280       1 2 2 4 4 5 1
    ``b``  0.75   1.1    188        24 / 32 / 88 / 240 / 1280        1 2 2 3 3 4 1
    ``c``  0.54   0.85   184        16 / 24 / 64 / 176 / 1280        1 2 2 3 3 3 1
    ``d``  0.54   0.695  152        16 / 24 / 64 / 176 / 1280        1 1 1 2 2 3 1
    ``e``  0.51   0.6    106        16 / 24 / 56 / 160 / 1280        1 1 1 2 2 2 1
    =====  =====  =====  =========  ===============================  ================

    Stages after the last ``out_indices`` entry are not run and are frozen (see
    :meth:`~mmghost.models.backbones.base.MultiScaleBackbone._unused_modules`). Any input size
    works; every stride-2 conv rounds up.

    Args:
        arch (str | dict): ``'a'`` .. ``'e'`` (aliases ``'tinynet_a'`` ..), or a dict with the
            ``width`` and ``depth`` multipliers of EfficientNet-B0. Defaults to ``'a'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        se_ratio (float): Squeeze channels / block input channels. Defaults to 0.25.
        out_indices (Sequence[int]): Stages to return: 0-3 the stride 4/8/16/32 stage ends, 4
            the final 1x1 conv (1280, stride 32). Defaults to ``(0, 1, 2, 3)``.
        frozen_stages (int): ``-1`` none, ``0`` the stem, ``i`` also stages ``< i`` (5: all).
            Defaults to -1.
        norm_eval (bool): BatchNorm layers stay in eval mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per MBConv block. Defaults to False.
        drop_path_rate (float): Stochastic depth of the residual blocks, ``rate * i / n`` for
            block ``i`` of ``n`` (timm's schedule). Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='SiLU')`` (upstream's Swish).
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly; an official (timm-format) checkpoint is converted on the fly. Defaults to
            None (mmcv ``ConvModule`` initialisation).
    """

    arch_zoo = {
        **dict.fromkeys(['a', 'tinynet_a'], dict(width=1.0, depth=1.2)),
        **dict.fromkeys(['b', 'tinynet_b'], dict(width=0.75, depth=1.1)),
        **dict.fromkeys(['c', 'tinynet_c'], dict(width=0.54, depth=0.85)),
        **dict.fromkeys(['d', 'tinynet_d'], dict(width=0.54, depth=0.695)),
        **dict.fromkeys(['e', 'tinynet_e'], dict(width=0.51, depth=0.6)),
    }
    input_conv = 'stem.conv'

    def __init__(self, arch='a', in_channels=3, se_ratio=0.25, out_indices=(0, 1, 2, 3),
                 frozen_stages=-1, norm_eval=False, with_cp=False, drop_path_rate=0.,
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='SiLU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('width', 'depth'))
        width, depth = arch['width'], arch['depth']
        if not all(isinstance(v, numbers.Real) and v > 0 for v in (width, depth)):
            raise ValueError(f'arch width and depth must be positive numbers, got {width!r} and '
                             f'{depth!r}')
        if not 0 <= se_ratio < 1:
            raise ValueError(f'se_ratio must be in [0, 1), got {se_ratio}')

        self.stem = ConvModule(in_channels, STEM_CHANNELS, 3, 2, 1, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)
        groups = scaled_groups(width, depth)
        num_blocks = sum(group[0] for group in groups)
        in_channels, index = STEM_CHANNELS, 0
        self.stages = nn.ModuleList()
        for group_ids in STAGE_GROUPS:
            blocks = []
            for repeats, kernel, stride, expand, channels in (groups[g] for g in group_ids):
                for j in range(repeats):
                    blocks.append(InvertedResidual(
                        in_channels, channels, kernel, stride if j == 0 else 1, expand,
                        se_ratio, drop_path_rate * index / num_blocks, with_cp, norm_cfg,
                        act_cfg))
                    in_channels = channels
                    index += 1
            self.stages.append(nn.Sequential(*blocks))
        head_channels = max(HEAD_CHANNELS, make_divisible(HEAD_CHANNELS * width, 8))
        self.stages.append(ConvModule(in_channels, head_channels, 1, norm_cfg=norm_cfg,
                                      act_cfg=act_cfg))
        stage_channels = [groups[ids[-1]][-1] for ids in STAGE_GROUPS] + [head_channels]
        self._setup_outputs(stage_channels, (4, 8, 16, 32, 32))


# timm EfficientNet sub-keys -> mmghost sub-keys of an MBConv block.
_IR_KEYS = {'conv_pw.': 'expand.conv.', 'bn1.': 'expand.bn.', 'conv_dw.': 'depthwise.conv.',
            'bn2.': 'depthwise.bn.', 'se.': 'se.', 'conv_pwl.': 'project.conv.',
            'bn3.': 'project.bn.'}
# The depthwise-separable block has no expansion; its ``conv_pw`` is the projection.
_DS_KEYS = {'conv_dw.': 'depthwise.conv.', 'bn1.': 'depthwise.bn.', 'se.': 'se.',
            'conv_pw.': 'project.conv.', 'bn2.': 'project.bn.'}


_rename = partial(rename_prefix, family='TinyNet')


def convert_official_tinynet(state_dict):
    """Converts an official TinyNet state dict (timm EfficientNet keys: the official files are
    the ones timm loads) to :class:`TinyNet`. The group depths are read from the keys; the
    classifier (``classifier.*``) is dropped.

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    repeats = {}
    for key in state_dict:
        if key.startswith('blocks.'):
            _, group, block, _ = key.split('.', 3)
            repeats[int(group)] = max(repeats.get(int(group), 0), int(block) + 1)
    if sorted(repeats) != list(range(len(BASE_GROUPS))):
        raise KeyError(f'Not an official TinyNet state dict (needs blocks.0 .. '
                       f'blocks.{len(BASE_GROUPS) - 1}, got groups {sorted(repeats)})')
    position = {}  # (group, block) -> (stage, index in the stage)
    for stage, group_ids in enumerate(STAGE_GROUPS):
        index = 0
        for group in group_ids:
            for block in range(repeats[group]):
                position[group, block] = stage, index
                index += 1
    head = f'stages.{len(STAGE_GROUPS)}.'
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('classifier.'):
            continue
        if key.startswith('conv_stem.'):
            new_key = 'stem.conv.' + key[len('conv_stem.'):]
        elif key.startswith('bn1.'):
            new_key = 'stem.bn.' + key[len('bn1.'):]
        elif key.startswith('conv_head.'):
            new_key = head + 'conv.' + key[len('conv_head.'):]
        elif key.startswith('bn2.'):
            new_key = head + 'bn.' + key[len('bn2.'):]
        elif key.startswith('blocks.'):
            _, group, block, rest = key.split('.', 3)
            stage, index = position[int(group), int(block)]
            table = _IR_KEYS if f'blocks.{group}.{block}.conv_pwl.weight' in state_dict \
                else _DS_KEYS
            new_key = f'stages.{stage}.{index}.{_rename(rest, table, key)}'
        else:
            raise KeyError(f'Unknown official TinyNet key {key!r}')
        converted[new_key] = value
    return converted


def convert_official_tinynet_head(state_dict):
    """The upstream classifier after global average pooling, ``classifier`` (Linear), as
    mmpretrain's ``LinearClsHead`` keys."""
    return linear_cls_head(state_dict, 'classifier.')


# ImageNet-1k top-1 of the release 'v1.2.0' files tinynet_{a..e}.pth (timm uses the same URLs)
_TOP1 = {'a': 76.8, 'b': 75.0, 'c': 71.2, 'd': 67.0, 'e': 59.9}
# the resolution of each TinyNet (int(224 x r)): what it is trained and evaluated at
_RESOLUTION = {'a': 192, 'b': 188, 'c': 184, 'd': 152, 'e': 106}
_RELEASE = dict(
    quirks=('legacy_format', ),
    evidence='timm EfficientNet keys; timm loads these URLs strictly, no filter; trained with '
    'PyTorch 1.3, so possibly saved in the legacy format')

_OFFICIAL_MODELS = {
    f'tinynet_{size}': OfficialModel(
        backbone=dict(type='mmghost.TinyNet', arch=size),
        weights=Weights(f'{OLD_RELEASES}v1.2.0/tinynet_{size}.pth', top1=_TOP1[size],
                        **_RELEASE),
        # timm's default drop_rate is 0: pooling + linear classifier
        classifier=dict(
            backbone=dict(out_indices=(-1, )),  # the final 1x1 conv (upstream conv_head)
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=HEAD_CHANNELS,
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_tinynet_head,
        # the official files are timm checkpoints (timm loads them strictly): same keys
        timm_to_official=dict,
        image_size=_RESOLUTION[size])
    for size in 'abcde'
}


FAMILY = Family(
    papers=(Paper('TinyNet', "Model Rubik's Cube: Twisting Resolution, Depth and Width for "
                  'TinyNets', 'https://arxiv.org/abs/2010.14819', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/tinynet_pytorch',
                  ('mmghost.TinyNet', )), ),
    backbones={TinyNet: Converters(convert_official_tinynet)},
    official_models=_OFFICIAL_MODELS,
    smallest=('tinynet_e', ),
    config_models={'tinynet': 'tinynet_a'})
