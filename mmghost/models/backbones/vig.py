"""Vision GNN: isotropic ViG and Pyramid ViG as detection / segmentation backbones.

Paper: Han et al., "Vision GNN: An Image is Worth Graph of Nodes", NeurIPS 2022
(arXiv:2206.00272). Official code: huawei-noah/Efficient-AI-Backbones, ``vig_pytorch``.

Layout: blocks (in :mod:`mmghost.models.layers.graph`), the models, the official checkpoint
converters, the official variants.
"""
from functools import partial

import torch
from torch import nn

from ...registry import MODELS
from ...weights.fitting import rename_prefix
from ...weights.records import RELEASES, OfficialModel, Weights
from ..family import SIGNED_NORM, Converters, Family, Paper
from ..layers.conv import conv_norm_act
from ..layers.graph import ViGBlock
from ..layers.transformer import resize_map
from .base import MultiScaleBackbone, select_arch

__all__ = ['PyramidViG', 'ViG', 'convert_official_pyramid_vig', 'convert_official_vig',
           'convert_official_vig_head']


class PyramidViGStage(nn.Module):
    """A stride-2 conv downsample (except in the first stage), then ViG blocks."""

    def __init__(self, downsample, blocks):
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        if self.downsample is not None:
            x = self.downsample(x)
        return self.blocks(x)


class VisionGNNBackbone(MultiScaleBackbone):
    """What :class:`ViG` and :class:`PyramidViG` share: a ``stem`` and a learned ``pos_embed``
    (resized to the stem's grid), then ``stages`` applied in turn; ``out_indices`` pick stages.

    ``frozen_stages=0`` freezes the stem and position embedding, ``i`` also ``stages[:i]``.
    Without an ``init_cfg``, convs are initialised Kaiming-normal (fan-in, zero bias) as upstream.
    """

    def _init_layers(self):
        """Upstream's ``model_init``: Kaiming-normal convs (fan-in, gain sqrt(2)), zero bias."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def _frozen_modules(self, num_stages):
        return [self.stem, self.pos_embed, *self.stages[:num_stages]]

    def forward(self, x):
        # The maps are channels-last inside: the 1x1 convs over few channels run several times
        # faster, and the graph convs read each node's features as one row, without copies.
        x = self.stem(x.contiguous(memory_format=torch.channels_last))
        x = (x + resize_map(self.pos_embed, x.shape[-2:])).contiguous(
            memory_format=torch.channels_last)
        return tuple(out.contiguous() for out in self._forward_stages(x))


@MODELS.register_module()
class PyramidViG(VisionGNNBackbone):
    """Pyramid Vision GNN backbone, outputs at strides 4/8/16/32.

    Stem (three 3x3 convs, stride 4) plus a learned position embedding, then four stages of
    Grapher + FFN blocks with stride-2 conv downsampling between them. Keys are pooled by
    ``reduce_ratios`` per stage; KNN dilation grows with the global block index. Works at any
    input size: the position embedding is resized to the stem's grid and the relative position
    term is computed for the actual grids (see :class:`mmghost.models.layers.graph.Grapher`).

    Args:
        arch (str | dict): ``'ti'``/``'tiny'``, ``'s'``/``'small'``, ``'m'``/``'medium'``,
            ``'b'``/``'base'``, or a dict with ``channels`` and ``depths`` (4 entries each).
            Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        k (int): Neighbours per node. Defaults to 9.
        reduce_ratios (Sequence[int]): Key pooling ratio per stage. Defaults to ``(4, 2, 1, 1)``.
        max_dilation (int): Cap of the dilation schedule ``min(i // 4 + 1, max_dilation)``
            (upstream: 49 // k). Defaults to 5.
        ffn_ratio (int): FFN hidden channels / channels. Defaults to 4.
        pretrain_img_size (int): Image size the position terms were trained at; the
            ``pos_embed`` is ``(1, C0, s/4, s/4)`` and the stored relative position terms fit
            its grids. Defaults to 224.
        out_indices (Sequence[int]): Stages to return. Defaults to ``(0, 1, 2, 3)``.
        frozen_stages (int): ``-1`` none, ``0`` stem + pos_embed, ``i`` also stages ``< i``.
            Defaults to -1.
        norm_eval (bool): BatchNorm layers stay in eval mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per block (less memory, more compute).
            Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over all blocks. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly. Defaults to None: Kaiming-normal convs (fan-in, zero bias) as upstream.
    """

    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'], dict(channels=[48, 96, 240, 384], depths=[2, 2, 6, 2])),
        **dict.fromkeys(['s', 'small'], dict(channels=[80, 160, 400, 640], depths=[2, 2, 6, 2])),
        **dict.fromkeys(['m', 'medium'], dict(channels=[96, 192, 384, 768],
                                              depths=[2, 2, 16, 2])),
        **dict.fromkeys(['b', 'base'], dict(channels=[128, 256, 512, 1024],
                                            depths=[2, 2, 18, 2])),
    }
    num_stages = 4
    stem_stride = 4
    input_conv = 'stem.0.conv'

    def __init__(self, arch='s', in_channels=3, k=9, reduce_ratios=(4, 2, 1, 1), max_dilation=5,
                 ffn_ratio=4, pretrain_img_size=224, out_indices=(0, 1, 2, 3), frozen_stages=-1,
                 norm_eval=False, with_cp=False, drop_path_rate=0., norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('channels', 'depths'))
        channels, depths = list(arch['channels']), list(arch['depths'])
        if len(channels) != self.num_stages or len(depths) != self.num_stages:
            raise ValueError(f'arch needs {self.num_stages} channels and depths, got '
                             f'{channels} and {depths}')
        if len(reduce_ratios) != self.num_stages:
            raise ValueError(f'reduce_ratios needs {self.num_stages} entries, got {reduce_ratios}')
        if pretrain_img_size % 32:
            raise ValueError(f'pretrain_img_size must be a multiple of 32, got {pretrain_img_size}')
        self.reduce_ratios = tuple(reduce_ratios)

        self.stem = nn.Sequential(
            conv_norm_act(in_channels, channels[0] // 2, 3, stride=2, norm_cfg=norm_cfg,
                          act_cfg=act_cfg),
            conv_norm_act(channels[0] // 2, channels[0], 3, stride=2, norm_cfg=norm_cfg,
                          act_cfg=act_cfg),
            conv_norm_act(channels[0], channels[0], 3, norm_cfg=norm_cfg))
        grid = pretrain_img_size // self.stem_stride
        self.pos_embed = nn.Parameter(torch.zeros(1, channels[0], grid, grid))

        drop_rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        block_index = 0
        for i, (width, depth) in enumerate(zip(channels, depths)):
            downsample = None
            if i > 0:
                downsample = conv_norm_act(channels[i - 1], width, 3, stride=2,
                                           norm_cfg=norm_cfg)
                grid //= 2
            blocks = []
            for _ in range(depth):
                blocks.append(ViGBlock(
                    width, k, dilation=min(block_index // 4 + 1, max_dilation),
                    reduce_ratio=reduce_ratios[i], trained_grid=grid, ffn_ratio=ffn_ratio,
                    drop_path=drop_rates[block_index], with_cp=with_cp, norm_cfg=norm_cfg,
                    act_cfg=act_cfg))
                block_index += 1
            self.stages.append(PyramidViGStage(downsample, blocks))

        self._init_layers()
        self._setup_outputs(channels, [self.stem_stride * 2**i for i in range(self.num_stages)])

    def min_input_size(self):
        """The smallest side whose grids hold the key-pooling window (``reduce_ratios``) of
        every stage up to the last output: 13 with the defaults (a 4x4 stage-1 grid)."""
        def grids(size):  # stem: two stride-2 3x3 convs; each later stage: one more
            grid = -(-(-(-size // 2)) // 2)
            for _ in range(max(self.out_indices) + 1):
                yield grid
                grid = -(-grid // 2)

        size = 1
        while any(g < r for g, r in zip(grids(size), self.reduce_ratios)):
            size += 1
        return size


@MODELS.register_module()
class ViG(VisionGNNBackbone):
    """Isotropic Vision GNN backbone: stride-16 maps from chosen blocks.

    Stem (four stride-2 3x3 convs and one stride-1 conv) plus a learned position embedding,
    then ``depth`` Grapher + FFN blocks on the stride-16 grid. ``k`` grows linearly from ``k``
    to ``max_k`` over the blocks and the KNN dilation with the block index, as upstream; there
    is no relative position term. For FPN-based heads, put :class:`SimplePyramid` after it.
    Works at any input size (the position embedding is resized to the stem's grid; small maps
    clamp the neighbours, see :func:`mmghost.models.layers.graph.effective_k_dilation`).

    Args:
        arch (str | dict): ``'ti'``/``'tiny'`` (192 channels, 12 blocks), ``'s'``/``'small'``
            (320, 16), ``'b'``/``'base'`` (640, 16), or a dict with ``channels`` and ``depth``.
            Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        k (int): Neighbours of the first block. Defaults to 9.
        max_k (int): Neighbours of the last block. Defaults to 18.
        ffn_ratio (int): FFN hidden channels / channels. Defaults to 4.
        pretrain_img_size (int): Image size of the ``pos_embed`` (``s/16`` square); the dilation
            cap is ``(s/16)^2 // max_k`` as upstream. Defaults to 224.
        out_indices (Sequence[int]): Blocks whose outputs are returned. Defaults to ``(-1, )``.
        frozen_stages (int): ``-1`` none, ``0`` stem + pos_embed, ``i`` also blocks ``< i``.
            Defaults to -1.
        norm_eval (bool): BatchNorm layers stay in eval mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over the blocks. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): As :class:`PyramidViG`. Defaults to None (Kaiming convs).
    """

    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'], dict(channels=192, depth=12)),
        **dict.fromkeys(['s', 'small'], dict(channels=320, depth=16)),
        **dict.fromkeys(['b', 'base'], dict(channels=640, depth=16)),
    }
    stem_stride = 16
    input_conv = 'stem.0.conv'

    def __init__(self, arch='s', in_channels=3, k=9, max_k=18, ffn_ratio=4, pretrain_img_size=224,
                 out_indices=(-1, ), frozen_stages=-1, norm_eval=False, with_cp=False,
                 drop_path_rate=0., norm_cfg=dict(type='BN'), act_cfg=dict(type='GELU'),
                 init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('channels', 'depth'))
        channels, depth = arch['channels'], arch['depth']
        if pretrain_img_size % self.stem_stride:
            raise ValueError(f'pretrain_img_size must be a multiple of {self.stem_stride}, '
                             f'got {pretrain_img_size}')

        widths = [in_channels, channels // 8, channels // 4, channels // 2, channels]
        self.stem = nn.Sequential(
            *[conv_norm_act(c_in, c_out, 3, stride=2, norm_cfg=norm_cfg, act_cfg=act_cfg)
              for c_in, c_out in zip(widths[:-1], widths[1:])],
            conv_norm_act(channels, channels, 3, norm_cfg=norm_cfg))
        grid = pretrain_img_size // self.stem_stride
        self.pos_embed = nn.Parameter(torch.zeros(1, channels, grid, grid))

        # float32 linspace + truncation, as upstream (k does not change weight shapes)
        neighbours = [int(v) for v in torch.linspace(k, max_k, depth).tolist()]
        max_dilation = grid * grid // max(neighbours)
        drop_rates = torch.linspace(0, drop_path_rate, depth).tolist()
        # each block is a stage of its own: out_indices and frozen_stages count blocks
        self.stages = nn.ModuleList(
            ViGBlock(channels, neighbours[i], dilation=min(i // 4 + 1, max_dilation),
                     ffn_ratio=ffn_ratio, drop_path=drop_rates[i], with_cp=with_cp,
                     norm_cfg=norm_cfg, act_cfg=act_cfg) for i in range(depth))

        self._init_layers()
        self._setup_outputs([channels] * depth, [self.stem_stride] * depth)


def _official_block_map(depths):
    """``{flat upstream backbone index: mmghost prefix}`` for the Pyramid ViG layout."""
    mapping, flat = {}, 0
    for stage, depth in enumerate(depths):
        if stage > 0:
            mapping[flat] = f'stages.{stage}.downsample'
            flat += 1
        for block in range(depth):
            mapping[flat] = f'stages.{stage}.blocks.{block}'
            flat += 1
    return mapping


# Official sub-keys -> mmghost sub-keys, under each flat ``backbone.{i}`` entry.
_OFFICIAL_BLOCK_KEYS = {
    '0.fc1.0.': 'grapher.fc1.conv.', '0.fc1.1.': 'grapher.fc1.bn.',
    '0.graph_conv.gconv.nn.0.': 'grapher.graph_conv.conv.conv.',
    '0.graph_conv.gconv.nn.1.': 'grapher.graph_conv.conv.bn.',
    '0.fc2.0.': 'grapher.fc2.conv.', '0.fc2.1.': 'grapher.fc2.bn.',
    '0.relative_pos': 'grapher.relative_pos',
    '1.fc1.0.': 'ffn.fc1.conv.', '1.fc1.1.': 'ffn.fc1.bn.',
    '1.fc2.0.': 'ffn.fc2.conv.', '1.fc2.1.': 'ffn.fc2.bn.',
}
_OFFICIAL_DOWNSAMPLE_KEYS = {'conv.0.': 'conv.', 'conv.1.': 'bn.'}


_rename = partial(rename_prefix, family='ViG')


def _convert_stem_key(key):
    """``stem.convs.{3j}`` (conv) / ``stem.convs.{3j+1}`` (BN) -> ``stem.{j}.conv`` / ``.bn``."""
    index, rest = key[len('stem.convs.'):].split('.', 1)
    layer, position = divmod(int(index), 3)
    if position == 2:
        raise KeyError(f'Unknown official ViG key {key!r}')
    return f"stem.{layer}.{('conv', 'bn')[position]}.{rest}"


def _convert_official(state_dict, convert_backbone_key, family):
    """Renames an official ViG-family state dict; ``backbone.{i}.*`` keys go through
    ``convert_backbone_key(i, rest, key)``. The classifier (``prediction.*``) is dropped."""
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('prediction.'):
            continue
        if key == 'pos_embed':
            new_key = key
        elif key.startswith('stem.convs.'):
            new_key = _convert_stem_key(key)
        elif key.startswith('backbone.'):
            _, index, rest = key.split('.', 2)
            new_key = convert_backbone_key(int(index), rest, key)
        else:
            raise KeyError(f'Unknown official {family} key {key!r}')
        converted[new_key] = value
    return converted


def convert_official_pyramid_vig(state_dict):
    """Converts an official Pyramid ViG state dict (``pyramid_vig.py``) to :class:`PyramidViG`.

    The classifier (``prediction.*``) is dropped. The stage depths are read from the keys.

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    flat_indices = sorted({int(k.split('.')[1]) for k in state_dict if k.startswith('backbone.')})
    downsamples = sorted({int(k.split('.')[1]) for k in state_dict
                          if k.startswith('backbone.') and k.split('.')[2] == 'conv'})
    if not flat_indices or len(downsamples) != 3:
        raise KeyError('Not an official Pyramid ViG state dict (needs backbone.{i} blocks and '
                       'three backbone.{i}.conv downsamples)')
    bounds = [0, *downsamples, flat_indices[-1] + 1]
    block_map = _official_block_map([bounds[i + 1] - bounds[i] - (i > 0) for i in range(4)])

    def backbone_key(index, rest, key):
        prefix = block_map[index]
        table = _OFFICIAL_DOWNSAMPLE_KEYS if prefix.endswith('downsample') \
            else _OFFICIAL_BLOCK_KEYS
        return f'{prefix}.{_rename(rest, table, key)}'

    return _convert_official(state_dict, backbone_key, 'Pyramid ViG')


def convert_official_vig(state_dict):
    """Converts an official isotropic ViG state dict (``vig.py``) to :class:`ViG`.

    The classifier (``prediction.*``) is dropped.

    Raises:
        KeyError: a key that is not part of the official isotropic layout.
    """
    return _convert_official(
        state_dict,
        lambda index, rest, key: f'stages.{index}.{_rename(rest, _OFFICIAL_BLOCK_KEYS, key)}',
        'isotropic ViG')


def convert_official_vig_head(state_dict):
    """The upstream classifier of both ViG forms, ``prediction`` = conv1x1 (1024) + BN + GELU +
    dropout + conv1x1, as mmpretrain's ``StackedLinearClsHead`` keys (its 1x1 convs act on the
    globally pooled features, so they are linear layers)."""
    layers = {'prediction.0.': 'head.layers.0.fc.', 'prediction.1.': 'head.layers.0.norm.',
              'prediction.4.': 'head.layers.1.fc.'}
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('prediction.'):
            new_key = _rename(key, layers, key)
            converted[new_key] = value.flatten(1) if value.ndim == 4 else value
    return converted


def _vig_classifier(channels):
    return dict(
        backbone=dict(out_indices=(-1, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='StackedLinearClsHead', num_classes=1000, in_channels=channels,
                  mid_channels=[1024], dropout_rate=0.0, norm_cfg=dict(type='BN1d'),
                  act_cfg=dict(type='GELU'), loss=dict(type='CrossEntropyLoss')))


# Released ImageNet-1k checkpoints, release tags 'pyramid-vig' and 'vig'. top-1 is the README
# table's; the isotropic files' names carry higher figures (74.5 / 80.6 / 82.6).
_PVIG = dict(evidence='weights only (Efficient-AI-Backbones #264); relative_pos stored for '
             '224x224 inputs')
_VIG = dict(evidence='a plain state dict: third-party hub loaders load these URLs strictly')
_WEIGHTS = {
    'pvig_ti_224_gelu': Weights(RELEASES + 'pyramid-vig/pvig_ti_78.5.pth.tar', top1=78.5,
                                **_PVIG),
    'pvig_s_224_gelu': Weights(RELEASES + 'pyramid-vig/pvig_s_82.1.pth.tar', top1=82.1, **_PVIG),
    'pvig_m_224_gelu': Weights(RELEASES + 'pyramid-vig/pvig_m_83.1.pth.tar', top1=83.1, **_PVIG),
    'pvig_b_224_gelu': Weights(RELEASES + 'pyramid-vig/pvig_b_83.66.pth.tar', top1=83.7,
                               note='file name: 83.66', **_PVIG),
    'vig_ti_224_gelu': Weights(RELEASES + 'vig/vig_ti_74.5.pth', top1=73.9,
                               note='file name: 74.5', **_VIG),
    'vig_s_224_gelu': Weights(RELEASES + 'vig/vig_s_80.6.pth', top1=80.4,
                              note='file name: 80.6', **_VIG),
    'vig_b_224_gelu': Weights(RELEASES + 'vig/vig_b_82.6.pth', top1=82.3,
                              note='file name: 82.6', **_VIG),
}

_OFFICIAL_MODELS = {
    **{f'pvig_{size}_224_gelu': OfficialModel(
        backbone=dict(type='mmghost.PyramidViG', arch=size),
        weights=_WEIGHTS[f'pvig_{size}_224_gelu'],
        classifier=_vig_classifier(PyramidViG.arch_zoo[size]['channels'][-1]),
        convert_head=convert_official_vig_head) for size in ('ti', 's', 'm', 'b')},
    **{f'vig_{size}_224_gelu': OfficialModel(
        backbone=dict(type='mmghost.ViG', arch=size),
        weights=_WEIGHTS[f'vig_{size}_224_gelu'],
        classifier=_vig_classifier(ViG.arch_zoo[size]['channels']),
        convert_head=convert_official_vig_head) for size in ('ti', 's', 'b')},
}


FAMILY = Family(
    papers=(Paper('Vision GNN', 'Vision GNN: An Image is Worth Graph of Nodes',
                  'https://arxiv.org/abs/2206.00272', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/vig_pytorch',
                  ('mmghost.PyramidViG', 'mmghost.ViG')), ),
    backbones={PyramidViG: Converters(convert_official_pyramid_vig),
               ViG: Converters(convert_official_vig)},
    official_models=_OFFICIAL_MODELS,
    smallest=('pvig_ti_224_gelu', 'vig_ti_224_gelu'),
    config_models={'pvig': 'pvig_s_224_gelu', 'vig': 'vig_s_224_gelu'},
    normalisation=SIGNED_NORM,
    no_decay_keys=('pos_embed', ))
