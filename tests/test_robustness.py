"""Correctness under bad input, for every family: upstream init, a gradient for every trainable
parameter (DDP without ``find_unused_parameters``), ``in_channels``, clear input errors."""
import math

import pytest
import torch
from torch import nn

from mmghost.registry import MODELS

# the smallest arch of every family, and out_indices choices that exercise the unused-layer rules
FAMILIES = {
    'PyramidViG': (dict(arch='ti'), [(0, ), (1, 3), (0, 1, 2, 3)]),
    'ViG': (dict(arch='ti'), [(2, ), (5, 11), (-1, )]),
    'GhostNet': (dict(arch='0.5x'), [(0, ), (1, 2, 4), (3, )]),
    'GhostNetV2': (dict(arch='1.0x'), [(1, ), (0, 1, 2, 3)]),
    'TinyNet': (dict(arch='e'), [(0, ), (1, 2, 4)]),
    'GGhostRegNet': (dict(arch='002'), [(0, ), (0, 1, 2, 3)]),
    'TNT': (dict(arch='s'), [(3, ), (-1, )]),
    'PyramidTNT': (dict(arch='ti'), [(0, ), (1, 2, 3)]),
    'AugViT': (dict(arch='s', shortcut_mode='circulant2'), [(3, ), (-1, )]),
    'WaveMLP': (dict(arch='t'), [(0, ), (1, 2, 3)]),
}
# final_norm choices of the transformers (the norm must be trained or frozen, never idle)
FINAL_NORM = {'TNT': [True, False], 'AugViT': [True, False], 'PyramidTNT': [True, False]}


def cases():
    for family, (arch, choices) in FAMILIES.items():
        for out_indices in choices:
            for final_norm in FINAL_NORM.get(family, [None]):
                extra = {} if final_norm is None else dict(final_norm=final_norm)
                yield pytest.param(family, dict(arch, out_indices=out_indices, **extra),
                                   id=f'{family}-{out_indices}-{final_norm}')


@pytest.mark.parametrize('family,kwargs', list(cases()))
def test_every_trainable_parameter_gets_a_gradient(family, kwargs):
    model = MODELS.build(dict(type=f'mmghost.{family}', **kwargs)).train()
    outs = model(torch.randn(2, 3, 64, 96))
    sum(out.float().mean() for out in outs).backward()
    idle = [name for name, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not idle, f'trainable but unused (DDP would stop on them): {idle}'


# --------------------------------------------------------------------------------- init
@pytest.mark.parametrize('family', ['PyramidViG', 'ViG'])
def test_vision_gnn_convs_start_kaiming_normal_as_upstream(family):
    """Upstream's ``model_init``: ``kaiming_normal_`` (fan-in, gain sqrt(2)) and zero bias on
    every conv; a std 0.41x of that (PyTorch's default init) would fail here."""
    torch.manual_seed(0)
    model = MODELS.build(dict(type=f'mmghost.{family}', arch='ti'))
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert convs
    for conv in convs:
        fan_in = conv.weight[0].numel()
        expected = math.sqrt(2 / fan_in)
        if conv.weight.numel() >= 4096:  # enough samples for a 5% bound on the std
            assert abs(conv.weight.std().item() / expected - 1) < 0.05, conv
            assert abs(conv.weight.mean().item()) < 0.05 * expected, conv
        assert conv.bias is None or not conv.bias.any(), conv


# --------------------------------------------------------------------------- in_channels
def build(family, **kwargs):
    arch, _ = FAMILIES[family]
    return MODELS.build(dict(type=f'mmghost.{family}', **arch, **kwargs))


# the adaptation is shared code; each family (its input conv) takes one of the three rules in
# turn, so that every rule meets several families
@pytest.mark.parametrize('family, in_channels', [
    (family, (1, 4, 6)[i % 3]) for i, family in enumerate(sorted(FAMILIES))])
def test_rgb_weights_load_into_any_number_of_input_channels(family, in_channels, tmp_path):
    """Pretrained RGB weights adapted as timm's ``adapt_input_conv`` (1 channel: the sum over
    RGB; N: RGB repeated cyclically, scaled by 3/N), every other weight loaded as is. With 1 or
    3k channels an image whose channels are all equal gives the RGB network's outputs."""
    torch.manual_seed(0)
    rgb = build(family).eval()
    conv = rgb.get_submodule(rgb.input_conv)
    with torch.no_grad():  # weights on a 2^-10 grid: the adapted sums are exact in float32
        conv.weight.copy_(torch.round(conv.weight * 1024) / 1024)
    torch.save({'state_dict': rgb.state_dict()}, tmp_path / 'rgb.pth')
    model = build(family, in_channels=in_channels,
                  init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'rgb.pth')))
    assert model.get_submodule(model.input_conv).in_channels == in_channels
    model.init_weights()
    key = f'{model.input_conv}.weight'
    rest = {k: v for k, v in model.state_dict().items() if k != key}
    assert all(torch.equal(v, rgb.state_dict()[k]) for k, v in rest.items())
    weight, adapted = conv.weight, model.state_dict()[key]
    if in_channels == 1:
        assert torch.equal(adapted, weight.sum(1, keepdim=True))
    else:
        cyclic = weight[:, [c % 3 for c in range(in_channels)]] * (3 / in_channels)
        assert torch.equal(adapted, cyclic)
    if in_channels % 3 and in_channels != 1:
        return
    # float64: Vision GNN's neighbour search has near-ties that float32 rounding could flip
    model, rgb = model.eval().double(), rgb.double()
    plane = torch.randn(2, 1, 48, 64, dtype=torch.float64)
    with torch.no_grad():
        expected = rgb(plane.expand(-1, 3, -1, -1))
        outs = model(plane.expand(-1, in_channels, -1, -1))
    for out, value in zip(outs, expected):
        torch.testing.assert_close(out, value)


def test_in_channels_is_checked():
    with pytest.raises(ValueError, match='in_channels must be a positive int'):
        build('GhostNet', in_channels=0)


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize('x,message', [
    (torch.randn(3, 32, 32), r'4-D \(N, C, H, W\) image tensor, got shape \(3, 32, 32\)'),
    (torch.zeros(1, 3, 32, 32, dtype=torch.uint8), 'floating-point tensor, got torch.uint8'),
    (torch.randn(1, 4, 32, 32), 'in_channels=3, got an input with 4 channels'),
    ([torch.randn(1, 3, 32, 32)], '4-D .* got list'),
])
@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_bad_input_says_what_is_expected(family, x, message):
    with pytest.raises(ValueError, match=message):
        build(family).eval()(x)


@pytest.mark.parametrize('reduce_ratios,out_indices,smallest', [
    ((4, 2, 1, 1), (0, 1, 2, 3), 13),  # the default: a stage-1 grid of 4 for the 4x4 pooling
    ((1, 1, 4, 1), (0, ), 1),  # stage 3's pooling does not run for stage-1 outputs
    ((1, 1, 4, 1), (2, ), 49),
])
def test_too_small_input_names_the_smallest_that_works(reduce_ratios, out_indices, smallest):
    model = MODELS.build(dict(type='mmghost.PyramidViG', arch='ti', reduce_ratios=reduce_ratios,
                              out_indices=out_indices)).eval()
    assert model.min_input_size() == smallest
    with torch.no_grad():
        model(torch.randn(1, 3, smallest, smallest + 7))  # the boundary works
        if smallest > 1:
            with pytest.raises(ValueError, match=f'at least {smallest}x{smallest} pixels'):
                model(torch.randn(1, 3, smallest + 7, smallest - 1))
            with pytest.raises(RuntimeError):  # and really fails without the check
                model.forward(torch.randn(1, 3, smallest - 1, smallest - 1))


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_the_smallest_input_works_and_an_empty_batch_gives_empty_maps(family):
    """Only Pyramid ViG needs a minimum size (its key pooling); an empty batch gives empty maps
    of the right shape."""
    model = build(family).eval()
    smallest = model.min_input_size()
    assert smallest == (13 if family == 'PyramidViG' else 1)
    with torch.no_grad():
        model(torch.randn(1, 3, smallest, smallest))
        full = model(torch.randn(1, 3, 64, 80))
        empty = model(torch.randn(0, 3, 64, 80))
    assert [tuple(o.shape) for o in empty] == [(0, *o.shape[1:]) for o in full]


# ------------------------------------------------------------- N-channel detection training
def test_four_channel_detector_trains_one_step():
    """RetinaNet on a 4-channel backbone: ``MultiChannelDetDataPreprocessor`` (4 means / stds,
    BGRA -> RGBA) feeds it, and one loss + backward reaches every backbone parameter."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from tests.conftest import build_model, load_config
    cfg = load_config('demo/retinanet_pvig-s_fpn_demo.py')
    cfg.model.backbone.in_channels = 4
    cfg.model.data_preprocessor = dict(
        type='mmghost.MultiChannelDetDataPreprocessor', mean=[127.5] * 4, std=[127.5] * 4,
        bgr_to_rgb=True, pad_size_divisor=32)
    model = build_model(cfg).train()
    samples = []
    for i in range(2):
        sample = DetDataSample(metainfo=dict(img_shape=(96, 128), ori_shape=(96, 128),
                                             pad_shape=(96, 128), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=torch.tensor([[8., 8., 60., 50.]]),
                                           labels=torch.tensor([i]))
        samples.append(sample)
    images = [torch.randint(0, 256, (4, 96, 128), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=True)
    assert data['inputs'].shape == (2, 4, 96, 128)
    expected = (images[0][[2, 1, 0, 3]].float() - 127.5) / 127.5
    torch.testing.assert_close(data['inputs'][0], expected)
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert math.isfinite(float(total))
    total.backward()
    assert all(p.grad is not None for p in model.backbone.parameters())


def test_multi_channel_preprocessor_refuses_unpaired_statistics():
    from mmghost.models.data_preprocessors import MultiChannelDetDataPreprocessor
    with pytest.raises(ValueError, match='one value per channel each, got 4 and 3'):
        MultiChannelDetDataPreprocessor(mean=[0.] * 4, std=[1.] * 3)
