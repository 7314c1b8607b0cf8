"""Transformer pieces shared by the token-based families (TNT, PyramidTNT, AugViT; Wave-MLP
uses the MLP).

* :class:`Mlp` and :class:`MultiheadAttention` keep the official models' parameter layouts
  (``fc1``/``fc2``; ``qkv``, ``qk`` + ``v`` or ``q`` + ``kv`` projections), so official weights
  load by renaming prefixes only; :func:`init_transformer_weights` is their upstream
  initialisation.
* Inputs of any size: :func:`pad_to_multiple` pads an image at the bottom and right to whole
  patches (mmcv's ``AdaptivePadding`` in ``'corner'`` mode, as the mmdet / mmseg ViTs do), so a
  patch grid is ``ceil(H / patch)`` by ``ceil(W / patch)``; :class:`PatchEmbed` is the ViT patch
  embedding built on it.
* Position terms learned at one grid are resized bicubically (as mmseg / mmpretrain
  ``resize_pos_embed``) to the grid of the input, all through :func:`resize_map`:
  :func:`resize_pos_embed` for absolute token embeddings, :func:`resize_relative_pos` for a
  learned query x key attention bias, :func:`resize_map` itself for map-form embeddings (Vision
  GNN). Each returns the stored tensor itself when the grids match, so a model at its training
  size is unchanged.
"""
from functools import partial

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from .tracing import ceil_div, for_any_size


def pad_to_multiple(x, multiple):
    """Zero-pads an ``(B, C, H, W)`` map at the bottom and right to multiples of ``multiple``."""
    height, width = x.shape[-2:]
    # no % on sizes: torch.compile's dynamic-shape analysis fails on it (torch 2.14)
    pad_h = ceil_div(height, multiple) * multiple - height
    pad_w = ceil_div(width, multiple) * multiple - width
    if for_any_size() or pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h))
    return x


def tokens_to_map(tokens, hw):
    """``(B, H*W, C)`` row-major tokens -> ``(B, C, H, W)`` map."""
    return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], *hw)


def map_to_tokens(x):
    """``(B, C, H, W)`` map -> ``(B, H*W, C)`` row-major tokens."""
    return x.flatten(2).transpose(1, 2)


def resize_map(x, size, mode='bicubic'):
    """``x`` (``(..., H, W)``, 4-D) resized to ``size`` by interpolation (``align_corners=False``),
    or ``x`` itself when it has that size already (and no trace for any size records it)."""
    size = tuple(size)
    if not for_any_size() and tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode=mode, align_corners=False)


def resize_pos_embed(pos_embed, src_hw, dst_hw, num_extra_tokens=0, mode='bicubic'):
    """Resizes a ``(1, E + h*w, C)`` position embedding learned on grid ``src_hw`` to ``dst_hw``.

    The first ``num_extra_tokens`` entries (class token) are kept as they are.

    Returns:
        Tensor: ``pos_embed`` itself when the grids match, else ``(1, E + H*W, C)``.
    """
    if not for_any_size() and tuple(src_hw) == tuple(dst_hw):
        return pos_embed
    extra, grid = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    grid = resize_map(tokens_to_map(grid, src_hw), dst_hw, mode)
    return torch.cat([extra, map_to_tokens(grid)], dim=1)


def resize_relative_pos(relative_pos, src_query_hw, src_key_hw, dst_query_hw, dst_key_hw,
                        mode='bicubic'):
    """Resizes a learned attention bias ``(B', heads, Nq, Nk)`` to other query / key grids.

    The bias is a function of a query position (grid ``src_query_hw``, row-major) and a key
    position (grid ``src_key_hw``); each of the two grids is resized by a 2-D interpolation.

    Returns:
        Tensor: ``relative_pos`` itself when both grids match, else ``(B', heads, Hq*Wq, Hk*Wk)``
        for the destination grids.
    """
    src_query_hw, src_key_hw = tuple(src_query_hw), tuple(src_key_hw)
    dst_query_hw, dst_key_hw = tuple(dst_query_hw), tuple(dst_key_hw)
    any_size = for_any_size()
    if not any_size and src_query_hw == dst_query_hw and src_key_hw == dst_key_hw:
        return relative_pos
    lead = relative_pos.shape[:2]
    bias = relative_pos.flatten(0, 1)  # (B' * heads, Nq, Nk)
    # queries first: the key resize then writes the large result in (query, key) order
    if any_size or src_query_hw != dst_query_hw:
        bias = map_to_tokens(resize_map(tokens_to_map(bias, src_query_hw), dst_query_hw, mode))
    if any_size or src_key_hw != dst_key_hw:
        bias = resize_map(bias.reshape(-1, 1, *src_key_hw), dst_key_hw,
                          mode).reshape(bias.shape[0], bias.shape[1], -1)
    return bias.reshape(*lead, *bias.shape[1:])


class PatchEmbed(nn.Module):
    """ViT patch embedding at any input size: the image is zero-padded at the bottom / right to
    whole patches (:func:`pad_to_multiple`), then ``proj``, a ``patch_size`` conv with stride
    ``patch_size``.

    Args:
        channels (int): Token channels.
        patch_size (int): Patch side. Defaults to 16.
        in_channels (int): Image channels. Defaults to 3.
    """

    def __init__(self, channels, patch_size=16, in_channels=3):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, channels, patch_size, stride=patch_size)

    def forward(self, x):
        """Returns ``(B, h*w, C)`` tokens and their grid ``(h, w) = ceil((H, W) / patch)``."""
        x = self.proj(pad_to_multiple(x, self.patch_size))
        return map_to_tokens(x), tuple(x.shape[-2:])


class Mlp(nn.Module):
    """``fc2(act(fc1(x)))`` on the channels: the last dimension of tokens (Linear layers) or,
    with ``conv=True``, dimension 1 of ``(B, C, H, W)`` maps (1x1 convs with bias, Wave-MLP's
    layout).

    Args:
        channels (int): Input channels.
        hidden_channels (int): Hidden channels.
        act_cfg (dict): Defaults to ``dict(type='GELU')`` (exact GELU).
        out_channels (int, optional): Output channels. Defaults to None: ``channels``.
        conv (bool): 1x1 convs on maps instead of Linear layers on tokens. Defaults to False.
    """

    def __init__(self, channels, hidden_channels, act_cfg=dict(type='GELU'), out_channels=None,
                 conv=False):
        super().__init__()
        out_channels = channels if out_channels is None else out_channels
        layer = partial(nn.Conv2d, kernel_size=1) if conv else nn.Linear
        self.fc1 = layer(channels, hidden_channels)
        self.act = build_activation_layer(act_cfg)
        self.fc2 = layer(hidden_channels, out_channels)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class MultiheadAttention(nn.Module):
    """Multi-head self-attention with the projection layouts of the official models.

    ``softmax(q k^T / sqrt(head_channels) + bias) v``, then ``proj`` (with bias). The input
    projections follow ``layout``: ``'qkv'`` one Linear (ViT), ``'qk_v'`` a query-key Linear
    and a value Linear (TNT), ``'q_kv'`` a query Linear and a key-value Linear (PVT,
    PyramidTNT). With ``sr_ratio > 1`` keys and values come from the tokens average-pooled by
    ``sr_ratio`` over their grid, then ``sr_proj`` (Linear) and ``sr_norm``, as in PyramidTNT's
    outer attention; pooling windows cut by the border average what is inside them.

    Args:
        channels (int): Token channels.
        num_heads (int): Heads; ``channels`` must be divisible by it.
        qkv_bias (bool): Bias on the input projections. Defaults to False.
        layout (str): ``'qkv'``, ``'qk_v'`` or ``'q_kv'``. Defaults to ``'qkv'``.
        sr_ratio (int): Key/value pooling ratio, only with ``layout='q_kv'``. Defaults to 1.
        norm_cfg (dict): Norm of the pooled keys. Defaults to ``dict(type='LN')``.
    """

    layouts = ('qkv', 'qk_v', 'q_kv')

    def __init__(self, channels, num_heads, qkv_bias=False, layout='qkv', sr_ratio=1,
                 norm_cfg=dict(type='LN')):
        super().__init__()
        if layout not in self.layouts:
            raise ValueError(f'layout must be one of {self.layouts}, got {layout!r}')
        if channels % num_heads:
            raise ValueError(f'channels ({channels}) must be divisible by num_heads ({num_heads})')
        if sr_ratio > 1 and layout != 'q_kv':
            raise ValueError(f"sr_ratio > 1 needs layout='q_kv', got {layout!r}")
        self.num_heads = num_heads
        self.layout = layout
        self.sr_ratio = sr_ratio
        if layout == 'qkv':
            self.qkv = nn.Linear(channels, channels * 3, bias=qkv_bias)
        elif layout == 'qk_v':
            self.qk = nn.Linear(channels, channels * 2, bias=qkv_bias)
            self.v = nn.Linear(channels, channels, bias=qkv_bias)
        else:
            self.q = nn.Linear(channels, channels, bias=qkv_bias)
            self.kv = nn.Linear(channels, channels * 2, bias=qkv_bias)
        if sr_ratio > 1:
            self.sr_proj = nn.Linear(channels, channels)
            self.sr_norm = build_norm_layer(norm_cfg, channels)[1]
        self.proj = nn.Linear(channels, channels)

    def key_grid(self, hw):
        """The key grid of a query grid ``hw``: ``ceil(hw / sr_ratio)``."""
        return tuple(ceil_div(s, self.sr_ratio) for s in hw)

    def _split_heads(self, x, parts):
        """``(B, N, parts * C)`` -> ``(parts, B, heads, N, C / heads)``."""
        return x.unflatten(-1, (parts, self.num_heads, -1)).permute(2, 0, 3, 1, 4)

    def forward(self, x, hw=None, attn_bias=None):
        """Attends ``(B, N, C)`` tokens to each other.

        Args:
            x (Tensor): ``(B, N, C)`` tokens.
            hw (tuple[int, int], optional): Their row-major grid; needed with ``sr_ratio > 1``.
            attn_bias (Tensor, optional): Added to the attention logits; broadcastable to
                ``(B, heads, N, keys)``.
        """
        if self.layout == 'qkv':
            q, k, v = self._split_heads(self.qkv(x), 3).unbind(0)
        elif self.layout == 'qk_v':
            q, k = self._split_heads(self.qk(x), 2).unbind(0)
            v = self._split_heads(self.v(x), 1)[0]
        else:
            source = x
            if self.sr_ratio > 1:
                pooled = F.avg_pool2d(tokens_to_map(x, hw), self.sr_ratio, ceil_mode=True)
                source = self.sr_norm(self.sr_proj(map_to_tokens(pooled)))
            q = self._split_heads(self.q(x), 1)[0]
            k, v = self._split_heads(self.kv(source), 2).unbind(0)
        if attn_bias is not None:
            attn_bias = attn_bias.to(q.dtype)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias)
        return self.proj(x.transpose(1, 2).flatten(2))


def init_transformer_weights(*parts):
    """Upstream's (timm / DeiT) initialisation of ``parts``, in the order given, which fixes the
    random draws and so the seeded values: a parameter (class token, position embedding) is
    drawn truncated-normal (std 0.02); a module gets truncated-normal (std 0.02) weights and zero
    biases in all its Linear layers. LayerNorms and convs keep torch's defaults.

    Args:
        *parts (nn.Parameter | nn.Module): What to initialise.
    """
    for part in parts:
        if isinstance(part, nn.Parameter):
            nn.init.trunc_normal_(part, std=.02)
            continue
        for module in part.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
