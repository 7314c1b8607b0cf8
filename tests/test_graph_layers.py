"""Graph layers: chunked KNN equals the dense search, the relative-position term, clamping."""
import pytest
import torch

from mmghost.models.layers import (Grapher, dilated_knn, effective_k_dilation,
                                   official_relative_pos, sincos_grid_embedding)


def dense_dilated_knn(query, key, k, dilation, bias=None):
    """The whole B x N x M distance matrix at once, as upstream."""
    q, kt = query.transpose(1, 2), key
    dist = q.pow(2).sum(-1, keepdim=True) - 2 * q @ kt + kt.pow(2).sum(1, keepdim=True)
    if bias is not None:
        dist = dist + bias
    return torch.topk(-dist, k * dilation, dim=-1).indices[..., ::dilation]


@pytest.mark.parametrize('chunk_elements', [1 << 24, 5000, 1])
def test_chunked_knn_equals_dense(chunk_elements):
    generator = torch.Generator().manual_seed(0)
    query = torch.randn(2, 16, 700, generator=generator, dtype=torch.float64)
    key = torch.randn(2, 16, 300, generator=generator, dtype=torch.float64)
    bias = torch.randn(700, 300, generator=generator, dtype=torch.float64)
    expected = dense_dilated_knn(query, key, 9, 3, bias)
    actual = dilated_knn(query, key, 9, 3, lambda start, end: bias[start:end], chunk_elements)
    # 700 queries x 300 keys x batch 2 spans many chunks for the smaller budgets
    assert torch.equal(actual, expected)


def test_knn_runs_in_float32_under_half_inputs():
    query = torch.randn(1, 8, 50).bfloat16()
    neighbours = dilated_knn(query, query, 4, 1)
    assert neighbours.shape == (1, 50, 4)
    assert torch.equal(neighbours, dilated_knn(query.float(), query.float(), 4, 1))


@pytest.mark.parametrize('k, dilation, keys, expected', [
    (9, 2, 196, (9, 2)),   # enough keys: unchanged
    (9, 3, 20, (9, 2)),    # dilation lowered to keys // k
    (9, 5, 9, (9, 1)),
    (9, 2, 4, (4, 1)),     # fewer keys than k: k clamped
])
def test_effective_k_dilation(k, dilation, keys, expected):
    assert effective_k_dilation(k, dilation, keys) == expected


def test_relative_pos_is_exact_for_rectangular_grids():
    grapher = Grapher(16, k=4, dilation=1, reduce_ratio=2, trained_grid=8).double()
    bias = grapher.position_bias(6, 10)
    rows, cols = torch.meshgrid(torch.arange(6.), torch.arange(10.), indexing='ij')
    key_rows, key_cols = torch.meshgrid(torch.arange(3.) * 2 + 0.5, torch.arange(5.) * 2 + 0.5,
                                        indexing='ij')
    omega = 1.0 / 10000 ** (torch.arange(4, dtype=torch.float64) / 4)

    def axis_term(a, b):  # sum over frequencies of cos(omega * (a - b))
        return torch.cos(omega * (a.reshape(-1, 1, 1) - b.reshape(1, -1, 1))).sum(-1)

    expected = -(2 / 16) * (axis_term(rows.double(), key_rows.double())
                            + axis_term(cols.double(), key_cols.double()))
    torch.testing.assert_close(bias(0, 60), expected)
    torch.testing.assert_close(bias(10, 25), expected[10:25])


def test_relative_pos_uses_the_stored_tensor_at_the_trained_grid():
    grapher = Grapher(16, k=4, dilation=1, reduce_ratio=2, trained_grid=8)
    grapher.relative_pos.add_(1.0)  # a loaded checkpoint's values, whatever they are
    torch.testing.assert_close(grapher.position_bias(8, 8)(0, 64), grapher.relative_pos[0])
    assert official_relative_pos(16, 8, 2).shape == (1, 64, 16)


def test_sincos_grid_embedding_rejects_channels_not_divisible_by_4():
    with pytest.raises(ValueError, match='divisible by 4'):
        sincos_grid_embedding(18, 2, 2)
