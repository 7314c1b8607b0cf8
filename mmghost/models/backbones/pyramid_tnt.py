"""PyramidTNT as a detection / segmentation backbone.

Paper: Han, Guo, Tang and Wang, "PyramidTNT: Improved Transformer-in-Transformer Baselines with
Pyramid Architecture", arXiv:2201.00978 (2022). Official code: huawei-noah/Efficient-AI-Backbones,
``tnt_pytorch/pyramid_tnt.py``.

PyramidTNT stacks TNT blocks (words and sentences, see :mod:`mmghost.models.layers.tnt`) in four
stages at strides 8/16/32/64, downsampling words and sentences between stages.

Layout: blocks, the model, the official checkpoint converters, the official variants.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from torch import nn

from ...registry import MODELS
from ...weights.fitting import linear_cls_head, rename_prefix
from ...weights.records import OfficialModel
from ..family import SIGNED_NORM, Converters, Family, Paper
from ..layers.conv import conv_norm_act
from ..layers.tnt import NUM_WORDS, OFFICIAL_BLOCK_KEYS, WORD_GRID, TNTBlock
from ..layers.tracing import ceil_div
from ..layers.transformer import (init_transformer_weights, map_to_tokens, pad_to_multiple,
                                  resize_pos_embed, resize_relative_pos, tokens_to_map)
from .base import TransformerBackbone, select_arch

__all__ = ['PyramidTNT', 'convert_official_pyramid_tnt', 'convert_official_pyramid_tnt_head']


class PyramidTNTStem(nn.Module):
    """Conv stem of PyramidTNT: a shared stride-2 conv, then words from a stride-1 conv (4x4
    words per 8x8 image patch) and sentences from three more convs (stride 8 in all).

    Args:
        in_channels (int): Image channels.
        word_channels (int): Word channels ``c`` (the shared conv has ``2c``).
        channels (int): Sentence channels.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
    """

    def __init__(self, in_channels, word_channels, channels, norm_cfg=dict(type='BN')):
        super().__init__()
        relu = dict(type='ReLU')
        width = word_channels
        self.common = conv_norm_act(in_channels, 2 * width, 3, stride=2, norm_cfg=norm_cfg,
                                    act_cfg=relu)
        self.inner = conv_norm_act(2 * width, width, 3, norm_cfg=norm_cfg, act_cfg=relu)
        self.outer = nn.Sequential(
            conv_norm_act(2 * width, 4 * width, 3, stride=2, norm_cfg=norm_cfg, act_cfg=relu),
            conv_norm_act(4 * width, 8 * width, 3, stride=2, norm_cfg=norm_cfg, act_cfg=relu),
            conv_norm_act(8 * width, channels, 3, norm_cfg=norm_cfg, act_cfg=relu))

    def forward(self, x):
        """``x`` with sides divisible by 8 -> ``(B * N, 16, c)`` words, ``(B, N, C)``
        sentences and their ``(H/8, W/8)`` grid."""
        x = self.common(x)
        sentences = self.outer(x)
        words = self.inner(x)
        batch, width, height, cols = words.shape
        hw = (height // WORD_GRID, cols // WORD_GRID)
        words = words.reshape(batch, width, hw[0], WORD_GRID, hw[1], WORD_GRID)
        words = words.permute(0, 2, 4, 3, 5, 1).reshape(-1, NUM_WORDS, width)
        return words, map_to_tokens(sentences), hw


class WordMerge(nn.Module):
    """Word downsampling between PyramidTNT stages: LayerNorm, the 4x4 word grids of each 2x2
    group of sentences joined into one 8x8 grid (odd sentence grids zero-padded at the bottom /
    right), then a 3x3 stride-2 conv on each joined grid alone, back to 4x4 words."""

    def __init__(self, in_channels, out_channels, norm_cfg=dict(type='LN')):
        super().__init__()
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1)

    def forward(self, words, hw):
        """``(B * h * w, 16, c)`` words on the ``hw`` sentence grid -> ``(B * h' * w', 16, c')``
        with ``h' = ceil(h / 2)``, ``w' = ceil(w / 2)``."""
        height, width = hw
        words = self.norm(words)
        channels = words.shape[-1]
        x = words.reshape(-1, height, width, WORD_GRID, WORD_GRID, channels)
        # the sentence merge's conv grid ((n - 1) // 2 + 1 = ceil(n / 2)), written as the conv's
        # output size is, so that torch.compile's symbolic sizes of words and sentences agree
        rows, cols = (height - 1) // 2 + 1, (width - 1) // 2 + 1
        x = F.pad(x, (0, 0, 0, 0, 0, 0, 0, 2 * cols - width, 0, 2 * rows - height))
        # (B, rows, row parity, cols, col parity, word row, word col, c) -> (.., c, 8, 8) with
        # joined-grid row = parity * 4 + word row, as upstream concatenates the four sentences
        x = x.reshape(-1, rows, 2, cols, 2, WORD_GRID, WORD_GRID, channels)
        x = x.permute(0, 1, 3, 7, 2, 5, 4, 6).reshape(-1, channels, 2 * WORD_GRID, 2 * WORD_GRID)
        return map_to_tokens(self.conv(x))


class SentenceMerge(nn.Module):
    """Sentence downsampling between PyramidTNT stages: LayerNorm, then a 3x3 stride-2 conv on
    the sentence grid (``ceil`` halving)."""

    def __init__(self, in_channels, out_channels, norm_cfg=dict(type='LN')):
        super().__init__()
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1)

    def forward(self, sentences, hw):
        x = self.conv(tokens_to_map(self.norm(sentences), hw))
        return map_to_tokens(x), tuple(x.shape[-2:])


class PyramidTNTStage(nn.Module):
    """Word and sentence merging (except in the first stage), then blocks sharing the stage's
    learned attention bias ``relative_pos`` ``(1, heads, N, N / sr^2)``, stored for the
    ``trained_grid`` and resized bicubically to the actual query and key grids elsewhere."""

    def __init__(self, blocks, trained_grid, word_merge=None, sentence_merge=None):
        super().__init__()
        self.word_merge = word_merge
        self.sentence_merge = sentence_merge
        self.blocks = nn.ModuleList(blocks)
        self.trained_grid = trained_grid
        attn = self.blocks[0].attn
        key_rows, key_cols = attn.key_grid(trained_grid)
        self.relative_pos = nn.Parameter(torch.zeros(
            1, attn.num_heads, trained_grid[0] * trained_grid[1], key_rows * key_cols))

    def forward(self, state):
        """Updates a token state ``(words, sentences, hw)`` (see :class:`TNTBlock`)."""
        words, sentences, hw = state
        if self.sentence_merge is not None:
            words = self.word_merge(words, hw)
            sentences, hw = self.sentence_merge(sentences, hw)
        attn = self.blocks[0].attn
        relative_pos = resize_relative_pos(self.relative_pos, self.trained_grid,
                                           attn.key_grid(self.trained_grid), hw, attn.key_grid(hw))
        state = (words, sentences, hw)
        for block in self.blocks:
            state = block(state, relative_pos)
        return state


@MODELS.register_module()
class PyramidTNT(TransformerBackbone):
    """PyramidTNT: four stages of TNT blocks at strides 8/16/32/64 (or 4/8/16/32, upsampled).

    A conv stem gives sentences at stride 8 and 4x4 words per sentence; learned position
    embeddings are added (``pos_embed`` resized bicubically to the sentence grid). Stages 2-4
    first merge 2x2 sentences (:class:`SentenceMerge`) and their words (:class:`WordMerge`).
    The first block of a stage (and the second, in stages of more than 6 blocks) has an inner
    transformer, the others are outer only (upstream's rule); the sentence attention pools keys
    by 4/2/1/1 and adds the stage's learned ``relative_pos`` bias, resized bicubically to the
    actual query / key grids (used as stored at the ``pretrain_img_size`` grids). Stages after
    the last returned one are not run, and are frozen.

    Any input size works: the input is zero-padded at the bottom / right to a multiple of 8 and
    every merge rounds up, so stage ``i`` is ``ceil(H / s_i)`` x ``ceil(W / s_i)``. At sizes
    divisible by 32 (use ``size_divisor=32``) every key pooling window is whole and the model
    is upstream's; elsewhere pooling windows cut by the border average what they hold (upstream
    would drop them).

    ``upsample=True`` gives the paper's detection pyramid: each returned stage output goes
    through a 2x2 stride-2 transposed conv + BN + GELU and a 3x3 conv + BN + GELU (channels
    kept), for strides 4/8/16/32 (maps cropped to ``ceil(H / s)``). These layers are new (not
    in the official checkpoint) and exist only for the ``out_indices`` stages; a checkpoint of
    the official pyramid (converted or raw) still loads through ``init_cfg`` and leaves them at
    their initialisation (logged; they are ``_optional_modules``).

    Args:
        arch (str | dict): ``'ti'``/``'tiny'``, ``'s'``/``'small'``, ``'m'``/``'medium'``,
            ``'b'``/``'base'`` (see ``arch_zoo``), or a dict with ``depths``, ``channels``,
            ``word_channels``, ``num_heads`` and ``word_heads`` (4 entries each) and optionally
            ``img_size``. Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        mlp_ratio (float): MLP hidden channels / channels. Defaults to 4.
        qkv_bias (bool): Bias of the attention input projections. Defaults to False.
        pretrain_img_size (int, optional): Image size the position terms were trained at (a
            multiple of 64). Defaults to None: the arch's (192 for Ti, 256 for the others).
        out_indices (Sequence[int]): Stages to return. Defaults to ``(0, 1, 2, 3)``.
        upsample (bool): Upsample each returned stage by 2 (new layers, see above).
            Defaults to False.
        final_norm (bool): Build the final LayerNorm (``norm``, upstream's, before its mean
            pooling) and apply it to the last stage's output. The official checkpoint's ``norm``
            is converted with the classifier, not with the backbone. Defaults to False.
        frozen_stages (int): ``-1`` none, ``0`` stem and position embeddings, ``i`` also
            stages ``< i`` (and, for ``i = 4``, the final norm); the upsampling layers are
            never frozen. Defaults to -1.
        norm_eval (bool): The stem's BatchNorm layers stay in eval mode in training (not the
            upsampling layers', which have no pretrained statistics). Defaults to False.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over all blocks. Defaults to 0.
        norm_cfg (dict): Token norms. Defaults to ``dict(type='LN')``.
        conv_norm_cfg (dict): Norm of the stem and upsampling convs.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): MLP activation. Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``.
            Defaults to None: upstream's initialisation (truncated-normal, std 0.02, Linear
            weights and position embeddings, standard-normal ``relative_pos``).
    """

    arch_zoo = {
        **dict.fromkeys(['ti', 'tiny'], dict(
            depths=[2, 6, 3, 2], channels=[80, 160, 320, 320], word_channels=[5, 10, 20, 20],
            num_heads=[2, 4, 8, 8], word_heads=[1, 2, 4, 4], img_size=192)),
        **dict.fromkeys(['s', 'small'], dict(
            depths=[2, 8, 4, 2], channels=[128, 256, 512, 512], word_channels=[8, 16, 32, 32],
            num_heads=[4, 8, 16, 16], word_heads=[2, 4, 8, 8], img_size=256)),
        **dict.fromkeys(['m', 'medium'], dict(
            depths=[2, 8, 6, 2], channels=[192, 384, 768, 768], word_channels=[12, 24, 48, 48],
            num_heads=[4, 8, 16, 16], word_heads=[2, 4, 8, 8], img_size=256)),
        **dict.fromkeys(['b', 'base'], dict(
            depths=[2, 10, 6, 2], channels=[256, 512, 1024, 1024],
            word_channels=[16, 32, 64, 64], num_heads=[4, 8, 16, 16], word_heads=[2, 4, 8, 8],
            img_size=256)),
    }
    num_stages = 4
    stem_stride = 8
    sr_ratios = (4, 2, 1, 1)
    input_conv = 'stem.common.conv'

    def __init__(self, arch='s', in_channels=3, mlp_ratio=4., qkv_bias=False,
                 pretrain_img_size=None, out_indices=(0, 1, 2, 3), upsample=False, final_norm=False,
                 frozen_stages=-1, norm_eval=False, with_cp=False, drop_path_rate=0.,
                 norm_cfg=dict(type='LN'), conv_norm_cfg=dict(type='BN'), act_cfg=dict(type='GELU'),
                 init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, final_norm, init_cfg)
        keys = ('depths', 'channels', 'word_channels', 'num_heads', 'word_heads')
        arch = select_arch(arch, self.arch_zoo, keys)
        if any(len(arch[key]) != self.num_stages for key in keys):
            raise ValueError(f'arch needs {self.num_stages} entries for each of {list(keys)}, '
                             f'got {arch}')
        pretrain_img_size = pretrain_img_size or arch.get('img_size', 256)
        if pretrain_img_size % 64:
            raise ValueError(f'pretrain_img_size must be a multiple of 64 (the stage-4 grid '
                             f'is 1/64 of it), got {pretrain_img_size}')
        depths, channels, word_channels = arch['depths'], arch['channels'], arch['word_channels']
        grid = pretrain_img_size // self.stem_stride
        self.pretrain_grid = (grid, grid)

        self.stem = PyramidTNTStem(in_channels, word_channels[0], channels[0], conv_norm_cfg)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid, channels[0]))
        self.word_pos_embed = nn.Parameter(torch.zeros(1, NUM_WORDS, word_channels[0]))

        drop_rates = iter(torch.linspace(0, drop_path_rate, sum(depths)).tolist())
        self.stages = nn.ModuleList()
        for i, depth in enumerate(depths):
            blocks = [
                TNTBlock(channels[i], arch['num_heads'][i],
                         # upstream: inner transformers in block 0, and 1 of stages > 6 blocks
                         word_channels[i] if j == 0 or (j == 1 and depth > 6) else None,
                         arch['word_heads'][i], mlp_ratio, qkv_bias, 'q_kv', self.sr_ratios[i],
                         joint_word_norm=True, drop_path=next(drop_rates), with_cp=with_cp,
                         norm_cfg=norm_cfg, act_cfg=act_cfg) for j in range(depth)]
            merges = {}
            if i > 0:
                merges = dict(
                    word_merge=WordMerge(word_channels[i - 1], word_channels[i], norm_cfg),
                    sentence_merge=SentenceMerge(channels[i - 1], channels[i], norm_cfg))
            self.stages.append(PyramidTNTStage(blocks, (grid >> i, grid >> i), **merges))
        if final_norm:
            self.norm = build_norm_layer(norm_cfg, channels[-1])[1]
        init_transformer_weights(self, self.pos_embed, self.word_pos_embed)
        for stage in self.stages:
            nn.init.normal_(stage.relative_pos)

        scale = 2 if upsample else 1
        self._setup_outputs(channels,
                            [self.stem_stride * 2**i // scale for i in range(self.num_stages)])
        # built after _setup_outputs: they exist for the resolved out_indices only
        self.upsample = None
        if upsample:
            gelu = dict(type='GELU')
            self.upsample = nn.ModuleDict({
                str(i): nn.Sequential(
                    ConvModule(channels[i], channels[i], 2, stride=2,
                               conv_cfg=dict(type='deconv'), norm_cfg=conv_norm_cfg,
                               act_cfg=gelu),
                    ConvModule(channels[i], channels[i], 3, padding=1, norm_cfg=conv_norm_cfg,
                               act_cfg=gelu)) for i in self.out_indices})

    def _stem_modules(self):
        return [self.stem, self.pos_embed, self.word_pos_embed]

    def _optional_modules(self):
        # official checkpoints hold no upsampling layers: those keep their fresh init
        return ('upsample', ) if self.upsample is not None else ()

    def embed(self, x):
        """Words ``(B * N, 16, c)`` and sentences ``(B, N, C)`` entering the first stage
        (position embeddings added), and the stride-8 sentence grid ``(h, w)``."""
        words, sentences, hw = self.stem(pad_to_multiple(x, self.stem_stride))
        words = words + self.word_pos_embed
        sentences = sentences + resize_pos_embed(self.pos_embed, self.pretrain_grid, hw)
        return words, sentences, hw

    def forward(self, x):
        outs = self._forward_stages(self.embed(x))
        if self.upsample is None:
            return outs
        height, width = x.shape[-2:]
        return tuple(
            self.upsample[str(i)](out)[..., :ceil_div(height, stride), :ceil_div(width, stride)]
            for i, stride, out in zip(self.out_indices, self.out_strides, outs))

    def _stage_output(self, index, state):
        _, sentences, hw = state
        return tokens_to_map(self._final_tokens(index, sentences), hw)

    def train(self, mode=True):
        """As :meth:`MultiScaleBackbone.train`, except that ``norm_eval`` leaves the upsampling
        layers' BatchNorms training: they are new, with no pretrained statistics to keep."""
        super().train(mode)
        if mode and self.upsample is not None:
            self.upsample.train()
        return self


# Official keys outside the stages and merges -> mmghost's (first match wins).
_OFFICIAL_KEYS = {
    'patch_embed.common_conv.0.': 'stem.common.conv.',
    'patch_embed.common_conv.1.': 'stem.common.bn.',
    'patch_embed.inner_convs.0.': 'stem.inner.conv.',
    'patch_embed.inner_convs.1.': 'stem.inner.bn.',
    # outer_convs: (conv, BN, ReLU) x 3
    **{f'patch_embed.outer_convs.{3 * i + j}.': f'stem.outer.{i}.{name}.'
       for i in range(3) for j, name in enumerate(('conv', 'bn'))},
    'inner_pos': 'word_pos_embed',
    'outer_pos': 'pos_embed',
}


def convert_official_pyramid_tnt(state_dict):
    """Converts an official PyramidTNT state dict (``pyramid_tnt.py``) to :class:`PyramidTNT`
    (``final_norm=False``, ``upsample=False``).

    The classifier (final ``norm.*`` and ``head.*``) is dropped; see
    :func:`convert_official_pyramid_tnt_head`.

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    converted = {}
    for key, value in state_dict.items():
        if key.startswith(('norm.', 'head.')):
            continue
        if key.startswith(('word_merges.', 'sentence_merges.')):
            kind, index, rest = key.split('.', 2)
            rest = rest.replace('conv.0.', 'conv.', 1)
            new_key = f'stages.{int(index) + 1}.{kind[:-1]}.{rest}'  # word_merges -> word_merge
        elif key.startswith('stages.'):
            _, stage, rest = key.split('.', 2)
            if rest != 'relative_pos':
                if not rest.startswith('blocks.'):
                    raise KeyError(f'Unknown official PyramidTNT key {key!r}')
                _, block, rest = rest.split('.', 2)
                rest = rename_prefix(rest, OFFICIAL_BLOCK_KEYS, key, 'PyramidTNT')
                rest = f'blocks.{block}.{rest}'
            new_key = f'stages.{stage}.{rest}'
        else:
            new_key = rename_prefix(key, _OFFICIAL_KEYS, key, 'PyramidTNT')
        converted[new_key] = value
    return converted


def convert_official_pyramid_tnt_head(state_dict):
    """The upstream PyramidTNT classifier: the final ``norm`` (on the last stage's tokens,
    before mean pooling) as the backbone's ``final_norm``, and ``head`` (Linear) as
    mmpretrain's ``LinearClsHead`` keys."""
    norm = {f'backbone.{key}': value for key, value in state_dict.items()
            if key.startswith('norm.')}
    return {**norm, **linear_cls_head(state_dict, 'head.')}


_NO_WEIGHTS = ('PyramidTNT weights are on Baidu Disk only (password-protected, no direct URL): '
               'download by hand and give the local path')


def _pyramid_tnt(arch):
    return OfficialModel(
        backbone=dict(type='mmghost.PyramidTNT', arch=arch),
        no_weights=_NO_WEIGHTS,
        # upstream: final norm -> mean over the tokens -> Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, ), final_norm=True),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=PyramidTNT.arch_zoo[arch]['channels'][-1],
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_pyramid_tnt_head,
        image_size=PyramidTNT.arch_zoo[arch]['img_size'])


_OFFICIAL_MODELS = {
    'ptnt_ti_patch16_192': _pyramid_tnt('ti'),
    'ptnt_s_patch16_256': _pyramid_tnt('s'),
    'ptnt_m_patch16_256': _pyramid_tnt('m'),
    'ptnt_b_patch16_256': _pyramid_tnt('b'),
}


FAMILY = Family(
    papers=(Paper('PyramidTNT', 'PyramidTNT: Improved Transformer-in-Transformer Baselines with '
                  'Pyramid Architecture', 'https://arxiv.org/abs/2201.00978',
                  'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/tnt_pytorch', ('mmghost.PyramidTNT', )), ),
    backbones={PyramidTNT: Converters(convert_official_pyramid_tnt)},
    official_models=_OFFICIAL_MODELS,
    smallest=('ptnt_ti_patch16_192', ),
    normalisation=SIGNED_NORM,
    no_decay_keys=('pos_embed', 'cls_token', 'relative_pos'))
