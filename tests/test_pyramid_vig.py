"""PyramidViG backbone: shapes at several sizes, arch table, freezing, norm_eval, with_cp,
errors."""
import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from mmghost.models.backbones import PyramidViG, ViG

CHANNELS = {
    'ti': (48, 96, 240, 384),
    's': (80, 160, 400, 640),
    'm': (96, 192, 384, 768),
    'b': (128, 256, 512, 1024),
}


@pytest.fixture(scope='module')
def small_model():
    return PyramidViG(arch='s').eval()


@pytest.mark.parametrize('size', [(224, 224), (256, 320), (800, 1216)])
def test_output_shapes_at_any_aspect_ratio(small_model, size):
    height, width = size
    with torch.no_grad():
        outs = small_model(torch.randn(1, 3, height, width))
    assert small_model.out_channels == CHANNELS['s']
    assert small_model.out_strides == (4, 8, 16, 32)
    assert len(outs) == 4
    for out, channels, stride in zip(outs, small_model.out_channels, small_model.out_strides):
        assert out.shape == (1, channels, height // stride, width // stride)
        assert torch.isfinite(out).all()


@pytest.mark.parametrize('arch, alias', [
    ('ti', 'tiny'), ('s', 'small'), ('m', 'medium'), ('b', 'base')])
def test_arch_table_matches_mmpretrain(arch, alias):
    from mmpretrain.models.backbones import PyramidVig
    model = PyramidViG(arch=arch)
    assert model.stage_channels == CHANNELS[arch]
    assert PyramidViG(arch=alias).stage_channels == CHANNELS[arch]
    peer = PyramidVig(alias)
    peer_trainable = sum(p.numel() for p in peer.parameters() if p.requires_grad)
    assert sum(p.numel() for p in model.parameters()) == peer_trainable
    # relative_pos is a frozen term: a buffer here, a requires_grad=False parameter upstream.
    assert all(not name.endswith('relative_pos') for name, _ in model.named_parameters())


# Official README parameter counts (millions) include the ImageNet head (conv C3->1024, BN,
# conv 1024->1000) and exclude the frozen relative_pos tensors. (The README's M and B entries
# do not follow that rule; both agree with mmpretrain's PyramidVig above.)
@pytest.mark.parametrize('arch, millions', [('ti', 10.7), ('s', 27.3)])
def test_param_count_matches_official_readme(arch, millions):
    model = PyramidViG(arch=arch)
    head = model.stage_channels[-1] * 1024 + 1024 + 2 * 1024 + 1024 * 1000 + 1000
    assert round((sum(p.numel() for p in model.parameters()) + head) / 1e6, 1) == millions


def _trainable(module):
    return [p.requires_grad for p in module.parameters()]


def test_train_and_eval_return_the_model():
    model = PyramidViG(arch='ti')
    assert model.eval() is model
    assert model.train() is model


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('build', [lambda: PyramidViG(arch='ti', out_indices=(0, 1, 2, 3)),
                                   lambda: ViG(arch='ti', out_indices=(3, 11))],
                         ids=['PyramidViG', 'ViG'])
def test_outputs_are_contiguous_and_equal_for_either_input_layout(build):
    """The maps are channels-last inside; what a neck receives is plain NCHW either way."""
    model = build().eval().double()
    x = torch.randn(1, 3, 64, 96, dtype=torch.float64)
    with torch.no_grad():
        plain = model(x)
        channels_last = model(x.contiguous(memory_format=torch.channels_last))
    for a, b in zip(plain, channels_last):
        assert a.is_contiguous() and b.is_contiguous()
        assert torch.equal(a, b)


@pytest.mark.cpu_matrix
def test_batch1_training_gradients_match_finite_differences(monkeypatch):
    """Train mode, batch 1, float64: the gradients of the graphers' first layers (through the
    fused gather-max, the interleave and the BatchNorms) agree with central differences. The
    neighbours are held fixed (the search has no gradient, and a perturbed forward could cross
    a near-tie) and the step is small (the max over neighbours has kinks)."""
    from mmghost.models.layers import graph
    from mmghost.utils.profiling import randomize_batchnorm_
    searched, search = [], graph.dilated_knn
    replay = iter(())

    def fixed_search(*args, **kwargs):
        for neighbours in replay:
            return neighbours
        searched.append(search(*args, **kwargs))
        return searched[-1]

    monkeypatch.setattr(graph, 'dilated_knn', fixed_search)
    torch.manual_seed(0)
    model = PyramidViG(arch='ti', out_indices=(0, 1, 2, 3)).double().train()
    randomize_batchnorm_(model, seed=0)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(1, 3, 64, 96, generator=generator, dtype=torch.float64)
    outs = model(x)
    projections = [torch.randn(o.shape, generator=generator, dtype=torch.float64) for o in outs]
    sum((o * p).sum() for o, p in zip(outs, projections)).backward()

    def loss():
        nonlocal replay
        replay = iter(searched)
        return sum((o * p).sum() for o, p in zip(model(x), projections)).item()

    for stage in (2, 3):
        for param in (model.stages[stage].blocks[0].grapher.fc1.conv.weight,
                      model.stages[stage].blocks[0].grapher.fc1.bn.weight):
            direction = torch.randn(param.shape, generator=generator, dtype=torch.float64)
            with torch.no_grad():
                param.add_(1e-7 * direction)
                plus = loss()
                param.sub_(2e-7 * direction)
                minus = loss()
                param.add_(1e-7 * direction)
            numeric = (plus - minus) / 2e-7
            analytic = (param.grad * direction).sum().item()
            assert abs(analytic - numeric) <= 1e-5 * abs(numeric), (stage, analytic, numeric)


@pytest.mark.parametrize('build', [lambda: PyramidViG(arch='ti', out_indices=(0, 1, 2, 3)),
                                   lambda: ViG(arch='ti', out_indices=(3, 11))],
                         ids=['PyramidViG', 'ViG'])
def test_every_batchnorm_input_is_channels_last(build):
    """torch 2.14's CPU BatchNorm backward in train mode is wrong for an NCHW input whose
    incoming gradient is channels-last with the odd batch stride that transposed views leave
    at batch 1 (the graph conv's rows are such views): inputs that are channels-last
    themselves take a correct path, so every map inside the backbone is channels-last."""
    model = build().train()
    layouts = []
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.register_forward_hook(lambda m, inputs, output: layouts.append(
                inputs[0].is_contiguous(memory_format=torch.channels_last)))
    model(torch.randn(1, 3, 64, 96))
    assert layouts and all(layouts)


@pytest.mark.parametrize('arch', sorted(CHANNELS))
@pytest.mark.parametrize('size', [(112, 137), (33, 47)])
def test_every_variant_runs_at_odd_sizes(arch, size):
    model = PyramidViG(arch=arch).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    expected, (height, width) = [], size
    for stage in range(4):  # the stem has two stride-2 convs, each later stage one; all round up
        for _ in range(2 if stage == 0 else 1):
            height, width = -(-height // 2), -(-width // 2)
        expected.append((height, width))
    assert [tuple(o.shape[2:]) for o in outs] == expected
    assert [o.shape[1] for o in outs] == list(CHANNELS[arch])
    assert all(torch.isfinite(o).all() for o in outs)


def test_tiny_input_clamps_neighbours():
    model = PyramidViG(arch='ti').eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))  # stage 4 has 2x2 = 4 nodes for k=9
    assert outs[-1].shape == (1, 384, 2, 2)
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('kwargs, message', [
    (dict(reduce_ratios=(4, 2, 1)), 'reduce_ratios needs 4 entries'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        PyramidViG(**{'arch': 'ti', **kwargs})
    assert message in str(error.value)
