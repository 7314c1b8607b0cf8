"""The Transformer-in-Transformer block, shared by TNT and PyramidTNT.

Both models carry two token sets: *sentences* (outer tokens, one per image patch) and *words*
(inner tokens, a 4x4 grid of sub-patch tokens inside every patch). An inner transformer mixes
the words of each patch; their projection is added to the patch's sentence token; an outer
transformer mixes the sentences. Semantics follow the official code (huawei-noah/
Efficient-AI-Backbones, ``tnt_pytorch/tnt.py`` and ``tnt_pytorch/pyramid_tnt.py``); the code is
written anew.
"""
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from .grad_checkpoint import maybe_checkpoint
from .transformer import Mlp, MultiheadAttention

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
        words, sentences = maybe_checkpoint(self, self._inner_forward, words, sentences, hw,
                                            relative_pos)
        return words, sentences, hw


# Official sub-keys of a TNT / PyramidTNT block -> mmghost's (first match wins), for the
# checkpoint converters of both models.
OFFICIAL_BLOCK_KEYS = {
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
