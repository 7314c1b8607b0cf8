"""TinyNet backbone: shapes at any size, arch table, freezing, with_cp, errors, equality with
timm's tinynet_a..e (the official checkpoints are timm checkpoints), the conversion tool, and the
det/seg configs (one training step each)."""
import copy
import subprocess
import sys

import pytest
import torch

import mmghost
from mmghost.models.backbones import TinyNet
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REPO_ROOT, build_classifier, randomised_timm

# stage channels (strides 4/8/16/32, final 1x1 conv at 32) and MBConv blocks per group
ARCHS = {
    'a': ((24, 40, 112, 320, 1280), [1, 2, 2, 4, 4, 5, 1]),
    'b': ((24, 32, 88, 240, 1280), [1, 2, 2, 3, 3, 4, 1]),
    'c': ((16, 24, 64, 176, 1280), [1, 2, 2, 3, 3, 3, 1]),
    'd': ((16, 24, 64, 176, 1280), [1, 1, 1, 2, 2, 3, 1]),
    'e': ((16, 24, 56, 160, 1280), [1, 1, 1, 2, 2, 2, 1]),
}
ALL_STAGES = (0, 1, 2, 3, 4)


def ceil_shapes(height, width):
    """Map sizes at strides 4/8/16/32/32: every stride-2 conv rounds up."""
    shapes = []
    for stride in (4, 8, 16, 32, 32):
        shapes.append((-(-height // stride), -(-width // stride)))
    return shapes


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_every_variant_at_odd_sizes(arch):
    model = TinyNet(arch=arch, out_indices=ALL_STAGES).eval()
    channels, _ = ARCHS[arch]
    assert model.stage_channels == channels
    assert model.stage_strides == (4, 8, 16, 32, 32)
    for size in [(97, 131), (33, 47), (32, 32)]:
        with torch.no_grad():
            outs = model(torch.randn(1, 3, *size))
        assert [tuple(o.shape[1:]) for o in outs] == \
            [(c, *s) for c, s in zip(channels, ceil_shapes(*size))]
        assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_block_counts_and_aliases(arch):
    model = TinyNet(arch=f'tinynet_{arch}')
    assert model.stage_channels == ARCHS[arch][0]
    blocks = [len(stage) for stage in model.stages[:4]]
    per_group = ARCHS[arch][1]
    assert blocks == [sum(per_group[:2]), per_group[2], sum(per_group[3:5]), sum(per_group[5:])]


def test_custom_width_and_depth_give_efficientnet_b0():
    import timm
    model = TinyNet(arch=dict(width=1.0, depth=1.0))
    assert model.stage_channels == (24, 40, 112, 320, 1280)
    b0 = timm.create_model('efficientnet_b0', pretrained=False)
    assert sum(p.numel() for p in model.parameters()) + 1280 * 1000 + 1000 == \
        sum(p.numel() for p in b0.parameters())


def test_drop_path_follows_timm_schedule_on_residual_blocks_only():
    model = TinyNet(arch='e', drop_path_rate=0.2)
    blocks = [b for stage in model.stages[:4] for b in stage]
    rates = [getattr(b.drop_path, 'drop_prob', 0.) for b in blocks]
    expected = [0.2 * i / len(blocks) if b.has_residual else 0. for i, b in enumerate(blocks)]
    assert rates == pytest.approx(expected)
    assert not blocks[0].has_residual  # 32 -> 16 channels: the depthwise-separable block


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch=dict(width=0, depth=1.0)), 'width and depth must be positive numbers'),
    (dict(arch=dict(width=1.0, depth='1')), 'width and depth must be positive numbers'),
    (dict(se_ratio=1.5), 'se_ratio must be in [0, 1)'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        TinyNet(**kwargs)
    assert message in str(error.value)


# --- equality with timm (whose tinynet_a..e load the official files) ---------------------------


@pytest.fixture(scope='module')
def timm_tinynet_a():
    return randomised_timm('tinynet_a')


def converted_classifier(name, timm_state):
    model = build_classifier(name, out_indices=ALL_STAGES)
    model.load_state_dict(convert_official(name, timm_state, classifier=True, timm=True),
                          strict=True)
    return model.eval()


def timm_taps(model, x):
    """timm's stage ends (blocks 1, 2, 4, 6), conv_head + bn2 (with SiLU) and logits."""
    taps = []
    out = model.bn1(model.conv_stem(x))
    for index, block in enumerate(model.blocks):
        out = block(out)
        if index in (1, 2, 4, 6):
            taps.append(out)
    taps.append(model.bn2(model.conv_head(out)))
    return taps, model.forward_head(taps[-1])


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('double', [False, True], ids=['float32', 'float64'])
def test_equal_to_timm_tinynet_a(timm_tinynet_a, double):
    timm_model = copy.deepcopy(timm_tinynet_a)
    classifier = converted_classifier('tinynet_a', timm_model.state_dict())
    x = torch.randn(2, 3, 97, 131)
    tolerance = dict(rtol=1e-10, atol=1e-12) if double else dict(rtol=1e-4, atol=1e-5)
    if double:
        timm_model, classifier, x = timm_model.double(), classifier.double(), x.double()
    with torch.no_grad():
        expected, expected_logits = timm_taps(timm_model, x)
        outs = classifier.backbone(x)
        logits = classifier.head.fc(classifier.neck(outs[-1:])[0])
        assert torch.equal(classifier(x, mode='tensor'), logits)
    for out, value in zip(outs, expected):
        torch.testing.assert_close(out, value, **tolerance)
    torch.testing.assert_close(logits, expected_logits, **tolerance)


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_timm_weights_load_strictly_and_param_counts_match(arch):
    import timm
    timm_model = timm.create_model(f'tinynet_{arch}', pretrained=False)
    classifier = converted_classifier(f'tinynet_{arch}', timm_model.state_dict())
    assert sum(p.numel() for p in classifier.parameters()) == \
        sum(p.numel() for p in timm_model.parameters())


def test_converter_reads_depths_from_keys_and_rejects_other_layouts(timm_tinynet_a):
    state = timm_tinynet_a.state_dict()
    with pytest.raises(KeyError, match='Not an official TinyNet state dict'):
        convert_official('tinynet_a', {k: v for k, v in state.items()
                                       if not k.startswith('blocks.6.')})
    with pytest.raises(KeyError, match="Unknown official TinyNet key 'head.weight'"):
        convert_official('tinynet_a', {**state, 'head.weight': torch.zeros(1)})


# --- conversion tool and strict loading -------------------------------------------------------

def run_converter(src, dst, *args):
    return subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py', str(src), str(dst), *args],
        cwd=REPO_ROOT, capture_output=True, text=True)


def test_tool_converts_timm_checkpoints(tmp_path, timm_tinynet_a):
    torch.save({'state_dict': timm_tinynet_a.state_dict()}, tmp_path / 'tinynet_a.pth')
    result = run_converter(tmp_path / 'tinynet_a.pth', tmp_path / 'out.pth', '--model',
                           'tinynet_a', '--timm', '--classifier')
    assert result.returncode == 0, result.stderr
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    assert set(saved) == set(build_classifier('tinynet_a').state_dict())
    assert torch.equal(saved['head.fc.weight'], timm_tinynet_a.classifier.weight)


def test_pretrained_loads_official_checkpoints_and_refuses_others(tmp_path, timm_tinynet_a):
    official = timm_tinynet_a.state_dict()
    torch.save(official, tmp_path / 'official.pth')
    cfg = mmghost.official_backbone_cfg('tinynet_a', init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'official.pth')))
    model = MODELS.build(cfg)
    model.init_weights()  # converted on the fly
    assert torch.equal(model.stem.conv.weight, official['conv_stem.weight'])
    assert torch.equal(model.stages[4].bn.running_var, official['bn2.running_var'])

    state = convert_official('tinynet_a', official)
    state.pop('stages.3.5.se.conv_expand.bias')
    state['head.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    cfg['init_cfg']['checkpoint'] = str(tmp_path / 'broken.pth')
    with pytest.raises(RuntimeError) as error:
        MODELS.build(cfg).init_weights()
    message = str(error.value)
    assert 'does not fit TinyNet' in message
    assert 'missing keys (1): stages.3.5.se.conv_expand.bias' in message
    assert 'unexpected keys (1): head.weight' in message


# --- det / seg configs --------------------------------------------------------------------------
