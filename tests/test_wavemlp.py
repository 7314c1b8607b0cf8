"""WaveMLP backbone: shapes at odd sizes, arch table and parameter counts, out norms, freezing,
norm_eval, with_cp, errors, official conversion (shared/reference WaveMLP_S and its fork_feat
form), loading ImageNet weights into the detection form, and the det/seg configs."""
import functools
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import mmghost
from mmghost.models.backbones import WaveMLP, convert_official_wavemlp
from mmghost.models.backbones import base as base_module
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, REPO_ROOT, build_classifier

CHANNELS = {'t_dw': (64, 128, 320, 512), 't': (64, 128, 320, 512), 's': (64, 128, 320, 512),
            'm': (64, 128, 320, 512), 'b': (96, 192, 384, 768)}


@functools.lru_cache(maxsize=None)
def backbone(arch):
    """A shared eval-mode backbone per arch (built once; tests must not change it)."""
    return WaveMLP(arch=arch).eval()


def ceil_shapes(height, width):
    shapes = [(-(-height // 4), -(-width // 4))]
    for _ in range(3):
        shapes.append(tuple(-(-s // 2) for s in shapes[-1]))
    return shapes


@pytest.mark.parametrize('arch', sorted(CHANNELS))
def test_every_variant_runs_at_odd_sizes(arch):
    model = backbone(arch)
    assert model.stage_channels == CHANNELS[arch]
    assert model.out_strides == (4, 8, 16, 32)
    for size in [(33, 47), (97, 131)]:
        with torch.no_grad():
            outs = model(torch.randn(1, 3, *size))
        assert [tuple(o.shape[2:]) for o in outs] == ceil_shapes(*size)
        assert [o.shape[1] for o in outs] == list(CHANNELS[arch])
        assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('size', [33, 34, 35, 36])
def test_patch_embedding_keeps_upstream_padding(size):
    """Every output the upstream conv (padding 2) has is unchanged; the extra zero padding at
    the bottom / right only adds the last row / column where upstream would drop it."""
    embed = backbone('m').patch_embed  # no norm after the conv
    x = torch.randn(1, 3, size, size + 1)
    with torch.no_grad():
        ours = embed(x)
        upstream = F.conv2d(x, embed.proj.weight, embed.proj.bias, stride=4, padding=2)
    assert ours.shape[2:] == (-(-size // 4), -(-(size + 1) // 4))
    rows, cols = upstream.shape[2:]
    torch.testing.assert_close(ours[..., :rows, :cols], upstream, rtol=0, atol=0)


def test_out_norms_follow_out_indices_and_the_arch_norm():
    model = WaveMLP(arch='s', out_indices=(1, -1), out_norms=True)
    assert [type(getattr(model, f'norm{i}')).__name__ for i in (1, 3)] == ['GroupNorm'] * 2
    assert not hasattr(model, 'norm0') and not hasattr(model, 'norm2')
    assert isinstance(WaveMLP(arch='t', out_indices=(0, ), out_norms=True).norm0,
                      torch.nn.BatchNorm2d)
    assert not any(name.startswith('norm') for name, _ in backbone('s').named_children())


def test_norms_and_eps_follow_upstream():
    for arch, norm in [('t_dw', torch.nn.BatchNorm2d), ('t', torch.nn.BatchNorm2d),
                       ('s', torch.nn.GroupNorm), ('m', torch.nn.GroupNorm)]:
        block = backbone(arch).stages[1].blocks[0]
        assert isinstance(block.norm1, norm) and isinstance(block.norm2, norm)
        assert block.norm1.eps == 1e-5
        for theta in (block.attn.theta_h_conv, block.attn.theta_w_conv):
            assert isinstance(theta[1], torch.nn.BatchNorm2d) and theta[1].eps == 1e-5
        if norm is torch.nn.GroupNorm:
            assert block.norm1.num_groups == 1
    depthwise = backbone('t_dw').stages[0].blocks[0].attn.theta_h_conv[0]
    assert depthwise.groups == 64 and depthwise.kernel_size == (3, 3) and depthwise.bias is None
    # M and B: no norm after the patch embedding and the downsamplings
    model = backbone('m')
    assert isinstance(model.patch_embed.norm, torch.nn.Identity)
    assert isinstance(model.stages[1].downsample.norm, torch.nn.Identity)


def test_phase_mixing_reads_channels_2c_and_2c_plus_1():
    """tfc_h (groups=C over [a cos, a sin]) mixes inputs 2c and 2c + 1 into channel c."""
    attn = backbone('t').stages[0].blocks[0].attn
    assert attn.tfc_h.kernel_size == (1, 7) and attn.tfc_w.kernel_size == (7, 1)
    assert attn.tfc_h.groups == attn.tfc_w.groups == 64 and attn.tfc_h.in_channels == 128
    wave = torch.zeros(1, 128, 1, 7)
    wave[0, 2 * 5 + 1, 0, 3] = 1.0  # input channel 11 (a cosine part: 11 < 64)
    out = attn.tfc_h(wave)
    assert out[0, :, 0, 3].nonzero().flatten().tolist() == [5]


# Official README (params via thop, whole model with the ImageNet head): T* 15M, T 17M, S 30M,
# M 44M, truncated to whole millions; WaveMLP_S exactly as the reference's official count.
@pytest.mark.parametrize('name, millions', [('WaveMLP_T_dw', 15), ('WaveMLP_T', 17),
                                            ('WaveMLP_S', 30), ('WaveMLP_M', 44)])
def test_param_counts_match_upstream(name, millions):
    count = sum(p.numel() for p in build_classifier(name).parameters())
    assert int(count / 1e6) == millions
    if name == 'WaveMLP_S':
        assert count == 30_708_040
        fork_feat = WaveMLP(arch='s', out_norms=True)
        assert sum(p.numel() for p in fork_feat.parameters()) == 30_196_064


def _trainable(module):
    return [p.requires_grad for p in module.parameters()]


def test_drop_path_schedule_is_linear_over_all_blocks():
    model = WaveMLP(arch='t', drop_path_rate=0.3)
    rates = [getattr(block.drop_path, 'drop_prob', 0.) for stage in model.stages
             for block in stage.blocks]
    assert rates == pytest.approx([0.3 * i / 9 for i in range(10)])


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch=dict(channels=[8, 16, 32], depths=[1, 1, 1], mlp_ratios=[4, 4, 4])),
     'arch needs 4 channels, depths and mlp_ratios'),
    (dict(arch=dict(channels=[8, 16, 32, 64], depths=[1] * 4, mlp_ratios=[4] * 4,
                    phase='conv')), "arch phase must be one of ('fc', 'depthwise')"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        WaveMLP(**{'arch': 't', **kwargs})
    assert message in str(error.value)


def test_custom_arch():
    model = WaveMLP(arch=dict(channels=[8, 16, 32, 64], depths=[1, 1, 1, 1],
                              mlp_ratios=[2, 2, 2, 2], phase='depthwise', embed_norm=False))
    model.eval()  # BatchNorm cannot train on the 1x1 map of stage 4 at batch 1
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape[1:]) for o in outs] == [(8, 8, 8), (16, 4, 4), (32, 2, 2), (64, 1, 1)]


# ----------------------------------------------------------------------------- official weights
@pytest.fixture(scope='module')
def official(official_state_dict):
    return {v: official_state_dict(v) for v in ('WaveMLP_S', 'WaveMLP_S_fork_feat')}


@pytest.fixture(scope='module')
def reference_outputs(reference):
    return {v: reference.load_reference(os.path.join(REFERENCE_DIR, f'{v}.npz'))
            for v in ('WaveMLP_S', 'WaveMLP_S_fork_feat')}


@pytest.fixture(scope='module')
def converted_checkpoint(tmp_path_factory, official):
    """The converter tool's output for WaveMLP_S (wrapped in a ``state_dict`` container; the
    release files' thop buffers: tests/test_release_files.py)."""
    folder = tmp_path_factory.mktemp('wavemlp')
    src, dst = folder / 'official.pth', folder / 'mmghost.pth'
    torch.save({'state_dict': official['WaveMLP_S']}, src)
    result = run_converter(src, dst, 'WaveMLP_S')
    assert result.returncode == 0, result.stderr
    return dst


def run_converter(src, dst, model):
    return subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py', str(src), str(dst),
         '--model', model], cwd=REPO_ROOT, capture_output=True, text=True)


def build(checkpoint=None, **kwargs):
    init_cfg = dict(type='Pretrained', checkpoint=str(checkpoint)) if checkpoint else None
    model = MODELS.build(mmghost.official_backbone_cfg('WaveMLP_S', init_cfg=init_cfg, **kwargs))
    model.init_weights()
    return model.eval()


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_converted_model_equals_official(converted_checkpoint, reference, reference_outputs,
                                         official, dtype):
    """Embedding, every stage and the logits; float64 strictly, float32 at its tolerance."""
    prefix = 'f64.' if dtype == torch.float64 else ''
    x = reference.reference_input(2, 224).to(dtype)
    model = build(converted_checkpoint).to(dtype)
    with torch.no_grad():
        taps = {'embed': model.patch_embed(x),
                **{f'stage{i + 1}': out for i, out in enumerate(model(x))}}
    # the upstream head (final norm -> pooling -> Linear) of the mmpretrain classifier, on the
    # last stage (its whole forward is checked by tests/test_classification.py)
    classifier = build_classifier('WaveMLP_S').eval().to(dtype)
    classifier.load_state_dict(convert_official('WaveMLP_S', official['WaveMLP_S'],
                                                classifier=True), strict=True)
    with torch.no_grad():
        taps['logits'] = classifier.head(classifier.neck((classifier.backbone.norm3(
            taps['stage4']), )))
    for name, out in taps.items():
        result = reference.compare_to_reference(reference_outputs['WaveMLP_S'], prefix + name, out)
        assert result['ok'], (name, result)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_fork_feat_form_equals_official(reference, reference_outputs, official, dtype):
    """upstream ``fork_feat=True``: norm0/2/4/6 on the outputs -> out norms norm0..3."""
    prefix = 'f64.' if dtype == torch.float64 else ''
    model = WaveMLP(arch='s', out_norms=True)
    state = convert_official_wavemlp(official['WaveMLP_S_fork_feat'])
    assert {k for k in state if k.startswith('norm')} == {
        f'norm{i}.{p}' for i in range(4) for p in ('weight', 'bias')}
    model.load_state_dict(state, strict=True)
    model.eval().to(dtype)
    with torch.no_grad():
        outs = model(reference.reference_input(2, 224).to(dtype))
    for i, out in enumerate(outs):
        result = reference.compare_to_reference(reference_outputs['WaveMLP_S_fork_feat'],
                                                f'{prefix}fork_out{i + 1}', out)
        assert result['ok'], (i, result)


def test_converter_drops_the_classifier(official):
    state = official['WaveMLP_S']
    converted = convert_official_wavemlp(state)
    assert converted.keys() == backbone('s').state_dict().keys()
    assert not any(k.startswith(('norm.', 'head.')) for k in converted)
    with pytest.raises(KeyError, match="Unknown official Wave-MLP key 'blocks.0.weight'"):
        convert_official_wavemlp({**state, 'blocks.0.weight': torch.zeros(1)})


def test_imagenet_weights_load_into_the_detection_form(converted_checkpoint, monkeypatch):
    """out_norms=True: everything but the out norms loads strictly; the out norms keep their
    fresh initialisation and exactly their keys are reported."""
    logged = []
    monkeypatch.setattr(base_module, 'print_log', lambda msg, **kw: logged.append(msg))
    model = build(converted_checkpoint, out_indices=(1, 2, 3), out_norms=True)
    state = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    for name, value in model.state_dict().items():
        if name.startswith('norm'):
            assert name.split('.')[0] in ('norm1', 'norm2', 'norm3')
            assert torch.equal(value, torch.ones_like(value) if name.endswith('weight')
                               else torch.zeros_like(value)), name
        else:
            assert torch.equal(value, state[name]), name
    fresh = [f'norm{i}.{p}' for i in (1, 2, 3) for p in ('weight', 'bias')]
    assert [m for m in logged if 'newly initialised' in m][0].endswith(
        'newly initialised: ' + ', '.join(fresh))
    assert list(model.state_dict()) == list(WaveMLP(arch='s', out_indices=(1, 2, 3),
                                                    out_norms=True).state_dict())


def test_detection_form_loads_official_checkpoints_on_the_fly(tmp_path, official,
                                                              converted_checkpoint):
    torch.save(official['WaveMLP_S'], tmp_path / 'official.pth')
    direct = build(tmp_path / 'official.pth', out_norms=True)
    converted = build(converted_checkpoint, out_norms=True)
    for (name, a), b in zip(direct.state_dict().items(), converted.state_dict().values()):
        assert torch.equal(a, b), name
    # upstream's fork_feat form carries its out norms: they are loaded, not re-initialised
    torch.save(official['WaveMLP_S_fork_feat'], tmp_path / 'fork_feat.pth')
    fork = build(tmp_path / 'fork_feat.pth', out_norms=True)
    assert torch.equal(fork.norm2.weight, official['WaveMLP_S_fork_feat']['norm4.weight'])


def test_detector_checkpoint_with_out_norms_loads_them(tmp_path, converted_checkpoint):
    trained = WaveMLP(arch='s', out_norms=True)
    with torch.no_grad():
        trained.norm3.weight.fill_(2.)
    detector = {'backbone.' + k: v for k, v in trained.state_dict().items()}
    detector['neck.conv.weight'] = torch.zeros(1)
    torch.save({'state_dict': detector}, tmp_path / 'detector.pth')
    cfg = mmghost.official_backbone_cfg('WaveMLP_S', out_norms=True, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'detector.pth'), prefix='backbone.'))
    model = MODELS.build(cfg)
    model.init_weights()
    assert torch.equal(model.norm3.weight, torch.full((512, ), 2.))


@pytest.mark.parametrize('out_norms', [False, True])
def test_pretrained_refuses_a_checkpoint_that_does_not_fit(tmp_path, converted_checkpoint,
                                                           out_norms):
    state = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    state.pop('stages.3.blocks.1.mlp.fc2.bias')
    state['head.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    with pytest.raises(RuntimeError) as error:
        build(tmp_path / 'broken.pth', out_norms=out_norms)
    message = str(error.value)
    assert 'missing keys (1): stages.3.blocks.1.mlp.fc2.bias' in message
    assert 'unexpected keys (1): head.weight' in message
    with pytest.raises(RuntimeError, match='does not fit'):
        build(converted_checkpoint, arch='m', out_norms=out_norms)


# ----------------------------------------------------------------------------- configs
