"""G-Ghost RegNet backbone: shapes at any size, the upstream arch table (Ghost stages and their
deep/cheap split), parameter counts, freezing, with_cp, errors, official equality
(shared/reference g_ghost_regnetx_040), the conversion tool, and the det/seg configs."""
import json
import os
import subprocess
import sys

import pytest
import torch

import mmghost
from mmghost.models.backbones import GGhostRegNet
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, REPO_ROOT, build_classifier

VARIANT = 'g_ghost_regnetx_040'
# arch -> stage channels, and the deep ("raw") channels of each Ghost stage (None: plain stage),
# as computed from upstream's Stage (raw = int(C / 2 / gw') * gw', gw' = int(0.75 * gw))
ARCHS = {
    '002': ((24, 56, 152, 368), (None, None, 72, 180)),
    '004': ((32, 64, 160, 384), (None, None, 72, 192)),
    '006': ((48, 96, 240, 528), (None, 36, 108, 252)),
    '008': ((64, 128, 288, 672), (None, 60, 144, 336)),
    '016': ((72, 168, 408, 912), (None, 72, 198, None)),
    '032': ((96, 192, 432, 1008), (None, 72, 216, None)),
    '040': ((80, 240, 560, 1360), (None, 120, 270, None)),
    '064': ((168, 392, 784, 1624), (None, 168, 378, None)),
    '080': ((80, 240, 720, 1920), (None, 90, 360, None)),
    '120': ((224, 448, 896, 2240), (None, 168, 420, None)),
    '160': ((256, 512, 896, 2048), (None, 192, 384, None)),
    '320': ((336, 672, 1344, 2520), (None, 252, 630, None)),
}
# A small custom arch (two Ghost stages) for the training-mode tests.
TINY = dict(depths=[1, 1, 3, 3], widths=[16, 32, 48, 96], group_width=8)


@pytest.mark.parametrize('arch', sorted(ARCHS))
def test_every_variant_at_odd_sizes_follows_the_upstream_table(arch):
    model = GGhostRegNet(arch=arch).eval()
    channels, raw = ARCHS[arch]
    assert model.stage_channels == channels and model.stage_strides == (4, 8, 16, 32)
    assert tuple(getattr(stage, 'raw_channels', None) for stage in model.stages) == raw
    assert GGhostRegNet.arch_zoo[f'regnetx_{arch}'] == GGhostRegNet.arch_zoo[arch]
    for size in [(97, 131), (33, 47)]:
        with torch.no_grad():
            outs = model(torch.randn(1, 3, *size))
        assert [tuple(o.shape[1:]) for o in outs] == \
            [(c, -(-size[0] // s), -(-size[1] // s)) for c, s in zip(channels, (4, 8, 16, 32))]
        assert all(torch.isfinite(o).all() for o in outs)


# Upstream README: parameters (millions, with the ImageNet head) of the released models; the
# reference's exact count of the official g_ghost_regnetx_040.
@pytest.mark.parametrize('arch, millions', [('032', 10.5), ('040', 15.7), ('080', 24.6),
                                            ('160', 32.4)])
def test_param_counts_match_upstream(arch, millions, reference):
    classifier = build_classifier(f'g_ghost_regnetx_{arch}')
    count = sum(p.numel() for p in classifier.parameters())
    assert round(count / 1e6, 1) == millions
    if arch == '040':
        with open(os.path.join(REFERENCE_DIR, 'index.json')) as f:
            entry = next(v for v in json.load(f)['variants'] if v['variant'] == VARIANT)
        assert count == entry['param_count'] == 15_726_268


def test_ghost_stage_split_and_context():
    """The cheap half is ``ReLU(cheap(x0[:, raw:]) + merge(pooled maps))``, then ``end``."""
    stage = GGhostRegNet(arch=TINY).stages[2].eval()
    x = torch.randn(2, 32, 9, 7)
    with torch.no_grad():
        base = stage.base(x)
        maps, deep = [base], base[:, :stage.raw_channels]
        for layer in stage.layers:
            deep = layer(deep)
            maps.append(deep)
        context = stage.merge(torch.cat(maps, dim=1).mean((2, 3), keepdim=True))
        cheap = torch.relu(stage.cheap(base[:, stage.raw_channels:]) + context)
        expected = stage.end(torch.cat([deep, cheap], dim=1))
        torch.testing.assert_close(stage(x), expected)
    assert stage.raw_channels == 24 and len(stage.layers) == 1


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch=dict(TINY, depths=[1, 1, 3])), 'arch needs 4 depths and widths'),
    (dict(arch=dict(TINY, depths=[1, 1, 2, 3])), '>= 3 for stage 2 (always a Ghost stage)'),
    (dict(arch=dict(TINY, group_width=1)), 'group_width must be an int >= 2'),
    (dict(cheap_ratio=1.0), 'cheap_ratio must be in (0, 1)'),
    (dict(arch=TINY, cheap_ratio=0.9), 'leaves no deep or no cheap channels of 48'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        GGhostRegNet(**kwargs)
    assert message in str(error.value)


# --- official equality (shared/reference) ---------------------------------------------------

@pytest.fixture(scope='module')
def official_weights(official_state_dict):
    return official_state_dict(VARIANT)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('double', [False, True], ids=['float32', 'float64'])
def test_converted_official_weights_give_the_official_taps(double, reference, official_weights):
    classifier = build_classifier(VARIANT, out_indices=(0, 1, 2, 3))
    classifier.load_state_dict(convert_official(VARIANT, official_weights, classifier=True),
                               strict=True)
    classifier.eval()
    ref = reference.load_reference(os.path.join(REFERENCE_DIR, f'{VARIANT}.npz'))
    x = reference.reference_input(2, 224)
    if double:
        classifier, x = classifier.double(), x.double()
    with torch.no_grad():
        stages = classifier.backbone(x)
        taps = dict(stem=classifier.backbone.stem(x), logits=classifier(x, mode='tensor'),
                    **{f'stage{i + 1}': out for i, out in enumerate(stages)})
    for tap, value in taps.items():
        result = reference.compare_to_reference(ref, ('f64.' if double else '') + tap, value)
        assert result['ok'], (tap, result)


def test_converter_rejects_unknown_keys(official_weights):
    for key in ('layer5.0.conv1.weight', 'layer2.shortcut.weight', 'layer1.0.conv4.weight'):
        with pytest.raises(KeyError, match='Unknown official G-Ghost RegNet key'):
            convert_official(VARIANT, {**official_weights, key: torch.zeros(1)})


def run_converter(src, dst, *args):
    return subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py', str(src), str(dst), *args],
        cwd=REPO_ROOT, capture_output=True, text=True)


def test_tool_converts_the_released_layout(tmp_path, official_weights):
    # the released files carry DataParallel's `module.` (upstream issue #167)
    torch.save({'module.' + k: v for k, v in official_weights.items()}, tmp_path / 'src.pth')
    result = run_converter(tmp_path / 'src.pth', tmp_path / 'cls.pth', '--model', VARIANT,
                           '--classifier')
    assert result.returncode == 0, result.stderr
    saved = torch.load(tmp_path / 'cls.pth', weights_only=True)['state_dict']
    assert set(saved) == set(build_classifier(VARIANT).state_dict())
    assert torch.equal(saved['head.fc.weight'], official_weights['fc.weight'])


def test_pretrained_loads_official_checkpoints_and_refuses_others(tmp_path, official_weights):
    torch.save({'state_dict': {'module.' + k: v for k, v in official_weights.items()}},
               tmp_path / 'official.pth')
    cfg = mmghost.official_backbone_cfg(VARIANT, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'official.pth')))
    model = MODELS.build(cfg)
    model.init_weights()  # converted on the fly
    assert torch.equal(model.stages[2].merge[0].conv.weight,
                       official_weights['layer3.merge.1.weight'])

    state = convert_official(VARIANT, official_weights)
    detector = {'backbone.' + k: v for k, v in state.items()}
    detector['bbox_head.conv.weight'] = torch.zeros(1)
    torch.save({'state_dict': detector}, tmp_path / 'detector.pth')
    cfg['init_cfg'].update(checkpoint=str(tmp_path / 'detector.pth'), prefix='backbone.')
    MODELS.build(cfg).init_weights()

    state.pop('stages.2.cheap.bn.running_mean')
    state['fc.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    cfg['init_cfg'] = dict(type='Pretrained', checkpoint=str(tmp_path / 'broken.pth'))
    with pytest.raises(RuntimeError) as error:
        MODELS.build(cfg).init_weights()
    message = str(error.value)
    assert 'does not fit GGhostRegNet' in message
    assert 'missing keys (1): stages.2.cheap.bn.running_mean' in message
    assert 'unexpected keys (1): fc.weight' in message


# --- det / seg configs --------------------------------------------------------------------------
