"""Vision GNN building blocks: memory-bounded dilated KNN, max-relative graph conv, Grapher, FFN.

Semantics follow the official Vision GNN code (huawei-noah/Efficient-AI-Backbones,
``vig_pytorch/gcn_lib``); the code is written anew for dense prediction:

* the KNN never materialises the whole ``B x N x M`` distance matrix: queries are processed in
  chunks of at most ``KNN_CHUNK_ELEMENTS`` distances, with the same neighbour sets as the dense
  search (ties are broken as ``torch.topk`` breaks them; they have measure zero for real features);
* the relative-position term is computed for the actual query and key grids (exactly, from the
  fixed sin-cos embeddings) except at the grid a checkpoint was trained for, where the stored
  tensor is used as is;
* neighbours are clamped to what exists on small maps (see :func:`effective_k_dilation`);
* under a trace for any input size (ONNX export, :mod:`.tracing`) the search is one chunk, the
  clamping and the position term stay functions of the input size, and the search is a TopK.
"""
import functools

import torch
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import nn

from .conv import conv_norm_act
from .grad_checkpoint import maybe_checkpoint
from .tracing import for_any_size
from .transformer import resize_map

# Largest number of query-key distances one KNN chunk holds (64 MiB in float32).
KNN_CHUNK_ELEMENTS = 1 << 24


def effective_k_dilation(k, dilation, num_keys):
    """Clamps a dilated KNN to the keys that exist.

    The dilated search takes every ``dilation``-th of the ``k * dilation`` nearest keys. On maps
    with fewer keys than that, the dilation is lowered first (to ``num_keys // k``, at least 1),
    then ``k`` itself (to ``num_keys``). Where ``k * dilation <= num_keys`` nothing changes.
    A traced ``num_keys`` (0-d tensor) gives traced results, so an export clamps at every size.

    Returns:
        tuple[int, int]: ``(k, dilation)`` to use (0-d tensors for a traced ``num_keys``).
    """
    if isinstance(num_keys, torch.Tensor):
        k = num_keys.clamp(max=k)
        return k, (num_keys // k).clamp(max=dilation).clamp(min=1)
    k = min(k, num_keys)
    dilation = max(1, min(dilation, num_keys // k))
    return k, dilation


# torch.compile runs the search eagerly (a graph break): its chunk bounds are size-dependent
# Python, whose symbolic sizes swamp the compiler's shape reasoning under dynamic shapes (a
# PViG-Ti recompile did not finish in 5 minutes); the search yields indices only, no gradient.
@torch.compiler.disable
def dilated_knn(query, key, k, dilation, pos_bias=None, chunk_elements=KNN_CHUNK_ELEMENTS):
    """Indices of the dilated k nearest keys of every query, in chunks of queries.

    Distances are squared Euclidean (``|q|^2 - 2 q.k + |k|^2``) plus an optional additive
    position bias; the search is not differentiable (the official graph is not either).

    Args:
        query (Tensor): ``(B, C, N)`` query features.
        key (Tensor): ``(B, C, M)`` key features.
        k (int): Neighbours per query (after dilation).
        dilation (int): Take every ``dilation``-th of the ``k * dilation`` nearest keys.
        pos_bias (callable, optional): ``pos_bias(start, end)`` returns the ``(end - start, M)``
            term added to the distances of queries ``start:end``. Defaults to None.
        chunk_elements (int): Largest ``B * rows * M`` distance block held at once.

    Returns:
        Tensor: ``(B, N, k)`` int64 indices into the ``M`` keys.
    """
    batch, _, num_queries = query.shape
    num_keys = key.shape[-1]
    if torch.jit.is_tracing():  # one chunk: a loop over chunks would be unrolled for one size
        bounds = [(0, num_queries)]
    else:
        rows = max(1, chunk_elements // max(1, batch * num_keys))
        bounds = [(start, min(start + rows, num_queries)) for start in range(0, num_queries, rows)]
    # Distances in at least float32: half-precision rounding would reorder near neighbours.
    dtype = torch.promote_types(query.dtype, torch.float32)
    with torch.no_grad(), torch.autocast(query.device.type, enabled=False):
        query = query.detach().to(dtype).transpose(1, 2)  # B, N, C
        key = key.detach().to(dtype)
        query_sq = query.pow(2).sum(-1, keepdim=True)
        key_sq = key.pow(2).sum(1, keepdim=True)  # B, 1, M
        indices = []
        for start, end in bounds:
            dist = query_sq[:, start:end] - 2 * torch.bmm(query[:, start:end], key) + key_sq
            if pos_bias is not None:
                dist += pos_bias(start, end).to(dtype)
            nearest = torch.topk(-dist, k * dilation, dim=-1).indices
            indices.append(nearest[..., ::dilation])
        return torch.cat(indices, dim=1) if len(indices) > 1 else indices[0]


def max_relative_features(x, y, neighbours):
    """``max_j(y_j) - x_i`` over each query's neighbours (``max_j(y_j - x_i)``, cheaper).

    Args:
        x (Tensor): ``(B, C, N)`` query features.
        y (Tensor): ``(B, C, M)`` key features.
        neighbours (Tensor): ``(B, N, k)`` indices into the keys.

    Returns:
        Tensor: ``(B, C, N)``.
    """
    batch, channels, num_keys = y.shape
    flat_keys = y.transpose(1, 2).reshape(batch * num_keys, channels)
    offsets = torch.arange(batch, device=y.device).view(batch, 1, 1) * num_keys
    gathered = flat_keys[neighbours + offsets]  # B, N, k, C
    return gathered.amax(dim=2).transpose(1, 2) - x


def _sincos_axis(positions, num_freqs):
    """1-D sin-cos embedding (MAE style) of float64 ``positions``: ``(len, 2 * num_freqs)``."""
    omega = 1.0 / 10000 ** (torch.arange(num_freqs, dtype=torch.float64) / num_freqs)
    angles = positions[:, None] * omega[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_grid_embedding(channels, rows, cols, step=1.0, offset=0.0):
    """2-D sin-cos embedding of the grid points ``offset + step * (i, j)``, row-major, float64.

    Half of the channels encode the column coordinate, half the row coordinate, as in the
    official ``get_2d_sincos_pos_embed`` (so ``2 P P^T / C`` is its relative position term).

    Returns:
        Tensor: ``(rows * cols, channels)``.
    """
    if channels % 4:
        raise ValueError(f'sin-cos grid embedding needs channels divisible by 4, got {channels}')
    row_pos = offset + step * torch.arange(rows, dtype=torch.float64)
    col_pos = offset + step * torch.arange(cols, dtype=torch.float64)
    emb_col = _sincos_axis(col_pos, channels // 4)  # cols, C/2
    emb_row = _sincos_axis(row_pos, channels // 4)  # rows, C/2
    return torch.cat([emb_col[None].expand(rows, -1, -1),
                      emb_row[:, None].expand(-1, cols, -1)], dim=-1).reshape(rows * cols, channels)


@functools.lru_cache(maxsize=16)
def official_relative_pos(channels, side, reduce_ratio):
    """The relative position term the official Pyramid ViG stores for a ``side x side`` grid.

    ``-resize(2 P P^T / C)`` with P the sin-cos embedding, rounded to float32 and resized
    bicubically from ``(n, n)`` to ``(n, n // r^2)`` as an image, as upstream does at construction.

    Returns:
        Tensor: ``(1, n, n // reduce_ratio**2)`` float32 (shared; clone before changing it).
    """
    emb = sincos_grid_embedding(channels, side, side)
    n = side * side
    relative = (2 * emb @ emb.T / channels).float()[None, None]
    relative = resize_map(relative, (n, n // reduce_ratio**2))
    return -relative[0]


class MaxRelativeGraphConv(nn.Module):
    """Max-relative graph convolution (MRConv) on a dynamic dilated KNN graph.

    The neighbour feature ``max_j(y_j) - x_i`` is interleaved channel by channel with ``x``
    (``x0, m0, x1, m1, ...``), then mixed by a grouped 1x1 conv. The interleaving decides which
    channels each conv group sees: concatenating ``[x, m]`` instead loads official weights without
    error and computes something else.

    Args:
        in_channels (int): Input channels ``C``; the output has ``2C``.
        k (int): Neighbours per node.
        dilation (int): KNN dilation.
        reduce_ratio (int): Keys are the input average-pooled by this ratio. Defaults to 1.
        groups (int): Groups of the 1x1 conv. Defaults to 4.
        norm_cfg (dict): Norm after the conv. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after the norm. Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, in_channels, k, dilation, reduce_ratio=1, groups=4,
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='GELU')):
        super().__init__()
        self.k = k
        self.dilation = dilation
        self.reduce_ratio = reduce_ratio
        self.conv = conv_norm_act(2 * in_channels, 2 * in_channels, 1, groups=groups,
                                  norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x, pos_bias=None):
        """``x``: ``(B, C, H, W)``; ``pos_bias`` as in :func:`dilated_knn`."""
        batch, channels, height, width = x.shape
        keys = x
        if self.reduce_ratio > 1:
            keys = F.avg_pool2d(x, self.reduce_ratio, self.reduce_ratio)
        x = x.flatten(2)
        keys = keys.flatten(2)
        k, dilation = effective_k_dilation(self.k, self.dilation, keys.shape[-1])
        # Neighbours are searched on L2-normalised features, gathered from the raw ones.
        neighbours = dilated_knn(F.normalize(x, dim=1), F.normalize(keys, dim=1), k, dilation,
                                 pos_bias)
        relative = max_relative_features(x, keys, neighbours)
        mixed = torch.stack([x, relative], dim=2).reshape(batch, 2 * channels, height, width)
        return self.conv(mixed)


class Grapher(nn.Module):
    """Graph block: 1x1 conv, max-relative graph conv (C -> 2C), 1x1 conv, residual.

    Args:
        channels (int): Channels ``C``.
        k (int): Neighbours per node.
        dilation (int): KNN dilation.
        reduce_ratio (int): Key pooling ratio. Defaults to 1.
        trained_grid (int, optional): Side of the square grid the relative position term was
            trained for (stored as the ``relative_pos`` buffer). None disables the term.
        groups (int): Groups of the graph conv's 1x1 conv. Defaults to 4.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, k, dilation, reduce_ratio=1, trained_grid=None, groups=4,
                 drop_path=0., norm_cfg=dict(type='BN'), act_cfg=dict(type='GELU')):
        super().__init__()
        self.channels = channels
        self.reduce_ratio = reduce_ratio
        self.fc1 = conv_norm_act(channels, channels, 1, norm_cfg=norm_cfg)
        self.graph_conv = MaxRelativeGraphConv(channels, k, dilation, reduce_ratio, groups,
                                               norm_cfg, act_cfg)
        self.fc2 = conv_norm_act(2 * channels, channels, 1, norm_cfg=norm_cfg)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        if trained_grid is None:
            self.relative_pos = None
        else:
            self.register_buffer(
                'relative_pos', official_relative_pos(channels, trained_grid, reduce_ratio).clone())
        self.trained_grid = trained_grid

    def position_bias(self, height, width):
        """The relative position term for an ``height x width`` grid, as ``bias(start, end)``.

        At the trained grid it slices the stored tensor. Elsewhere it is computed exactly for
        the actual grids: ``-2 P_q P_k^T / C``, with P the sin-cos embedding of the query
        positions and of the pooled key positions (window centres, in query-grid units). A
        trace for any input size computes it at every grid (:mod:`.tracing`).
        """
        if self.relative_pos is None:
            return None
        ratio = self.reduce_ratio
        if not for_any_size() and height == width == self.trained_grid:
            stored = self.relative_pos[0]
            return lambda start, end: stored[start:end]
        dtype, device = self.fc1.conv.weight.dtype, self.fc1.conv.weight.device
        query_emb = sincos_grid_embedding(self.channels, height, width).to(device, dtype)
        key_emb = sincos_grid_embedding(self.channels, height // ratio, width // ratio,
                                        step=ratio, offset=(ratio - 1) / 2).to(device, dtype)
        key_emb = key_emb.T * (-2.0 / self.channels)
        return lambda start, end: query_emb[start:end] @ key_emb

    def forward(self, x):
        shortcut = x
        x = self.fc1(x)
        x = self.graph_conv(x, self.position_bias(*x.shape[-2:]))
        return self.drop_path(self.fc2(x)) + shortcut


class ConvFFN(nn.Module):
    """Two 1x1 conv + norm layers with an activation between, and a residual.

    Args:
        channels (int): Input and output channels.
        hidden_channels (int): Hidden channels.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, hidden_channels, drop_path=0., norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='GELU')):
        super().__init__()
        self.fc1 = conv_norm_act(channels, hidden_channels, 1, norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
        self.fc2 = conv_norm_act(hidden_channels, channels, 1, norm_cfg=norm_cfg)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def forward(self, x):
        return self.drop_path(self.fc2(self.fc1(x))) + x


class ViGBlock(nn.Module):
    """One Vision GNN block: :class:`Grapher` then :class:`ConvFFN`.

    Args:
        channels (int): Channels.
        k (int): Neighbours per node.
        dilation (int): KNN dilation.
        reduce_ratio (int): Key pooling ratio. Defaults to 1.
        trained_grid (int, optional): See :class:`Grapher`. Defaults to None.
        ffn_ratio (int): FFN hidden channels / channels. Defaults to 4.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, k, dilation, reduce_ratio=1, trained_grid=None, ffn_ratio=4,
                 drop_path=0., with_cp=False, norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='GELU')):
        super().__init__()
        self.with_cp = with_cp
        self.grapher = Grapher(channels, k, dilation, reduce_ratio, trained_grid,
                               drop_path=drop_path, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.ffn = ConvFFN(channels, channels * ffn_ratio, drop_path, norm_cfg, act_cfg)

    def _inner_forward(self, x):
        return self.ffn(self.grapher(x))

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)
