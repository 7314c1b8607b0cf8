"""Official checkpoint conversion: the tool, strict loading, equality with the official outputs
(shared/reference data) and with mmpretrain's PyramidVig."""
import os
import subprocess
import sys

import pytest
import torch

import mmghost
from mmghost.models.backbones import PyramidViG, convert_official_pyramid_vig
from mmghost.models.layers import official_relative_pos
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, REPO_ROOT, load_tool

VARIANT = 'pvig_s_224_gelu'


def run_converter(src, dst, model=VARIANT):
    return subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py', str(src), str(dst),
         '--model', model], cwd=REPO_ROOT, capture_output=True, text=True)


@pytest.fixture(scope='module')
def converted_checkpoint(tmp_path_factory, official_state_dict):
    folder = tmp_path_factory.mktemp('convert')
    src, dst = folder / 'official.pth', folder / 'mmghost.pth'
    torch.save(official_state_dict(VARIANT), src)
    result = run_converter(src, dst)
    assert result.returncode == 0, result.stderr
    return dst


@pytest.fixture(scope='module')
def reference_outputs(reference):
    return reference.load_reference(os.path.join(REFERENCE_DIR, f'{VARIANT}.npz'))


def build_pretrained(checkpoint, **overrides):
    cfg = mmghost.official_backbone_cfg(
        VARIANT, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)), **overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


@pytest.mark.cpu_matrix
def test_converted_model_equals_official_in_float64(converted_checkpoint, reference,
                                                    reference_outputs):
    model = build_pretrained(converted_checkpoint).double()
    with torch.no_grad():
        outs = model(reference.reference_input(2, 224).double())
    for i, out in enumerate(outs):
        result = reference.compare_to_reference(reference_outputs, f'f64.stage{i + 1}', out)
        assert result['ok'], (i, result)


@pytest.mark.cpu_matrix
def test_converted_model_equals_official_in_float32(converted_checkpoint, reference,
                                                    reference_outputs):
    # Stages 3-4 are chaotic in float32 (KNN near-ties, see the reference README): only the
    # taps the reference marks reliable are checked here.
    model = build_pretrained(converted_checkpoint, out_indices=(0, 1))
    with torch.no_grad():
        outs = model(reference.reference_input(2, 224))
    for name, out in zip(('stage1', 'stage2'), outs):
        result = reference.compare_to_reference(reference_outputs, name, out)
        assert result['ok'], (name, result)


@pytest.mark.cpu_matrix
def test_stored_relative_pos_matches_the_official_recipe(official_state_dict):
    official = official_state_dict(VARIANT)
    model = PyramidViG(arch='s')
    for key, value in convert_official_pyramid_vig(official).items():
        if key.endswith('relative_pos'):
            fresh = model.state_dict()[key]
            assert fresh.shape == value.shape
            torch.testing.assert_close(fresh, value, rtol=0, atol=1e-6)
    assert official_relative_pos(80, 56, 4).shape == (1, 3136, 196)


@pytest.mark.parametrize('wrap', ['raw', 'state_dict', 'state_dict_ema', 'model', 'module'])
def test_tool_accepts_wrapped_checkpoints(tmp_path, official_state_dict, wrap, monkeypatch):
    state = official_state_dict(VARIANT)
    if wrap == 'module':
        content = {'module.' + k: v for k, v in state.items()}
    elif wrap == 'raw':
        content = state
    else:
        content = {wrap: state, 'epoch': 3}
    torch.save(content, tmp_path / 'src.pth')
    # in process (the command line runs in converted_checkpoint): 5 interpreter starts cost 30 s
    monkeypatch.setattr(sys, 'argv', ['official2mmghost.py', str(tmp_path / 'src.pth'),
                                      str(tmp_path / 'dst.pth'), '--model', VARIANT])
    load_tool('tools/model_converters/official2mmghost.py').main()
    saved = torch.load(tmp_path / 'dst.pth', weights_only=True)
    assert set(saved['state_dict']) == set(PyramidViG(arch='s').state_dict())


def test_tool_refuses_a_checkpoint_of_another_model(tmp_path, official_state_dict):
    torch.save(official_state_dict(VARIANT), tmp_path / 'src.pth')
    result = run_converter(tmp_path / 'src.pth', tmp_path / 'dst.pth', model='pvig_m_224_gelu')
    assert result.returncode != 0
    assert 'does not fit pvig_m_224_gelu' in result.stderr
    # M has 16 stage-3 blocks of 400 -> 384 channels: S's 6 do not fill them.
    assert 'missing keys (' in result.stderr and 'stages.2.blocks.10.' in result.stderr
    assert not (tmp_path / 'dst.pth').exists()


def test_tool_rejects_unknown_model_names(tmp_path):
    result = run_converter(tmp_path / 'src.pth', tmp_path / 'dst.pth', model='pvig_xl')
    assert result.returncode != 0
    assert 'pvig_s_224_gelu' in result.stderr  # the valid choices are listed


def test_pretrained_refuses_a_checkpoint_that_does_not_fit(tmp_path, converted_checkpoint):
    state = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    state.pop('stages.3.blocks.1.ffn.fc2.bn.bias')
    state['head.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    with pytest.raises(RuntimeError) as error:
        build_pretrained(tmp_path / 'broken.pth')
    message = str(error.value)
    assert 'missing keys (1): stages.3.blocks.1.ffn.fc2.bn.bias' in message
    assert 'unexpected keys (1): head.weight' in message
    with pytest.raises(RuntimeError, match='does not fit'):
        build_pretrained(converted_checkpoint, arch='m')


def test_pretrained_converts_official_checkpoints_on_the_fly(tmp_path, official_state_dict,
                                                             converted_checkpoint):
    torch.save(official_state_dict(VARIANT), tmp_path / 'official.pth')
    direct = build_pretrained(tmp_path / 'official.pth')
    converted = build_pretrained(converted_checkpoint)
    for (name, a), b in zip(direct.state_dict().items(), converted.state_dict().values()):
        assert torch.equal(a, b), name


def test_pretrained_with_prefix_loads_from_a_detector_checkpoint(tmp_path, converted_checkpoint):
    state = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    detector = {'backbone.' + k: v for k, v in state.items()}
    detector['bbox_head.conv.weight'] = torch.zeros(1)
    torch.save({'state_dict': detector, 'meta': {'epoch': 12}}, tmp_path / 'detector.pth')
    cfg = mmghost.official_backbone_cfg(VARIANT, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'detector.pth'), prefix='backbone.'))
    model = MODELS.build(cfg)
    model.init_weights()
    assert torch.equal(model.pos_embed, state['pos_embed'])


def to_mmpretrain_keys(official):
    """Official Pyramid ViG keys -> mmpretrain ``PyramidVig`` keys (``stages.{s}.{j}``)."""
    downsamples = sorted({int(k.split('.')[1]) for k in official
                          if k.startswith('backbone.') and k.split('.')[2] == 'conv'})
    bounds = [0, *downsamples]
    converted = {}
    for key, value in official.items():
        if key.startswith('prediction.'):
            continue
        if key.startswith('stem.convs.'):
            converted['stem.' + key[len('stem.convs.'):]] = value
        elif key.startswith('backbone.'):
            _, index, rest = key.split('.', 2)
            stage = sum(int(index) >= b for b in bounds) - 1
            position = int(index) - bounds[stage]
            rest = rest[len('conv.'):] if rest.startswith('conv.') else rest
            converted[f'stages.{stage}.{position}.{rest}'] = value
        else:
            converted[key] = value
    return converted


@pytest.mark.cpu_matrix
def test_equal_to_mmpretrain_pyramid_vig(official_state_dict, reference, converted_checkpoint):
    from mmpretrain.models.backbones import PyramidVig
    official = official_state_dict(VARIANT)
    peer = PyramidVig('small', out_indices=[0, 1, 2, 3])
    peer.load_state_dict(to_mmpretrain_keys(official), strict=True)
    peer.eval()  # returns None in mmpretrain: not chainable
    ours = build_pretrained(converted_checkpoint)
    x = reference.reference_input(2, 224).double()
    with torch.no_grad():
        expected = peer.double()(x)
        actual = ours.double()(x)
    for a, e in zip(actual, expected):
        torch.testing.assert_close(a, e, rtol=1e-7, atol=1e-9 * e.abs().max().item())
