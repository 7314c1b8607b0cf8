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
# ------------------------------------------------------------------------------ bad input
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


# ------------------------------------------------------------- N-channel detection training
def test_four_channel_detector_trains_one_step():
    """RetinaNet on a 4-channel backbone: ``MultiChannelDetDataPreprocessor`` (4 means / stds,
    BGRA -> RGBA) feeds it, and one loss + backward reaches every backbone parameter."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from tests.helpers import build_model, load_config
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
