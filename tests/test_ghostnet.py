"""GhostNet / GhostNetV2 backbones: shapes at any size, arch tables, freezing, with_cp, errors,
official equality (shared/reference ghostnet_1.0x, ghostnetv2_1.0x), timm equality, the Ghost
blocks, and the det/seg configs (one training step each)."""
import os

import pytest
import torch
import torch.nn.functional as F

import mmghost
from mmghost.models.backbones import GhostNet, GhostNetV2
from mmghost.models.backbones.ghostnet import convert_timm_ghostnet
from mmghost.models.layers.ghost import DFCAttention, GhostModule
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, build_classifier, randomised_timm

# stage channels (strides 4/8/16/32, final 1x1 conv at 32) per (class, width)
CHANNELS = {
    (GhostNet, '0.5x'): (12, 20, 56, 80, 480),
    (GhostNet, '1.0x'): (24, 40, 112, 160, 960),
    (GhostNet, '1.3x'): (32, 52, 144, 208, 1248),
    (GhostNetV2, '1.0x'): (24, 40, 112, 160, 960),
    (GhostNetV2, '1.3x'): (32, 52, 144, 208, 1248),
    (GhostNetV2, '1.6x'): (40, 64, 180, 256, 1536),
}
# official name -> (timm name, reference parameter count with the ImageNet head, or None)
OFFICIAL = {
    'ghostnet_0.5x': ('ghostnet_050', None),
    'ghostnet_1.0x': ('ghostnet_100', 5_182_508),
    'ghostnet_1.3x': ('ghostnet_130', None),
    'ghostnetv2_1.0x': ('ghostnetv2_100', 6_156_908),
    'ghostnetv2_1.3x': ('ghostnetv2_130', None),
    'ghostnetv2_1.6x': ('ghostnetv2_160', None),
}
TAPS = ('stage1', 'stage2', 'stage3', 'stage4', 'blocks9')


def ceil_shapes(height, width):
    """Map sizes at strides 4/8/16/32/32: every stride-2 conv rounds up."""
    shapes = []
    for _ in range(2):  # stem and the first stride-2 bottleneck
        height, width = -(-height // 2), -(-width // 2)
    for stage in range(5):
        if 0 < stage < 4:
            height, width = -(-height // 2), -(-width // 2)
        shapes.append((height, width))
    return shapes


@pytest.mark.parametrize('cls, arch', sorted(CHANNELS, key=lambda k: (k[0].__name__, k[1])),
                         ids=lambda v: getattr(v, '__name__', v))
def test_every_variant_at_odd_sizes(cls, arch):
    model = cls(arch=arch, out_indices=(0, 1, 2, 3, 4)).eval()
    assert model.stage_channels == CHANNELS[cls, arch]
    assert model.stage_strides == (4, 8, 16, 32, 32)
    for size in [(97, 131), (33, 47), (32, 32)]:  # 32: 1x1 maps at stride 32
        with torch.no_grad():
            outs = model(torch.randn(1, 3, *size))
        assert [tuple(o.shape[1:]) for o in outs] == \
            [(c, *s) for c, s in zip(CHANNELS[cls, arch], ceil_shapes(*size))]
        assert all(torch.isfinite(o).all() for o in outs)


def test_any_width_and_aliases():
    assert GhostNet(arch=dict(width=0.75)).stage_channels == (20, 32, 84, 120, 720)
    assert GhostNetV2(arch='1.3').stage_channels == GhostNetV2(arch='1.3X').stage_channels


def test_drop_path_trains_and_is_identity_in_eval():
    model = GhostNet(drop_path_rate=0.2)
    plain = GhostNet()
    plain.load_state_dict(model.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(model.eval()(x), plain.eval()(x)):
            assert torch.equal(a, b)
    sum(o.mean() for o in model.train()(x)).backward()


@pytest.mark.parametrize('cls, kwargs, message', [
    (GhostNet, dict(arch=dict(width=0)), 'width must be a positive number'),
])
def test_bad_arguments_raise_clear_errors(cls, kwargs, message):
    with pytest.raises(ValueError) as error:
        cls(**kwargs)
    assert message in str(error.value)


def test_ghost_module_cuts_odd_outputs_like_upstream():
    module = GhostModule(6, 7, ratio=3).eval()  # 3 primary + 6 cheap channels, 7 kept
    x = torch.randn(2, 6, 9, 11)
    with torch.no_grad():
        primary = module.primary_conv(x)
        expected = torch.cat([primary, module.cheap_operation(primary)], dim=1)[:, :7]
        torch.testing.assert_close(module(x), expected, rtol=0, atol=0)


@pytest.mark.parametrize('size', [(8, 12), (7, 9), (2, 3), (1, 5), (1, 1)])
def test_dfc_gate_is_upstream_where_upstream_runs(size):
    attention = DFCAttention(4, 6).eval()
    x, out = torch.randn(2, 4, *size), torch.randn(2, 6, *size)
    with torch.no_grad():
        actual = attention(x, out)
        if min(size) >= 2:  # upstream: floor avg-pool by 2, nearest upsample to (H, W)
            gate = torch.sigmoid(attention.convs(F.avg_pool2d(x, 2, 2)))
        else:  # a side of 1 is not pooled
            pool = (min(2, size[0]), min(2, size[1]))
            gate = torch.sigmoid(attention.convs(F.avg_pool2d(x, pool, pool)))
        expected = out * F.interpolate(gate, size=size, mode='nearest')
    torch.testing.assert_close(actual, expected, rtol=0, atol=0)


def test_dfc_attention_only_from_the_third_bottleneck():
    blocks = [b for stage in GhostNetV2().stages[:4] for b in stage]
    assert len(blocks) == 16
    assert [b.ghost1.attention is not None for b in blocks] == [False] * 2 + [True] * 14
    assert all(b.ghost2.attention is None for b in blocks)
    assert all(b.ghost1.attention is None for stage in GhostNet().stages[:4] for b in stage)


# --- official and timm equality ---------------------------------------------------------------

def converted_backbone(name, state_dict, timm=False):
    model = MODELS.build(mmghost.official_backbone_cfg(name, out_indices=(0, 1, 2, 3, 4)))
    model.load_state_dict(convert_official(name, state_dict, timm=timm), strict=True)
    return model.eval()


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('name', ['ghostnet_1.0x', 'ghostnetv2_1.0x'])
@pytest.mark.parametrize('double', [False, True], ids=['float32', 'float64'])
def test_converted_official_weights_give_the_official_taps(name, double, reference,
                                                           official_state_dict):
    official = official_state_dict(name)
    model = converted_backbone(name, official)
    classifier = build_classifier(name)
    classifier.load_state_dict(convert_official(name, official, classifier=True), strict=True)
    classifier.eval()
    ref = reference.load_reference(os.path.join(REFERENCE_DIR, f'{name}.npz'))
    x = reference.reference_input(2, 224)
    if double:
        model, classifier, x = model.double(), classifier.double(), x.double()
    prefix = 'f64.' if double else ''
    with torch.no_grad():
        taps = dict(zip(TAPS, model(x)), stem=model.stem(x),
                    logits=classifier(x, mode='tensor'))
    for tap, value in taps.items():
        result = reference.compare_to_reference(ref, prefix + tap, value)
        assert result['ok'], (tap, result)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('name', ['ghostnet_1.0x', 'ghostnetv2_1.0x'])
def test_equal_to_timm(name):
    timm_model = randomised_timm(OFFICIAL[name][0]).double()
    state = timm_model.state_dict()
    model = converted_backbone(name, state, timm=True).double()
    classifier = build_classifier(name)
    classifier.load_state_dict(convert_official(name, state, classifier=True, timm=True),
                               strict=True)
    classifier.eval().double()
    features = []
    for index in (2, 4, 6, 8, 9):
        timm_model.blocks[index].register_forward_hook(lambda m, i, o: features.append(o))
    for size in [(64, 96), (97, 131)]:  # even maps and odd ones (DFC gate interpolated)
        features.clear()
        x = torch.randn(2, 3, *size, dtype=torch.float64)
        with torch.no_grad():
            expected_logits = timm_model(x)
            outs = model(x)
            logits = classifier(x, mode='tensor')
        for out, expected in zip(outs, features):
            torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(logits, expected_logits, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('name', sorted(OFFICIAL))
def test_timm_weights_load_strictly_and_param_counts_match(name):
    import timm
    timm_name, reference_count = OFFICIAL[name]
    timm_model = timm.create_model(timm_name, pretrained=False)
    classifier = build_classifier(name)
    classifier.load_state_dict(
        convert_official(name, timm_model.state_dict(), classifier=True, timm=True), strict=True)
    count = sum(p.numel() for p in classifier.parameters())
    assert count == sum(p.numel() for p in timm_model.parameters())
    if reference_count is not None:
        assert count == reference_count


def test_timm_converter_refuses_ghostnet_v3():
    with pytest.raises(KeyError, match='GhostNetV3'):
        convert_timm_ghostnet({'blocks.2.0.ghost1.primary_rpr_conv.0.conv.weight': None})


def test_pretrained_loads_official_checkpoints_and_refuses_others(tmp_path, official_state_dict):
    official = official_state_dict('ghostnetv2_1.0x')
    torch.save(official, tmp_path / 'official.pth')
    cfg = mmghost.official_backbone_cfg('ghostnetv2_1.0x', init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'official.pth')))
    model = MODELS.build(cfg)
    model.init_weights()  # converted on the fly
    assert torch.equal(model.stem.conv.weight, official['conv_stem.weight'])

    state = convert_official('ghostnetv2_1.0x', official)
    state.pop('stages.3.4.ghost1.attention.convs.2.bn.bias')
    state['head.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    cfg['init_cfg']['checkpoint'] = str(tmp_path / 'broken.pth')
    with pytest.raises(RuntimeError) as error:
        MODELS.build(cfg).init_weights()
    message = str(error.value)
    assert 'does not fit GhostNetV2' in message
    assert 'missing keys (1): stages.3.4.ghost1.attention.convs.2.bn.bias' in message
    assert 'unexpected keys (1): head.weight' in message

    # GhostNet (v1) weights lack the DFC attention convs of GhostNetV2
    v1 = convert_official('ghostnet_1.0x', official_state_dict('ghostnet_1.0x'))
    missing = set(model.state_dict()) - set(v1)
    assert missing and all('.ghost1.attention.convs.' in key for key in missing)
    assert set(v1) < set(model.state_dict())


# --- det / seg configs --------------------------------------------------------------------------
