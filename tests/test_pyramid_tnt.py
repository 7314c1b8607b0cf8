"""PyramidTNT backbone: shapes at any size (native strides 8-64 and upsampled 4-32), arch table,
freezing, norm_eval, with_cp, errors, official equality (shared/reference ptnt_s_patch16_256),
loading official weights with the upsampling layers on, and the PyramidTNT-S configs of the
four heads."""
import os

import pytest
import torch

import mmghost
from mmghost.models import PyramidTNT
from mmghost.models.backbones.pyramid_tnt import convert_official_pyramid_tnt
from mmghost.models.layers.transformer import resize_pos_embed, resize_relative_pos
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, build_classifier

VARIANT = 'ptnt_s_patch16_256'
CHANNELS = {'ti': (80, 160, 320, 320), 's': (128, 256, 512, 512), 'm': (192, 384, 768, 768),
            'b': (256, 512, 1024, 1024)}
# a one-block-per-stage PyramidTNT trained at 64 for the cheap tests
TINY = dict(arch=dict(depths=[1, 1, 1, 1], channels=[16, 32, 64, 64], word_channels=[2, 4, 8, 8],
                      num_heads=[1, 2, 4, 4], word_heads=[1, 1, 2, 2]), pretrain_img_size=64)


@pytest.fixture(scope='module')
def models():
    """``models(arch, **kwargs)``: an eval-mode PyramidTNT, built once per module."""
    cache = {}

    def build(arch, **kwargs):
        key = repr((arch, sorted(kwargs.items())))
        if key not in cache:
            cache[key] = PyramidTNT(arch=arch, **kwargs).eval()
        return cache[key]

    return build


def ceil_grid(size, stride):
    # the input is padded to a multiple of 8, every merge rounds up
    return tuple(-(-s // stride) for s in size)


@pytest.mark.parametrize('arch', sorted(CHANNELS))
@pytest.mark.parametrize('size', [(33, 47), (97, 131)])
def test_every_variant_runs_at_odd_sizes(models, arch, size):
    model = models(arch)
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    assert model.out_channels == CHANNELS[arch] and model.out_strides == (8, 16, 32, 64)
    assert [tuple(o.shape[1:]) for o in outs] == \
        [(c, *ceil_grid(size, s)) for c, s in zip(CHANNELS[arch], (8, 16, 32, 64))]
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('kwargs', [dict(arch='s'), TINY])
@pytest.mark.parametrize('size', [(32, 32), (33, 47), (64, 96), (97, 131)])
def test_upsampled_outputs_at_strides_4_to_32(models, kwargs, size):
    model = models(**kwargs, upsample=True)
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    assert model.out_strides == (4, 8, 16, 32)
    assert [tuple(o.shape[2:]) for o in outs] == [ceil_grid(size, s) for s in (4, 8, 16, 32)]
    assert [o.shape[1] for o in outs] == list(model.out_channels)


@pytest.mark.parametrize('out_indices, upsample, strides', [
    ((1, 2, 3), True, (8, 16, 32)), ((-1, ), False, (64, )), (0, True, (4, ))])
def test_out_indices_and_upsampling_layers(out_indices, upsample, strides):
    model = PyramidTNT(**TINY, out_indices=out_indices, upsample=upsample).eval()
    assert model.out_strides == strides
    if upsample:  # only for the returned stages
        assert sorted(model.upsample) == [str(i) for i in model.out_indices]
    else:
        assert model.upsample is None and not any('upsample' in k for k in model.state_dict())
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 128, 192))
    assert [(128 // o.shape[2], 192 // o.shape[3]) for o in outs] == [(s, s) for s in strides]
    # stages after the last output are not run, and frozen
    last = max(model.out_indices)
    assert all(p.requires_grad is (i <= last)
               for i, stage in enumerate(model.stages) for p in stage.parameters())


@pytest.mark.parametrize('arch, millions', [('ti', 10.6), ('s', 32.0), ('m', 84.9),
                                            ('b', 157.0)])
def test_arch_table_and_parameter_counts(models, arch, millions):
    """Parameters with the ImageNet head (final norm + Linear): the official README's, except
    M, which it gives as 85.0 M; the architecture table (upstream-facts.md) counts 84.94 M."""
    model = models(arch)
    width = CHANNELS[arch][-1]
    count = sum(p.numel() for p in model.parameters()) + 2 * width + width * 1000 + 1000
    assert round(count / 1e6, 1) == millions
    if arch == 's':  # the reference's count of the official model
        assert count == 31_953_200
    assert PyramidTNT(**TINY).stage_channels == (16, 32, 64, 64)


@pytest.mark.parametrize('arch, inner, relative_pos', [
    ('ti', [1, 1, 1, 1], [(1, 2, 576, 36), (1, 4, 144, 36), (1, 8, 36, 36), (1, 8, 9, 9)]),
    ('s', [1, 2, 1, 1], [(1, 4, 1024, 64), (1, 8, 256, 64), (1, 16, 64, 64), (1, 16, 16, 16)]),
    ('b', [1, 2, 1, 1], [(1, 4, 1024, 64), (1, 8, 256, 64), (1, 16, 64, 64), (1, 16, 16, 16)]),
])
def test_inner_blocks_and_relative_pos_follow_upstream(models, arch, inner, relative_pos):
    model = models(arch)
    # upstream: an inner transformer in block 0, and in block 1 of stages with > 6 blocks
    assert [[b.has_inner for b in stage.blocks].index(False) for stage in model.stages] == inner
    assert [tuple(stage.relative_pos.shape) for stage in model.stages] == relative_pos


def test_position_terms_are_used_as_stored_at_the_training_size(monkeypatch):
    import mmghost.models.backbones.pyramid_tnt as pyramid_tnt
    calls = []

    def spy(resize):
        def wrapped(tensor, *args):
            out = resize(tensor, *args)
            calls.append((resize.__name__, tuple(out.shape), out is tensor))
            return out
        return wrapped

    monkeypatch.setattr(pyramid_tnt, 'resize_pos_embed', spy(resize_pos_embed))
    monkeypatch.setattr(pyramid_tnt, 'resize_relative_pos', spy(resize_relative_pos))
    model = PyramidTNT(**TINY).eval()
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
        assert all(same for _, _, same in calls) and len(calls) == 5
        calls.clear()
        model(torch.randn(1, 3, 64, 96))  # grids 8x12, 4x6, 2x3, 1x2; keys 2x3, 2x3, 2x3, 1x2
    assert [(name, shape) for name, shape, _ in calls] == [
        ('resize_pos_embed', (1, 96, 16)), ('resize_relative_pos', (1, 1, 96, 6)),
        ('resize_relative_pos', (1, 2, 24, 6)), ('resize_relative_pos', (1, 4, 6, 6)),
        ('resize_relative_pos', (1, 4, 2, 2))]


@pytest.mark.parametrize('kwargs, message', [
    (dict(arch=dict(TINY['arch'], depths=[1, 1, 1])), 'arch needs 4 entries for each of'),
    (dict(pretrain_img_size=224), 'pretrain_img_size must be a multiple of 64'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        PyramidTNT(**{**TINY, **kwargs})
    assert message in str(error.value)


# ----------------------------------------------------------------------------------------------
# Official weights: shared/reference ptnt_s_patch16_256


@pytest.fixture(scope='module')
def reference_outputs(reference):
    return reference.load_reference(os.path.join(REFERENCE_DIR, f'{VARIANT}.npz'))


@pytest.fixture(scope='module')
def official(official_state_dict):
    return official_state_dict(VARIANT)


@pytest.fixture(scope='module')
def converted_checkpoint(tmp_path_factory, official):
    path = tmp_path_factory.mktemp('ptnt') / 'ptnt_s.pth'
    torch.save({'state_dict': convert_official_pyramid_tnt(official)}, path)
    return path


def build_pretrained(checkpoint, **overrides):
    model = MODELS.build(mmghost.official_backbone_cfg(
        VARIANT, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)), **overrides))
    model.init_weights()
    return model.eval()


@pytest.mark.cpu_matrix
def test_official_conversion_equals_official_taps(reference, reference_outputs,
                                                  converted_checkpoint):
    """The stem output and the four stage outputs, in float64 and float32."""
    model = build_pretrained(converted_checkpoint)
    x = reference.reference_input(2, 256)
    for dtype, prefix in ((torch.float32, ''), (torch.float64, 'f64.')):
        model.to(dtype)
        with torch.no_grad():
            _, tokens, hw = model.embed(x.to(dtype))
            taps = {'embed_tokens': tokens.transpose(1, 2).reshape(2, -1, *hw)}
            taps.update((f'stage{i + 1}', out) for i, out in enumerate(model(x.to(dtype))))
        for tap, value in taps.items():
            result = reference.compare_to_reference(reference_outputs, prefix + tap, value)
            assert result['ok'], (prefix + tap, result)


@pytest.mark.cpu_matrix
def test_official_classifier_gives_official_logits_in_float32(reference, reference_outputs,
                                                              official):
    # float64: tests/test_classification.py
    model = build_classifier(VARIANT)
    model.load_state_dict(convert_official(VARIANT, official, classifier=True), strict=True)
    with torch.no_grad():
        logits = model.eval()(reference.reference_input(2, 256), mode='tensor')
    result = reference.compare_to_reference(reference_outputs, 'logits', logits)
    assert result['ok'], result


@pytest.mark.parametrize('source', ['converted', 'official'])
def test_official_weights_load_with_upsampling_on(tmp_path, monkeypatch, official,
                                                  converted_checkpoint, source):
    """The pyramid loads strictly; the new upsampling layers keep their initialisation."""
    import mmghost.models.backbones.base as base
    messages = []
    monkeypatch.setattr(base, 'print_log', lambda message, logger: messages.append(message))
    path = converted_checkpoint
    if source == 'official':  # converted on the fly
        path = tmp_path / 'official.pth'
        torch.save(official, path)
    model = MODELS.build(mmghost.official_backbone_cfg(
        VARIANT, upsample=True, init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    initial = {k: v.clone() for k, v in model.upsample.state_dict().items()}
    model.init_weights()
    expected = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    state = model.state_dict()
    assert set(state) - set(expected) == {f'upsample.{k}' for k in initial}
    assert all(torch.equal(state[k], v) for k, v in expected.items())
    assert all(torch.equal(model.upsample.state_dict()[k], v) for k, v in initial.items())
    fresh = f'PyramidTNT: not in {path}, newly initialised: '
    logged = [m[len(fresh):].split(', ') for m in messages if m.startswith(fresh)]
    assert logged == [[f'upsample.{k}' for k in model.upsample.state_dict()]]


def test_full_checkpoint_with_upsampling_layers_loads_strictly(tmp_path):
    trained = PyramidTNT(**TINY, upsample=True)
    torch.save({'state_dict': trained.state_dict()}, tmp_path / 'full.pth')
    model = PyramidTNT(**TINY, upsample=True,
                       init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'full.pth')))
    model.init_weights()
    assert all(torch.equal(v, trained.state_dict()[k]) for k, v in model.state_dict().items())
    # one that fits neither the whole model nor the pyramid is refused, its keys listed
    state = trained.state_dict()
    state.pop('stages.3.blocks.0.mlp.fc2.bias')
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    model = PyramidTNT(**TINY, upsample=True,
                       init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'broken.pth')))
    with pytest.raises(RuntimeError, match=r'missing keys \(1\): stages.3.blocks.0.mlp.fc2.bias'):
        model.init_weights()


def test_converter_rejects_unknown_keys(official):
    official['stages.0.downsample.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='Unknown official PyramidTNT key'):
        convert_official_pyramid_tnt(official)


# ----------------------------------------------------------------------------------------------
# The four heads on PyramidTNT-S (upsampled: Mask R-CNN / UperNet strides 4-32, RetinaNet /
# YOLOX stages 2-4 at strides 8/16/32)
