"""Transformer in Transformer (TNT) as a detection / segmentation backbone.

Paper: Han, Xiao, Wu, Guo, Xu and Wang, "Transformer in Transformer", NeurIPS 2021
(arXiv:2103.00112). Official code: huawei-noah/Efficient-AI-Backbones, ``tnt_pytorch/tnt.py``.

TNT is isotropic (stride 16, with a class token): every block updates the words of each patch
and the patch sentences (see :mod:`mmghost.models.layers.tnt`).

Layout: blocks (in :mod:`mmghost.models.layers.tnt`), the model, the official and timm
checkpoint converters, the official variants.
"""
import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from ...registry import MODELS
from ...weights.fitting import linear_cls_head, rename_prefix
from ...weights.records import RELEASES, OfficialModel, Weights
from ..family import SIGNED_NORM, Converters, Family, Paper
from ..layers.tnt import NUM_WORDS, OFFICIAL_BLOCK_KEYS, WORD_GRID, TNTBlock, WordProjection
from ..layers.transformer import init_transformer_weights, map_to_tokens, pad_to_multiple
from .base import IsotropicTransformer, select_arch

__all__ = ['TNT', 'convert_official_tnt', 'convert_official_tnt_head', 'timm_tnt_to_official']


@MODELS.register_module()
class TNT(IsotropicTransformer):
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
    word_stride = IsotropicTransformer.patch_size // WORD_GRID
    input_conv = 'word_embed'

    def __init__(self, arch='s', in_channels=3, mlp_ratio=4., qkv_bias=False, pretrain_img_size=224,
                 out_indices=(-1, ), out_type='featmap', final_norm=True, frozen_stages=-1,
                 norm_eval=False, with_cp=False, drop_path_rate=0., norm_cfg=dict(type='LN'),
                 act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(in_channels, pretrain_img_size, out_indices, out_type, final_norm,
                         frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo,
                           ('channels', 'num_heads', 'word_channels', 'word_heads', 'depth'))
        channels, word_channels, depth = arch['channels'], arch['word_channels'], arch['depth']

        self.word_embed = nn.Conv2d(in_channels, word_channels, 7, stride=self.word_stride,
                                    padding=3)
        self.word_pos_embed = nn.Parameter(torch.zeros(1, NUM_WORDS, word_channels))
        self.sentence_embed = WordProjection(word_channels * NUM_WORDS, channels, True, norm_cfg)
        self._build_class_token(channels)

        drop_rates = torch.linspace(0, drop_path_rate, depth).tolist()
        # each block is a stage of its own: out_indices and frozen_stages count blocks
        self.stages = nn.ModuleList(
            TNTBlock(channels, arch['num_heads'], word_channels, arch['word_heads'], mlp_ratio,
                     qkv_bias, 'qk_v', num_prefix_tokens=1, drop_path=drop_rates[i],
                     with_cp=with_cp, norm_cfg=norm_cfg, act_cfg=act_cfg) for i in range(depth))
        if final_norm:
            self.norm = build_norm_layer(norm_cfg, channels)[1]
        init_transformer_weights(self, self.word_pos_embed, self.cls_token, self.pos_embed)

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
        sentences = self._add_class_token(self.sentence_embed(words, hw[0] * hw[1]), hw)
        return words, sentences, hw

    def forward(self, x):
        outputs = self._run_stages(self.embed(x))
        return tuple(self._token_output(i, sentences, hw) for i, (_, sentences, hw) in outputs)


# Official keys outside the blocks -> mmghost's (first match wins).
_OFFICIAL_KEYS = {
    'patch_embed.proj.': 'word_embed.',
    'inner_pos': 'word_pos_embed',
    'outer_pos': 'pos_embed',
    'cls_token': 'cls_token',
    'proj_norm1.': 'sentence_embed.norm1.',
    'proj.': 'sentence_embed.proj.',
    'proj_norm2.': 'sentence_embed.norm2.',
    'norm.': 'norm.',
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
            new_key = f'stages.{index}.{rename_prefix(rest, OFFICIAL_BLOCK_KEYS, key, "TNT")}'
        else:
            new_key = rename_prefix(key, _OFFICIAL_KEYS, key, 'TNT')
        converted[new_key] = value
    return converted


def convert_official_tnt_head(state_dict):
    """The upstream TNT classifier ``head`` (Linear on the normalised class token) as
    mmpretrain's ``LinearClsHead`` keys."""
    return linear_cls_head(state_dict, 'head.')


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


# Released ImageNet-1k checkpoints, release tag 'tnt'.
_EVIDENCE = ("the official names (timm's TNT checkpoint_filter_fn renames them), the fixed "
             'outer_tokens kept; timm loads these URLs with weights_only=True')
_WEIGHTS = {
    's': Weights(RELEASES + 'tnt/tnt_s_81.5.pth.tar', top1=81.5, evidence=_EVIDENCE),
    'b': Weights(RELEASES + 'tnt/tnt_b_82.9.pth.tar', top1=82.9, evidence=_EVIDENCE),
}


def _tnt(arch):
    return OfficialModel(
        backbone=dict(type='mmghost.TNT', arch=arch),
        weights=_WEIGHTS[arch],
        # upstream: final norm -> class token -> Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, ), out_type='cls_token', final_norm=True),
            head=dict(type='LinearClsHead', num_classes=1000,
                      in_channels=TNT.arch_zoo[arch]['channels'],
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_tnt_head)


_OFFICIAL_MODELS = {
    'tnt_s_patch16_224': _tnt('s'),
    'tnt_b_patch16_224': _tnt('b'),
}


FAMILY = Family(
    papers=(Paper('TNT', 'Transformer in Transformer', 'https://arxiv.org/abs/2103.00112',
                  'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/tnt_pytorch', ('mmghost.TNT', )), ),
    backbones={TNT: Converters(convert_official_tnt, timm_tnt_to_official)},
    official_models=_OFFICIAL_MODELS,
    smallest=('tnt_s_patch16_224', ),
    config_models={'tnt': 'tnt_s_patch16_224'},
    normalisation=SIGNED_NORM,
    no_decay_keys=('pos_embed', 'cls_token', 'relative_pos'))
