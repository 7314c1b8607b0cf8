"""Graph layers: the chunked KNN equals the dense search (stored and factored position terms),
the fused gather-max equals gather + amax forward and backward, the relative-position term,
clamping, channels-last rows, and one search per block under with_cp."""
import pytest
import torch

from mmghost.models.layers import (Grapher, MaxRelativeGraphConv, ViGBlock, any_size_paths,
                                   dilated_knn, effective_k_dilation, official_relative_pos,
                                   sincos_grid_embedding)
from mmghost.models.layers import graph
from mmghost.models.layers.graph import GridPositionTerm, max_relative_features


def dense_dilated_knn(query, key, k, dilation, bias=None):
    """The whole B x N x M distance matrix at once, as upstream: |q|^2 - 2 q.k + |k|^2 + bias."""
    dist = (query.pow(2).sum(-1, keepdim=True) - 2 * query @ key.transpose(1, 2)
            + key.pow(2).sum(-1).unsqueeze(1))
    if bias is not None:
        dist = dist + bias
    return torch.topk(-dist, k * dilation, dim=-1).indices[..., ::dilation]


def _rows(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('bias_kind', ['none', 'stored', 'factors'])
@pytest.mark.parametrize('chunk_elements', [1 << 24, 5000, 1])
def test_chunked_knn_equals_dense(chunk_elements, bias_kind):
    query, key = _rows(2, 700, 16, seed=0), _rows(2, 300, 16, seed=1)
    query_factor, key_factor = _rows(700, 8, seed=2), _rows(8, 300, seed=3)
    bias = {'none': None, 'stored': _rows(700, 300, seed=4),
            'factors': lambda start, end: (query_factor[start:end], key_factor)}[bias_kind]
    dense_bias = query_factor @ key_factor if bias_kind == 'factors' else bias
    expected = dense_dilated_knn(query, key, 9, 3, dense_bias)
    # 700 queries x 300 keys x batch 2 spans many chunks for the smaller budgets
    assert torch.equal(dilated_knn(query, key, 9, 3, bias, chunk_elements), expected)


def test_knn_runs_in_float32_under_half_inputs():
    query = torch.randn(1, 50, 8).bfloat16()
    neighbours = dilated_knn(query, query, 4, 1)
    assert neighbours.shape == (1, 50, 4)
    assert torch.equal(neighbours, dilated_knn(query.float(), query.float(), 4, 1))


def _distinct_neighbours(batch, num_queries, num_keys, k, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randperm(num_keys, generator=generator)[:k]
                        for _ in range(batch * num_queries)]).view(batch, num_queries, k)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('ties', [False, True])
def test_fused_gather_max_equals_gather_and_amax(ties, monkeypatch):
    monkeypatch.setattr(graph, 'GATHER_CHUNK_ELEMENTS', 200)  # many chunks
    x, keys = _rows(2, 40, 6, seed=0), _rows(2, 30, 6, seed=1)
    if ties:  # equal keys (padding regions): the gradient is split among the tied maxima
        keys[:, 10:20] = keys[:, :1]
    neighbours = _distinct_neighbours(2, 40, 30, 5)
    grads = []
    for fused in (True, False):
        x_, keys_ = x.clone().requires_grad_(), keys.clone().requires_grad_()
        if fused:
            out = max_relative_features(x_, keys_, neighbours)
        else:
            gathered = torch.stack([keys_[b][neighbours[b]] for b in range(2)])  # B, N, k, C
            out = gathered.amax(dim=2) - x_
        out.backward(_rows(2, 40, 6, seed=5))
        grads.append((out.detach(), x_.grad, keys_.grad))
    for fused, reference in zip(*grads):
        torch.testing.assert_close(fused, reference, rtol=0, atol=1e-14)


@pytest.mark.parametrize('k, dilation, keys, expected', [
    (9, 2, 196, (9, 2)),   # enough keys: unchanged
    (9, 3, 20, (9, 2)),    # dilation lowered to keys // k
    (9, 5, 9, (9, 1)),
    (9, 2, 4, (4, 1)),     # fewer keys than k: k clamped
])
def test_effective_k_dilation(k, dilation, keys, expected):
    assert effective_k_dilation(k, dilation, keys) == expected


def _assembled_term(term, num_queries, chunk):
    """The whole term from the factors of every chunk of ``chunk`` queries."""
    return torch.cat([torch.mm(*term(start, min(start + chunk, num_queries)))
                      for start in range(0, num_queries, chunk)])


@pytest.mark.parametrize('chunk', [60, 7, 1])
def test_relative_pos_is_exact_for_rectangular_grids(chunk):
    grapher = Grapher(16, k=4, dilation=1, reduce_ratio=2, trained_grid=8).double()
    term = grapher.position_bias(6, 10)
    rows, cols = torch.meshgrid(torch.arange(6.), torch.arange(10.), indexing='ij')
    key_rows, key_cols = torch.meshgrid(torch.arange(3.) * 2 + 0.5, torch.arange(5.) * 2 + 0.5,
                                        indexing='ij')
    omega = 1.0 / 10000 ** (torch.arange(4, dtype=torch.float64) / 4)

    def axis_term(a, b):  # sum over frequencies of cos(omega * (a - b))
        return torch.cos(omega * (a.reshape(-1, 1, 1) - b.reshape(1, -1, 1))).sum(-1)

    expected = -(2 / 16) * (axis_term(rows.double(), key_rows.double())
                            + axis_term(cols.double(), key_cols.double()))
    torch.testing.assert_close(_assembled_term(term, 60, chunk), expected, rtol=0, atol=1e-14)
    with any_size_paths():  # what an ONNX export computes: the sin-cos factors of all queries
        query_factor, key_factor = grapher.position_bias(6, 10)(0, 60)
    assert query_factor.shape == (60, 16)
    torch.testing.assert_close(query_factor @ key_factor, expected, rtol=0, atol=1e-14)


def test_grid_position_term_takes_one_hot_axes_where_they_are_narrower():
    term = GridPositionTerm(64, (20, 30), (10, 15), step=2, offset=0.5, dtype=torch.float64)
    query_factor, key_factor = term(30, 90)  # rows 1-2 (2 one-hot columns), 30 cols (< 32)
    assert query_factor.shape == (60, 2 + 30) and key_factor.shape == (32, 150)
    query_factor, _ = term(0, 600)  # 20 rows one-hot, 30 columns one-hot
    assert query_factor.shape == (600, 50)
    wide = GridPositionTerm(16, (20, 30), (10, 15), dtype=torch.float64)
    assert wide(0, 600)[0].shape == (600, 16)  # 8 + 8 sin-cos columns: fewer than one-hot


def test_relative_pos_uses_the_stored_tensor_at_the_trained_grid():
    grapher = Grapher(16, k=4, dilation=1, reduce_ratio=2, trained_grid=8)
    grapher.relative_pos.add_(1.0)  # a loaded checkpoint's values, whatever they are
    torch.testing.assert_close(grapher.position_bias(8, 8), grapher.relative_pos[0])
    assert official_relative_pos(16, 8, 2).shape == (1, 64, 16)


def test_sincos_grid_embedding_rejects_channels_not_divisible_by_4():
    with pytest.raises(ValueError, match='divisible by 4'):
        sincos_grid_embedding(18, 2, 2)


def test_graph_conv_is_the_same_for_channels_first_and_channels_last_maps():
    conv = MaxRelativeGraphConv(8, k=5, dilation=2, reduce_ratio=2).double().eval()
    x = _rows(2, 8, 10, 14)
    with torch.no_grad():
        first = conv(x)
        last = conv(x.contiguous(memory_format=torch.channels_last))
    assert torch.equal(first, last)


def test_with_cp_searches_once_per_block(monkeypatch):
    calls = []
    search = graph.dilated_knn
    monkeypatch.setattr(graph, 'dilated_knn', lambda *a, **kw: calls.append(1) or search(*a, **kw))
    x = torch.randn(1, 8, 6, 6)
    for with_cp, searches in ((False, 1), (True, 1)):
        block = ViGBlock(8, k=4, dilation=1, with_cp=with_cp).train()
        calls.clear()
        block(x.clone().requires_grad_()).sum().backward()
        assert len(calls) == searches, f'with_cp={with_cp}: {len(calls)} searches'
