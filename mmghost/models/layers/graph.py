"""Vision GNN building blocks: memory-bounded dilated KNN, max-relative graph conv, Grapher, FFN.

Semantics follow the official Vision GNN code (huawei-noah/Efficient-AI-Backbones,
``vig_pytorch/gcn_lib``); the code is written anew for dense prediction and for speed:

* nodes are rows: the backbones run on channels-last maps, where a node's features are one
  contiguous ``C``-vector, so the search and the gather read them without copies;
* the KNN never materialises the whole ``B x N x M`` distance matrix: queries are processed in
  chunks of at most ``KNN_CHUNK_ELEMENTS`` scores, each written by one matmul of augmented rows
  into one reused buffer, with the same neighbour sets as the dense search (ties are broken as
  ``torch.topk`` breaks them; they have measure zero for real features);
* the relative-position term is computed for the actual query and key grids (exactly, from the
  fixed sin-cos embeddings, as a factor pair that rides in the search's matmul) except at the
  grid a checkpoint was trained for, where the stored tensor is used as is;
* the neighbour gather and the max over neighbours run fused, in cache-sized chunks;
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

# Largest number of query-key scores one KNN chunk holds (32 MiB in float32). PViG-S at 800x1344
# runs as fast with 2^22 ... 2^25 (within 5%), slower with smaller chunks (2^20: 1.2x, 2^18:
# 2x: per-call overhead of the matmul and of topk's parallel loop); this is the smallest buffer
# on that plateau (benchmarks/pvig_knn.py --chunk-sweep).
KNN_CHUNK_ELEMENTS = 1 << 23
# Largest gathered neighbour block (queries x k x channels) of the fused gather-max: 16 MiB in
# float32, which the caches hold between the gather and the max.
GATHER_CHUNK_ELEMENTS = 1 << 22


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


def _chunk_bounds(total, step):
    return [(start, min(start + step, total)) for start in range(0, total, step)]


# torch.compile runs the search eagerly (a graph break): its chunk bounds are size-dependent
# Python, whose symbolic sizes swamp the compiler's shape reasoning under dynamic shapes (a
# PViG-Ti recompile did not finish in 5 minutes); the search yields indices only, no gradient.
@torch.compiler.disable
def dilated_knn(query, key, k, dilation, pos_bias=None, chunk_elements=KNN_CHUNK_ELEMENTS):
    """Indices of the dilated k nearest keys of every query, in chunks of queries.

    The distance is squared Euclidean plus an optional additive position bias. Keys are ranked
    by its negation without ``|q|^2``, which all keys of a query share:
    ``2 q.k - |k|^2 - bias``. One matmul of augmented rows computes it,
    ``[2q, 1, A] . [k, -|k|^2, -B^T]`` for a bias given as factors ``A @ B``; a stored bias is
    subtracted by the same call (``baddbmm``). Each chunk's scores go into one reused buffer and
    ``topk`` takes the largest, so no other pass touches them. The search is not differentiable
    (the official graph is not either).

    Args:
        query (Tensor): ``(B, N, C)`` query rows.
        key (Tensor): ``(B, M, C)`` key rows.
        k (int): Neighbours per query (after dilation).
        dilation (int): Take every ``dilation``-th of the ``k * dilation`` nearest keys.
        pos_bias (Tensor | callable, optional): The term added to the distances: an ``(N, M)``
            tensor, or ``pos_bias(start, end)`` returning factors ``(A, B)`` of shapes
            ``(end - start, E)`` and ``(E, M)`` whose product is the term of queries
            ``start:end`` (such as :class:`GridPositionTerm`). Defaults to None.
        chunk_elements (int): Largest ``B * rows * M`` score block held at once.

    Returns:
        Tensor: ``(B, N, k)`` int64 indices into the ``M`` keys.
    """
    batch, num_queries, _ = query.shape
    num_keys = key.shape[1]
    tracing = torch.jit.is_tracing()
    if tracing:  # one chunk: a loop over chunks would be unrolled for one size
        bounds = [(0, num_queries)]
    else:
        bounds = _chunk_bounds(num_queries, max(1, chunk_elements // max(1, batch * num_keys)))
    # Scores in at least float32: half-precision rounding would reorder near neighbours.
    dtype = torch.promote_types(query.dtype, torch.float32)
    with torch.no_grad(), torch.autocast(query.device.type, enabled=False):
        query = query.detach().to(dtype)
        key = key.detach().to(dtype)
        factors = pos_bias if callable(pos_bias) else None
        stored_bias = None if pos_bias is None or factors else pos_bias.to(dtype)
        key_base = torch.cat([key, -key.pow(2).sum(-1, keepdim=True)], dim=-1)  # B, M, C + 1
        key_rows = key_base.transpose(1, 2)
        ones = query.new_ones(batch, bounds[0][1], 1)
        buffer = None if tracing else query.new_empty(batch * bounds[0][1] * num_keys)
        indices = []
        for start, end in bounds:
            query_parts = [2 * query[:, start:end], ones[:, :end - start]]
            if factors is not None:
                query_factor, key_factor = (f.to(dtype) for f in factors(start, end))
                query_parts.append(query_factor.expand(batch, -1, -1))
                key_rows = torch.cat([key_base, -key_factor.T.expand(batch, -1, -1)],
                                     dim=-1).transpose(1, 2)  # B, C + 1 + E, M
            query_rows = torch.cat(query_parts, dim=-1)
            out = None if tracing else buffer[:batch * (end - start) * num_keys].view(
                batch, end - start, num_keys)
            if stored_bias is None:
                scores = torch.bmm(query_rows, key_rows, out=out)
            else:
                scores = torch.baddbmm(stored_bias[start:end], query_rows, key_rows, beta=-1,
                                       out=out)
            nearest = torch.topk(scores, k * dilation, dim=-1).indices
            indices.append(nearest[..., ::dilation])
        return torch.cat(indices, dim=1) if len(indices) > 1 else indices[0]


class _NeighbourMax(torch.autograd.Function):
    """Per channel, the largest of each query's neighbour rows; the gather and the max run
    chunk by chunk, so the ``P x k x C`` neighbour block is never whole. The backward gathers
    again and splits each gradient among the neighbours equal to the max (``amax`` semantics)."""

    @staticmethod
    def forward(ctx, rows, neighbours):
        num_queries, k = neighbours.shape
        channels = rows.shape[1]
        out = rows.new_empty(num_queries, channels)
        step = max(1, GATHER_CHUNK_ELEMENTS // (k * channels))
        for start, end in _chunk_bounds(num_queries, step):
            gathered = rows.index_select(0, neighbours[start:end].flatten())
            torch.amax(gathered.view(end - start, k, channels), dim=1, out=out[start:end])
        ctx.save_for_backward(rows, neighbours, out)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        rows, neighbours, out = ctx.saved_tensors
        num_queries, k = neighbours.shape
        channels = rows.shape[1]
        grad_rows = torch.zeros_like(rows)
        step = max(1, GATHER_CHUNK_ELEMENTS // (k * channels))
        for start, end in _chunk_bounds(num_queries, step):
            flat = neighbours[start:end].flatten()
            gathered = rows.index_select(0, flat).view(end - start, k, channels)
            share = (gathered == out[start:end, None]).to(grad.dtype)
            share.div_(share.sum(1, keepdim=True)).mul_(grad[start:end, None])
            grad_rows.index_add_(0, flat, share.view(-1, channels))
        return grad_rows, None


@torch.compiler.disable  # size-dependent chunk loops, as in dilated_knn
def _neighbour_max(rows, neighbours):
    return _NeighbourMax.apply(rows, neighbours)


def max_relative_features(x, keys, neighbours):
    """``max_j(key_j) - x_i`` over each query's neighbours (``max_j(key_j - x_i)``, cheaper).

    Args:
        x (Tensor): ``(B, N, C)`` query rows.
        keys (Tensor): ``(B, M, C)`` key rows.
        neighbours (Tensor): ``(B, N, k)`` indices into the keys.

    Returns:
        Tensor: ``(B, N, C)``.
    """
    batch, num_keys, channels = keys.shape
    offsets = torch.arange(batch, device=keys.device).view(batch, 1, 1) * num_keys
    flat_neighbours = (neighbours + offsets).flatten(0, 1)  # B*N, k
    flat_keys = keys.reshape(-1, channels)
    if torch.jit.is_tracing():  # a Gather and a ReduceMax in the exported graph
        nearest_max = flat_keys[flat_neighbours].amax(dim=1)
    else:
        nearest_max = _neighbour_max(flat_keys, flat_neighbours)
    return nearest_max.view_as(x) - x


def _sincos_freqs(channels):
    """Frequencies per axis of a 2-D sin-cos embedding of ``channels`` (divisible by 4)."""
    if channels % 4:
        raise ValueError(f'sin-cos grid embedding needs channels divisible by 4, got {channels}')
    return channels // 4


def _sincos_axis(positions, num_freqs):
    """1-D sin-cos embedding (MAE style) of float64 ``positions``: ``(len, 2 * num_freqs)``."""
    omega = 1.0 / 10000 ** (torch.arange(num_freqs, dtype=torch.float64) / num_freqs)
    angles = positions[:, None] * omega[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_grid_embedding(channels, rows, cols, step=1.0, offset=0.0, dtype=torch.float64):
    """2-D sin-cos embedding of the grid points ``offset + step * (i, j)``, row-major.

    Half of the channels encode the column coordinate, half the row coordinate, as in the
    official ``get_2d_sincos_pos_embed`` (so ``2 P P^T / C`` is its relative position term).
    The per-axis values are computed in float64 and rounded to ``dtype`` before they are
    spread over the grid.

    Returns:
        Tensor: ``(rows * cols, channels)``.
    """
    num_freqs = _sincos_freqs(channels)
    row_pos = offset + step * torch.arange(rows, dtype=torch.float64)
    col_pos = offset + step * torch.arange(cols, dtype=torch.float64)
    emb_col = _sincos_axis(col_pos, num_freqs).to(dtype)  # cols, C/2
    emb_row = _sincos_axis(row_pos, num_freqs).to(dtype)  # rows, C/2
    return torch.cat([emb_col[None].expand(rows, -1, -1),
                      emb_row[:, None].expand(-1, cols, -1)], dim=-1).reshape(rows * cols, channels)


class GridPositionTerm:
    """The relative-position term of a row-major query grid against a key grid, as factors of
    the queries ``start:end`` for :func:`dilated_knn`.

    The term is ``-2 P_q P_k^T / C`` with P the sin-cos embedding, whose halves encode the row
    and the column: it is a row term plus a column term, ``T[(i, j), (i', j')] = R[i, i'] +
    S[j, j']``. Each axis rides in the search's matmul either as its sin-cos factors (``C / 2``
    columns) or, where the chunk's queries take fewer distinct values on that axis, as a one-hot
    of those values against the matching rows of the exact table (``R`` or ``S``, computed in
    float64): the same term with fewer columns, so less matmul work (the rows of a chunk, and
    the columns of narrow maps with many channels).

    Args:
        channels (int): Embedding channels ``C`` (divisible by 4).
        query_size (tuple[int, int]): ``(H, W)`` of the query grid.
        key_size (tuple[int, int]): ``(h, w)`` of the key grid.
        step (float): Key spacing in query-grid units. Defaults to 1.
        offset (float): Position of the first key in query-grid units. Defaults to 0.
        dtype (torch.dtype): Dtype of the factors. Defaults to float32.
        device (torch.device, optional): Device of the factors. Defaults to None (CPU).
    """

    def __init__(self, channels, query_size, key_size, step=1.0, offset=0.0,
                 dtype=torch.float32, device=None):
        num_freqs = _sincos_freqs(channels)
        self.half_channels = channels // 2
        self.width = query_size[1]
        self.device = device
        key_index = torch.arange(key_size[0] * key_size[1], device=device)
        self.axes = []
        for n_query, n_key, key_coord in ((query_size[0], key_size[0], key_index // key_size[1]),
                                          (query_size[1], key_size[1], key_index % key_size[1])):
            query_emb = _sincos_axis(torch.arange(n_query, dtype=torch.float64), num_freqs)
            key_emb = _sincos_axis(offset + step * torch.arange(n_key, dtype=torch.float64),
                                   num_freqs) * (-2.0 / channels)
            table = (query_emb @ key_emb.T).to(device, dtype)  # n_query, n_key
            self.axes.append(dict(table=table[:, key_coord],  # n_query, M
                                  query_emb=query_emb.to(device, dtype),
                                  key_emb=key_emb.to(device, dtype)[key_coord].T))  # C/2, M

    def __call__(self, start, end):
        """``(A, B)``: ``(end - start, E)`` and ``(E, M)``, ``A @ B`` the term of the queries
        ``start:end``."""
        query = torch.arange(start, end, device=self.device)
        first_row, last_row = start // self.width, (end - 1) // self.width
        # the columns of one partial row, or all of them once the chunk wraps a row
        columns = ((start % self.width, (end - 1) % self.width) if first_row == last_row
                   else (0, self.width - 1))
        query_parts, key_parts = [], []
        for axis, coord, (first, last) in zip(self.axes, (query // self.width, query % self.width),
                                              ((first_row, last_row), columns)):
            if last - first + 1 < self.half_channels:
                values = torch.arange(first, last + 1, device=self.device)
                query_parts.append((coord[:, None] == values).to(axis['table'].dtype))
                key_parts.append(axis['table'][first:last + 1])
            else:
                query_parts.append(axis['query_emb'][coord])
                key_parts.append(axis['key_emb'])
        return torch.cat(query_parts, dim=1), torch.cat(key_parts, dim=0)


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

    def forward(self, x, pos_bias=None, neighbour_cache=None):
        """Graph conv of ``x`` ``(B, C, H, W)``, best channels-last (its rows are then views).

        Args:
            x (Tensor): The node features.
            pos_bias (Tensor | callable, optional): As in :func:`dilated_knn`.
            neighbour_cache (list, optional): Holds the neighbours once searched; a call that
                finds them there does not search again (the recomputation of a checkpointed
                block, which sees the same features).
        """
        batch, channels, height, width = x.shape
        keys = x
        if self.reduce_ratio > 1:
            keys = F.avg_pool2d(x, self.reduce_ratio, self.reduce_ratio)
        # sizes spelled out: an empty batch leaves -1 ambiguous
        x_rows = x.permute(0, 2, 3, 1).reshape(batch, height * width, channels)
        key_rows = keys.permute(0, 2, 3, 1).reshape(batch, keys.shape[2] * keys.shape[3],
                                                    channels)
        if neighbour_cache:
            neighbours = neighbour_cache[0]
        else:
            k, dilation = effective_k_dilation(self.k, self.dilation, key_rows.shape[1])
            # Neighbours are searched on L2-normalised features, gathered from the raw ones.
            # No autograd graph: a recomputation that skips the search must save what the
            # first pass saved.
            with torch.no_grad():
                neighbours = dilated_knn(F.normalize(x_rows, dim=-1),
                                         F.normalize(key_rows, dim=-1), k, dilation, pos_bias)
            if neighbour_cache is not None:
                neighbour_cache.append(neighbours)
        relative = max_relative_features(x_rows, key_rows, neighbours)
        # (B, H, W, 2C) with x and the relative feature interleaved, read as channels-last NCHW
        mixed = torch.stack([x_rows, relative], dim=-1).reshape(batch, height, width, 2 * channels)
        return self.conv(mixed.permute(0, 3, 1, 2))


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
        """The relative position term for an ``height x width`` grid (see :func:`dilated_knn`).

        At the trained grid it is the stored ``(N, M)`` tensor. Elsewhere it is exact for the
        actual grids, ``-2 P_q P_k^T / C`` with P the sin-cos embedding of the query positions
        and of the pooled key positions (window centres, in query-grid units), handed over as
        factors per chunk of queries (:class:`GridPositionTerm`): the search folds them into
        its matmul, so the ``N x M`` term is never formed. A trace for any input size uses the
        sin-cos factors at every grid (:mod:`.tracing`).
        """
        if self.relative_pos is None:
            return None
        ratio = self.reduce_ratio
        if not for_any_size() and height == width == self.trained_grid:
            return self.relative_pos[0]
        dtype, device = self.fc1.conv.weight.dtype, self.fc1.conv.weight.device
        key_grid = dict(step=ratio, offset=(ratio - 1) / 2)
        if for_any_size():  # sizes are traced: no per-chunk choice, the plain factors
            query_emb = sincos_grid_embedding(self.channels, height, width, dtype=dtype)
            key_emb = sincos_grid_embedding(self.channels, height // ratio, width // ratio,
                                            dtype=dtype, **key_grid)
            key_emb = key_emb.to(device).T * (-2.0 / self.channels)
            return lambda start, end: (query_emb[start:end].to(device), key_emb)
        return GridPositionTerm(self.channels, (height, width), (height // ratio, width // ratio),
                                dtype=dtype, device=device, **key_grid)

    def forward(self, x, neighbour_cache=None):
        """``x``: ``(B, C, H, W)``; ``neighbour_cache`` as in :class:`MaxRelativeGraphConv`."""
        shortcut = x
        x = self.fc1(x)
        x = self.graph_conv(x, self.position_bias(*x.shape[-2:]), neighbour_cache)
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

    def _inner_forward(self, x, neighbour_cache):
        return self.ffn(self.grapher(x, neighbour_cache))

    def forward(self, x):
        # The list outlives a with_cp recomputation, which reuses the neighbours found first.
        return maybe_checkpoint(self, functools.partial(self._inner_forward, neighbour_cache=[]),
                                x)
