"""Transformer in Transformer (TNT) and PyramidTNT as detection / segmentation backbones.

Papers: Han, Xiao, Wu, Guo, Xu and Wang, "Transformer in Transformer", NeurIPS 2021
(arXiv:2103.00112); Han, Guo, Tang and Wang, "PyramidTNT: Improved Transformer-in-Transformer
Baselines with Pyramid Architecture", arXiv:2201.00978 (2022). Official code:
huawei-noah/Efficient-AI-Backbones, ``tnt_pytorch/tnt.py`` and ``tnt_pytorch/pyramid_tnt.py``.

Both models carry two token sets: *sentences* (outer tokens, one per image patch) and *words*
(inner tokens, a 4x4 grid of sub-patch tokens inside every patch). An inner transformer mixes
the words of each patch; their projection is added to the patch's sentence token; an outer
transformer mixes the sentences. TNT is isotropic (stride 16, with a class token); PyramidTNT
has four stages at strides 8/16/32/64, downsampling words and sentences between stages.

Layout: blocks, the models, the official (and timm) checkpoint converters, the official
variants.
"""
import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from mmcv.cnn import ConvModule, build_norm_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from ...registry import MODELS
from ..layers.conv import conv_norm_act
from ..layers.transformer import (Mlp, MultiheadAttention, map_to_tokens, pad_to_multiple,
                                  resize_pos_embed, resize_relative_pos, tokens_to_map)
from .base import (RELEASES, MultiScaleBackbone, OfficialModel, Weights, linear_cls_head,
                   rename_prefix, select_arch)

__all__ = ['TNT', 'PyramidTNT', 'TNTBackbone', 'TNTBlock', 'convert_official_tnt',
           'convert_official_tnt_head', 'convert_official_pyramid_tnt',
           'convert_official_pyramid_tnt_head', 'timm_tnt_to_official']

WORD_GRID = 4  # every patch (sentence) holds 4x4 words in both models
NUM_WORDS = WORD_GRID * WORD_GRID


class WordProjection(nn.Module):
    """The words of each patch, flattened into one vector, as a sentence-sized update:
    ``norm2(proj(norm1(words)))`` (upstream ``proj_norm1`` / ``proj`` / ``proj_norm2``).

    Args:
        in_channels (int): Words per patch x word channels.
        out_channels (int): Sentence channels.
        bias (bool): Bias of ``proj``.
        norm_cfg (dict): Norm of both sides.
    """

    def __init__(self, in_channels, out_channels, bias, norm_cfg):
        super().__init__()
        self.norm1 = build_norm_layer(norm_cfg, in_channels)[1]
        self.proj = nn.Linear(in_channels, out_channels, bias=bias)
        self.norm2 = build_norm_layer(norm_cfg, out_channels)[1]

    def forward(self, words, num_sentences):
        """``(B * N, M, c)`` words -> ``(B, N, C)``."""
        words = words.reshape(-1, num_sentences, words.shape[1] * words.shape[2])
        return self.norm2(self.proj(self.norm1(words)))


class TNTBlock(nn.Module):
    """One TNT block: the inner transformer on the words of every patch (optional), their
    projection added to the patch's sentence token, then the outer transformer on the sentences.

    Args:
        channels (int): Sentence channels.
        num_heads (int): Sentence attention heads.
        word_channels (int, optional): Word channels; None builds no inner transformer (outer
            only, as in most PyramidTNT blocks). Defaults to None.
        word_heads (int): Word attention heads. Defaults to 4.
        mlp_ratio (float): MLP hidden channels / channels, both transformers. Defaults to 4.
        qkv_bias (bool): Bias of the attention input projections. Defaults to False.
        attn_layout (str): ``'qk_v'`` (TNT) or ``'q_kv'`` (PyramidTNT), see
            :class:`~mmghost.models.layers.transformer.MultiheadAttention`. Defaults to ``'qk_v'``.
        sr_ratio (int): Key pooling ratio of the sentence attention. Defaults to 1.
        joint_word_norm (bool): The inner LayerNorms normalise the 16 words of a patch jointly
            (PyramidTNT) instead of each word (TNT). Defaults to False.
        num_prefix_tokens (int): Leading sentence tokens with no words (TNT's class token) that
            the word projection leaves alone. Defaults to 0.
        drop_path (float): Stochastic depth of the attention / MLP residuals. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='LN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, num_heads, word_channels=None, word_heads=4, mlp_ratio=4.,
                 qkv_bias=False, attn_layout='qk_v', sr_ratio=1, joint_word_norm=False,
                 num_prefix_tokens=0, drop_path=0., with_cp=False, norm_cfg=dict(type='LN'),
                 act_cfg=dict(type='GELU')):
        super().__init__()
        self.with_cp = with_cp
        self.joint_word_norm = joint_word_norm
        self.num_prefix_tokens = num_prefix_tokens
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.has_inner = word_channels is not None
        if self.has_inner:
            word_norm = word_channels * NUM_WORDS if joint_word_norm else word_channels
            self.inner_norm1 = build_norm_layer(norm_cfg, word_norm)[1]
            self.inner_attn = MultiheadAttention(word_channels, word_heads, qkv_bias, attn_layout)
            self.inner_norm2 = build_norm_layer(norm_cfg, word_norm)[1]
            self.inner_mlp = Mlp(word_channels, int(word_channels * mlp_ratio), act_cfg)
            self.inner_proj = WordProjection(word_channels * NUM_WORDS, channels, False, norm_cfg)
        self.norm1 = build_norm_layer(norm_cfg, channels)[1]
        self.attn = MultiheadAttention(channels, num_heads, qkv_bias, attn_layout, sr_ratio,
                                       norm_cfg)
        self.norm2 = build_norm_layer(norm_cfg, channels)[1]
        self.mlp = Mlp(channels, int(channels * mlp_ratio), act_cfg)

    def _word_norm(self, norm, words):
        if self.joint_word_norm:
            return norm(words.flatten(1)).view_as(words)
        return norm(words)

    def _inner_forward(self, words, sentences, hw, relative_pos):
        if self.has_inner:
            normed = self._word_norm(self.inner_norm1, words)
            words = words + self.drop_path(self.inner_attn(normed))
            normed = self._word_norm(self.inner_norm2, words)
            words = words + self.drop_path(self.inner_mlp(normed))
            update = self.inner_proj(words, sentences.shape[1] - self.num_prefix_tokens)
            # no drop path on the word projection, as upstream
            sentences = sentences + F.pad(update, (0, 0, self.num_prefix_tokens, 0))
        sentences = sentences + self.drop_path(self.attn(self.norm1(sentences), hw, relative_pos))
        sentences = sentences + self.drop_path(self.mlp(self.norm2(sentences)))
        return words, sentences

    def forward(self, state, relative_pos=None):
        """Updates a token state ``(words, sentences, hw)``: ``(B * N, 16, c)`` words and
        ``(B, P + N, C)`` sentences (``P`` prefix tokens) on the ``hw`` patch grid.
        ``relative_pos`` is added to the sentence attention logits."""
        words, sentences, hw = state
        if self.with_cp and self.training and torch.is_grad_enabled():
            words, sentences = torch.utils.checkpoint.checkpoint(
                self._inner_forward, words, sentences, hw, relative_pos, use_reentrant=False)
        else:
            words, sentences = self._inner_forward(words, sentences, hw, relative_pos)
        return words, sentences, hw


def _init_transformer_weights(model, embeddings):
    """Upstream initialisation: truncated-normal (std 0.02) Linear weights and ``embeddings``,
    zero Linear biases (LayerNorms and convs keep torch's defaults)."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    for embedding in embeddings:
        nn.init.trunc_normal_(embedding, std=.02)


class TNTBackbone(MultiScaleBackbone):
    """What :class:`TNT` and :class:`PyramidTNT` share: ``embed(x)`` gives the token state
    ``(words, sentences, hw)`` that ``stages`` update in turn (up to the last output), and the
    official final LayerNorm ``norm`` (``final_norm``) acts on the last stage's sentences.

    ``frozen_stages=0`` freezes ``_stem_modules()``, ``i`` also ``stages[:i]`` (and ``norm``
    with the last stage).
    """

    def _stem_modules(self):
        raise NotImplementedError

    def _frozen_modules(self, num_stages):
        frozen = [*self._stem_modules(), *self.stages[:num_stages]]
        if self.final_norm and num_stages == len(self.stages):
            frozen.append(self.norm)
        return frozen

    def _unused_modules(self):
        unused = list(super()._unused_modules())
        if self.final_norm and max(self.out_indices) < len(self.stages) - 1:
            unused.append(self.norm)  # it acts on the last stage only
        return unused

    def forward(self, x):
        return self._forward_stages(self.embed(x))

    def _output_sentences(self, index, state):
        """The sentences of stage ``index``'s state, through ``norm`` for the last stage."""
        sentences = state[1]
        if self.final_norm and index == len(self.stages) - 1:
            sentences = self.norm(sentences)
        return sentences


@MODELS.register_module()
class TNT(TNTBackbone):
    """Transformer in Transformer (TNT): stride-16 maps from chosen blocks.

    Each 16x16 patch is cut into 4x4 words by a 7x7 stride-4 conv (``word_embed``, run on the
    patch alone, zero-padded at its own border as upstream); the flattened words of a patch,
    projected (``sentence_embed``), are its sentence token. A class token and learned position
    embeddings (``pos_embed`` for sentences, ``word_pos_embed`` for the 16 words of a patch) are
    added, then ``depth`` :class:`TNTBlock` s. ``out_indices`` index blocks; each output is the
    block's patch sentences as a ``(B, C, ceil(H/16), ceil(W/16))`` map (the class token is
    dropped), or with ``out_type='cls_token'`` the ``(B, C)`` class token (the upstream
    classifier's input); blocks after the last returned one are not run, and are frozen. For
    FPN-based heads put :class:`SimplePyramid` after it.

    Any input size works: sides that are not multiples of 16 are zero-padded at the bottom /
    right (``ceil`` grid, as mmdet / mmseg ViTs pad), and the patch part of ``pos_embed`` is
    resized bicubically to the actual grid (used as stored at the ``pretrain_img_size`` grid).

    Args:
        arch (str | dict): ``'s'``/``'small'`` (384 channels, 6 heads; words 24 channels, 4
            heads; 12 blocks), ``'b'``/``'base'`` (640, 10; 40, 4; 12), or a dict with
            ``channels``, ``num_heads``, ``word_channels``, ``word_heads`` and ``depth``.
            Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        mlp_ratio (float): MLP hidden channels / channels. Defaults to 4.
        qkv_bias (bool): Bias of the attention input projections. Defaults to False.
        pretrain_img_size (int): Image size of ``pos_embed`` (``s/16`` square grid plus the
            class token). Defaults to 224.
        out_indices (Sequence[int]): Blocks whose outputs are returned. Defaults to ``(-1, )``.
        out_type (str): ``'featmap'`` (patch sentences as maps) or ``'cls_token'``.
            Defaults to ``'featmap'``.
        final_norm (bool): Build the final LayerNorm (``norm``) and apply it to the last
            block's output (as upstream before its head; other blocks' outputs are never
            normalised). Defaults to True.
        frozen_stages (int): ``-1`` none, ``0`` embeddings, class token and position
            embeddings, ``i`` also blocks ``< i`` (and, for ``i = depth``, the final norm).
            Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode; TNT has none (LayerNorm only), so
            it has no effect here. Defaults to False.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over the blocks. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='LN')`` (eps 1e-5, as upstream).
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly. Defaults to None: upstream's initialisation (truncated-normal, std 0.02,
            Linear weights, class token and position embeddings).
    """

    arch_zoo = {
        **dict.fromkeys(['s', 'small'], dict(channels=384, num_heads=6, word_channels=24,
                                             word_heads=4, depth=12)),
        **dict.fromkeys(['b', 'base'], dict(channels=640, num_heads=10, word_channels=40,
                                            word_heads=4, depth=12)),
    }
    out_types = ('featmap', 'cls_token')
    patch_size = 16
    word_stride = patch_size // WORD_GRID
    input_conv = 'word_embed'

    def __init__(self, arch='s', in_channels=3, mlp_ratio=4., qkv_bias=False, pretrain_img_size=224,
                 out_indices=(-1, ), out_type='featmap', final_norm=True, frozen_stages=-1,
                 norm_eval=False, with_cp=False, drop_path_rate=0., norm_cfg=dict(type='LN'),
                 act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo,
                           ('channels', 'num_heads', 'word_channels', 'word_heads', 'depth'))
        channels, word_channels, depth = arch['channels'], arch['word_channels'], arch['depth']
        if out_type not in self.out_types:
            raise ValueError(f'Unknown out_type {out_type!r}; choose one of {self.out_types}')
        if pretrain_img_size % self.patch_size:
            raise ValueError(f'pretrain_img_size must be a multiple of {self.patch_size}, '
                             f'got {pretrain_img_size}')
        self.out_type = out_type
        self.final_norm = final_norm
        self.pretrain_grid = (pretrain_img_size // self.patch_size, ) * 2

        self.word_embed = nn.Conv2d(in_channels, word_channels, 7, stride=self.word_stride,
                                    padding=3)
        self.word_pos_embed = nn.Parameter(torch.zeros(1, NUM_WORDS, word_channels))
        self.sentence_embed = WordProjection(word_channels * NUM_WORDS, channels, True, norm_cfg)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, channels))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, 1 + self.pretrain_grid[0] * self.pretrain_grid[1], channels))

        drop_rates = torch.linspace(0, drop_path_rate, depth).tolist()
        # each block is a stage of its own: out_indices and frozen_stages count blocks
        self.stages = nn.ModuleList(
            TNTBlock(channels, arch['num_heads'], word_channels, arch['word_heads'], mlp_ratio,
                     qkv_bias, 'qk_v', num_prefix_tokens=1, drop_path=drop_rates[i],
                     with_cp=with_cp, norm_cfg=norm_cfg, act_cfg=act_cfg) for i in range(depth))
        if final_norm:
            self.norm = build_norm_layer(norm_cfg, channels)[1]
        _init_transformer_weights(self, (self.word_pos_embed, self.cls_token, self.pos_embed))

        self._setup_outputs([channels] * depth, [self.patch_size] * depth)

    def _stem_modules(self):
        return [self.word_embed, self.word_pos_embed, self.sentence_embed, self.cls_token,
                self.pos_embed]

    def embed(self, x):
        """Words ``(B * N, 16, c)`` and sentences ``(B, 1 + N, C)`` (class token first, position
        embeddings added) entering the first block, and the patch grid ``(h, w)``."""
        x = pad_to_multiple(x, self.patch_size)
        batch, in_channels, height, width = x.shape
        hw = (height // self.patch_size, width // self.patch_size)
        patches = x.reshape(batch, in_channels, hw[0], self.patch_size, hw[1], self.patch_size)
        patches = patches.permute(0, 2, 4, 1, 3, 5).reshape(
            -1, in_channels, self.patch_size, self.patch_size)
        words = map_to_tokens(self.word_embed(patches)) + self.word_pos_embed
        sentences = self.sentence_embed(words, hw[0] * hw[1])
        sentences = torch.cat([self.cls_token.expand(batch, -1, -1), sentences], dim=1)
        sentences = sentences + resize_pos_embed(self.pos_embed, self.pretrain_grid, hw, 1)
        return words, sentences, hw

    def _stage_output(self, index, state):
        sentences = self._output_sentences(index, state)
        if self.out_type == 'cls_token':
            return sentences[:, 0]
        return tokens_to_map(sentences[:, 1:], state[2])


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
        x = F.pad(x, (0, 0, 0, 0, 0, 0, 0, width % 2, 0, height % 2))
        rows, cols = x.shape[1] // 2, x.shape[2] // 2
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
class PyramidTNT(TNTBackbone):
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
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
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
        self.final_norm = final_norm
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
        _init_transformer_weights(self, (self.pos_embed, self.word_pos_embed))
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
        outs = super().forward(x)
        if self.upsample is None:
            return outs
        height, width = x.shape[-2:]
        return tuple(self.upsample[str(i)](out)[..., :-(-height // stride), :-(-width // stride)]
                     for i, stride, out in zip(self.out_indices, self.out_strides, outs))

    def _stage_output(self, index, state):
        return tokens_to_map(self._output_sentences(index, state), state[2])

    def train(self, mode=True):
        """As :meth:`MultiScaleBackbone.train`, except that ``norm_eval`` leaves the upsampling
        layers' BatchNorms training: they are new, with no pretrained statistics to keep."""
        super().train(mode)
        if mode and self.upsample is not None:
            self.upsample.train()
        return self


# Official sub-keys of a TNT / PyramidTNT block -> mmghost's (first match wins).
_OFFICIAL_BLOCK_KEYS = {
    'inner_': 'inner_',  # inner_norm1 / inner_attn / inner_norm2 / inner_mlp keep their names
    'proj_norm1.': 'inner_proj.norm1.',
    'proj.': 'inner_proj.proj.',
    'proj_norm2.': 'inner_proj.norm2.',
    'outer_norm1.': 'norm1.',
    'outer_attn.linear.': 'attn.sr_proj.',
    'outer_attn.norm.': 'attn.sr_norm.',
    'outer_attn.': 'attn.',
    'outer_norm2.': 'norm2.',
    'outer_mlp.': 'mlp.',
}
_OFFICIAL_TNT_KEYS = {
    'patch_embed.proj.': 'word_embed.',
    'inner_pos': 'word_pos_embed',
    'outer_pos': 'pos_embed',
    'cls_token': 'cls_token',
    'proj_norm1.': 'sentence_embed.norm1.',
    'proj.': 'sentence_embed.proj.',
    'proj_norm2.': 'sentence_embed.norm2.',
    'norm.': 'norm.',
}
_OFFICIAL_PTNT_KEYS = {
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


def convert_official_tnt(state_dict):
    """Converts an official TNT state dict (``tnt.py``) to :class:`TNT` (``final_norm=True``).

    The classifier (``head.*``) is dropped, so is ``outer_tokens`` (a frozen zero tensor that
    upstream's forward never reads).

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('head.') or key == 'outer_tokens':
            continue
        if key.startswith('blocks.'):
            _, index, rest = key.split('.', 2)
            new_key = f'stages.{index}.{rename_prefix(rest, _OFFICIAL_BLOCK_KEYS, key, "TNT")}'
        else:
            new_key = rename_prefix(key, _OFFICIAL_TNT_KEYS, key, 'TNT')
        converted[new_key] = value
    return converted


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
                rest = rename_prefix(rest, _OFFICIAL_BLOCK_KEYS, key, 'PyramidTNT')
                rest = f'blocks.{block}.{rest}'
            new_key = f'stages.{stage}.{rest}'
        else:
            new_key = rename_prefix(key, _OFFICIAL_PTNT_KEYS, key, 'PyramidTNT')
        converted[new_key] = value
    return converted


TNT.official_converter = staticmethod(convert_official_tnt)
PyramidTNT.official_converter = staticmethod(convert_official_pyramid_tnt)


def convert_official_tnt_head(state_dict):
    """The upstream TNT classifier ``head`` (Linear on the normalised class token) as
    mmpretrain's ``LinearClsHead`` keys."""
    return linear_cls_head(state_dict, 'head.')


def convert_official_pyramid_tnt_head(state_dict):
    """The upstream PyramidTNT classifier: the final ``norm`` (on the last stage's tokens,
    before mean pooling) as the backbone's ``final_norm``, and ``head`` (Linear) as
    mmpretrain's ``LinearClsHead`` keys."""
    norm = {f'backbone.{key}': value for key, value in state_dict.items()
            if key.startswith('norm.')}
    return {**norm, **convert_official_tnt_head(state_dict)}


# timm's TNT module names -> the official ones (timm renamed them when it imported the weights).
_TIMM_TNT_NAMES = {
    'patch_pos': 'outer_pos', 'pixel_embed': 'patch_embed', 'norm1_proj': 'proj_norm1',
    'norm2_proj': 'proj_norm2', 'norm_in': 'inner_norm1', 'attn_in': 'inner_attn',
    'norm_mlp_in': 'inner_norm2', 'mlp_in': 'inner_mlp', 'norm_out': 'outer_norm1',
    'attn_out': 'outer_attn', 'norm_mlp': 'outer_norm2', 'mlp': 'outer_mlp',
}


def timm_tnt_to_official(state_dict):
    """timm's ``tnt_s_patch16_224`` / ``tnt_b_patch16_224`` state dict -> the official layout.

    timm names the layers differently and stores the word position embedding as a
    ``(1, c, 4, 4)`` map (``pixel_pos``); the official ``inner_pos`` is ``(1, 16, c)``. The
    unused official ``outer_tokens`` (zeros) is added back. timm's ``legacy`` variant
    (``tnt_s_legacy_patch16_224``) is another network and is refused.

    Raises:
        KeyError: a legacy-layout or otherwise unknown state dict.
    """
    if 'pixel_pos' not in state_dict or 'blocks.0.norm2_proj.weight' not in state_dict:
        raise KeyError("Not timm's tnt_s_patch16_224 / tnt_b_patch16_224 layout (timm's "
                       'legacy TNT has no blocks.*.norm2_proj and is not the official network)')
    converted = {}
    for key, value in state_dict.items():
        if key == 'pixel_pos':
            converted['inner_pos'] = value.flatten(2).transpose(1, 2)
            continue
        converted['.'.join(_TIMM_TNT_NAMES.get(part, part) for part in key.split('.'))] = value
    pos = converted['outer_pos']
    converted['outer_tokens'] = pos.new_zeros(1, pos.shape[1] - 1, pos.shape[2])
    return converted


TNT.timm_converter = staticmethod(timm_tnt_to_official)

# Released ImageNet-1k checkpoints, release tag 'tnt'. PyramidTNT is on Baidu Disk only.
_TNT_WEIGHTS = {
    's': Weights(RELEASES + 'tnt/tnt_s_81.5.pth.tar', top1=81.5),
    'b': Weights(RELEASES + 'tnt/tnt_b_82.9.pth.tar', top1=82.9),
}
_PYRAMID_TNT_NO_WEIGHTS = ('PyramidTNT weights are on Baidu Disk only (password-protected, no '
                           'direct URL): download by hand and give the local path')


def _tnt(arch):
    return OfficialModel(
        backbone=dict(type='mmghost.TNT', arch=arch),
        convert=convert_official_tnt,
        weights=_TNT_WEIGHTS[arch],
        # upstream: final norm -> class token -> Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, ), out_type='cls_token', final_norm=True),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=TNT.arch_zoo[arch]['channels'],
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_tnt_head,
        timm_to_official=timm_tnt_to_official)


def _pyramid_tnt(arch):
    return OfficialModel(
        backbone=dict(type='mmghost.PyramidTNT', arch=arch),
        convert=convert_official_pyramid_tnt,
        no_weights=_PYRAMID_TNT_NO_WEIGHTS,
        # upstream: final norm -> mean over the tokens -> Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, ), final_norm=True),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=PyramidTNT.arch_zoo[arch]['channels'][-1],
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_pyramid_tnt_head)


OFFICIAL_MODELS = {
    'tnt_s_patch16_224': _tnt('s'),
    'tnt_b_patch16_224': _tnt('b'),
    'ptnt_ti_patch16_192': _pyramid_tnt('ti'),
    'ptnt_s_patch16_256': _pyramid_tnt('s'),
    'ptnt_m_patch16_256': _pyramid_tnt('m'),
    'ptnt_b_patch16_256': _pyramid_tnt('b'),
}
