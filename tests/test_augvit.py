"""AugViT backbone: shapes at any size, out_indices / out_type, freezing, with_cp, errors,
official equality (shared/reference augvit_small_circulant2 and augvit_small: embed tokens, final
tokens with and without the final norm, logits; float64 and float32), the circulant index,
strict loading, parameter counts and equality with timm's ViT-S; det/seg configs."""
import json
import os

import pytest
import torch

import mmghost
from mmghost.models.backbones import AugViT, CirculantLinear
from mmghost.models.layers.transformer import resize_pos_embed
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import HEADS, REFERENCE_DIR, build_classifier

VARIANTS = ['augvit_small_circulant2', 'augvit_small']
# a two-block, 64-channel AugViT (circulant2), for the cheap tests
TINY = dict(arch=dict(embed_dims=64, num_heads=2, depth=2), shortcut_mode='circulant2')


@pytest.fixture(scope='module')
def small_model():
    return AugViT(arch='s', out_indices=(3, -1)).eval()


@pytest.mark.parametrize('size', [(224, 224), (97, 131), (33, 47)])
def test_stride16_maps_at_any_size(small_model, size):
    with torch.no_grad():
        outs = small_model(torch.randn(1, 3, *size))
    grid = tuple(-(-s // 16) for s in size)  # partial patches are padded
    assert small_model.out_channels == (384, 384) and small_model.out_strides == (16, 16)
    assert [tuple(o.shape) for o in outs] == [(1, 384, *grid)] * 2
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('arch, alias, channels', [('s', 'small', 384), ('b', 'base', 768)])
def test_every_arch_at_an_odd_size(arch, alias, channels):
    assert AugViT.arch_zoo[arch] == AugViT.arch_zoo[alias]
    model = AugViT(arch=alias).eval()
    assert model.stage_channels == (channels, ) * 12
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 33, 47))
    assert out.shape == (1, channels, 3, 3)


# extra parameters per block over a plain ViT block: shortcuts x (weights + bias), 64 channels
@pytest.mark.parametrize('mode, extra', [('base', 0), ('linear', 2 * (64 * 64 + 64)),
                                         ('linear2', 4 * (64 * 64 + 64)),
                                         ('circulant', 2 * (4 * 64 + 64)),
                                         ('circulant2', 4 * (4 * 64 + 64))])
def test_every_shortcut_mode(mode, extra):
    plain = AugViT(**{**TINY, 'shortcut_mode': 'base'})
    model = AugViT(**{**TINY, 'shortcut_mode': mode}).eval()
    count = sum(p.numel() for p in model.parameters())
    assert count - sum(p.numel() for p in plain.parameters()) == 2 * extra
    assert model.blocks[0].residual_scale == (0.75 if mode.endswith('2') else 1.)
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 40, 56))
    assert out.shape == (1, 64, 3, 4) and torch.isfinite(out).all()


def test_partial_patches_are_zero_padded():
    model = AugViT(**TINY).eval()
    x = torch.randn(1, 3, 33, 47)
    padded = torch.zeros(1, 3, 48, 48)
    padded[..., :33, :47] = x
    with torch.no_grad():
        torch.testing.assert_close(model(x)[0], model(padded)[0], rtol=0, atol=0)


def test_position_embedding_is_used_as_stored_at_the_training_size(monkeypatch):
    from mmghost.models.backbones import base  # the class-token base adds pos_embed
    model = AugViT(**TINY).eval()
    grids = []

    def resize(pos_embed, src_hw, dst_hw, num_extra_tokens):
        grids.append((src_hw, dst_hw, num_extra_tokens))
        result = resize_pos_embed(pos_embed, src_hw, dst_hw, num_extra_tokens)
        assert (result is pos_embed) is (src_hw == dst_hw)
        return result

    monkeypatch.setattr(base, 'resize_pos_embed', resize)
    with torch.no_grad():
        model(torch.randn(1, 3, 224, 224))
        model(torch.randn(1, 3, 33, 47))
    assert grids == [((14, 14), (14, 14), 1), ((14, 14), (3, 3), 1)]


def test_final_norm_applies_to_the_last_block_only():
    model = AugViT(**TINY, out_indices=(0, 1), final_norm=False).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        raw = model(x)
        model.final_norm = True
        normed = model(x)
        torch.testing.assert_close(normed[0], raw[0], rtol=0, atol=0)
        tokens = raw[1].flatten(2).transpose(1, 2)
        torch.testing.assert_close(normed[1], model.norm(tokens).transpose(1, 2).view_as(raw[1]))


def test_cls_token_output():
    model = AugViT(**TINY, out_type='cls_token').eval()
    with torch.no_grad():
        (out, ) = model(torch.randn(2, 3, 80, 48))
    assert out.shape == (2, 64)


@pytest.mark.parametrize('kwargs, message', [
    (dict(shortcut_mode='circulant3'),
     "choose one of ['base', 'circulant', 'circulant2', 'linear', 'linear2']"),
    (dict(out_type='raw'), "choose one of ('featmap', 'cls_token')"),
    (dict(pretrain_img_size=200), 'pretrain_img_size must be a multiple of 16'),
    (dict(num_cir=5), 'cannot be split into circulant blocks with num_blocks=5'),
    (dict(arch=dict(embed_dims=64, num_heads=3, depth=2)), 'must be divisible by num_heads (3)'),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        AugViT(**{**TINY, **kwargs})
    assert message in str(error.value)


def test_circulant_weight_is_upstream_index_layout(reference):
    layer = CirculantLinear(384, 384, num_blocks=4)
    index = layer.expand(torch.arange(layer.weight_list.numel()))
    with open(os.path.join(REFERENCE_DIR, 'augvit_small_circulant2.manifest.json')) as f:
        derived = next(e['derived'] for e in json.load(f)['entries']
                       if e['key'].endswith('index_matrix'))
    assert reference.tensor_crc32(index) == derived['crc32']
    # rectangular layers: 2x1 blocks of 4x4 circulants
    wide = CirculantLinear(4, 8, num_blocks=1)
    index = wide.expand(torch.arange(8))
    assert index.shape == (8, 4)
    assert index[:4].tolist() == [[0, 3, 2, 1], [1, 0, 3, 2], [2, 1, 0, 3], [3, 2, 1, 0]]
    assert torch.equal(index[4:], index[:4] + 4)


def test_converter_refuses_a_different_index_layout(official_state_dict):
    state = official_state_dict('augvit_small_circulant2')
    state['blocks.0.augs.0.index_matrix'] = state['blocks.0.augs.0.index_matrix'].T
    with pytest.raises(ValueError, match="'blocks.0.augs.0.index_matrix' is not the block-circ"):
        convert_official('augvit_small_circulant2', state)
    with pytest.raises(KeyError, match='Unknown official AugViT key'):
        convert_official('augvit_small', {'blocks.0.gamma': torch.zeros(1)})


def test_the_converters_error_reaches_the_user(tmp_path, official_state_dict):
    """A checkpoint the converter refuses: its reason is in the message and is the cause."""
    state = official_state_dict('augvit_small_circulant2')
    state['blocks.0.augs.0.index_matrix'] = state['blocks.0.augs.0.index_matrix'].T
    torch.save(state, tmp_path / 'bad_index.pth')
    with pytest.raises(RuntimeError, match='is not the block-circ') as error:
        _pretrained(tmp_path / 'bad_index.pth')
    assert isinstance(error.value.__cause__, ValueError)


@pytest.fixture(scope='module')
def official_taps(official_state_dict, reference):
    """``official_taps(variant, dtype)``: the reference taps recomputed by the mmpretrain
    classifier of ``official_classifier_cfg(variant)`` on converted official weights."""
    def run(variant, dtype):
        model = build_classifier(variant)
        model.load_state_dict(
            convert_official(variant, official_state_dict(variant), classifier=True))
        model.eval().to(dtype)
        backbone, taps = model.backbone, {}
        backbone.blocks[0].register_forward_pre_hook(
            lambda module, args: taps.setdefault('embed_tokens', args[0]))
        backbone.blocks[-1].register_forward_hook(
            lambda module, args, out: taps.setdefault('tokens', out))
        with torch.no_grad():
            taps['logits'] = model(reference.reference_input(2, 224).to(dtype), mode='tensor')
            tokens = taps.pop('tokens')
            for name, value in (('final_tokens', tokens), ('final_tokens_norm',
                                                           backbone.norm(tokens))):
                taps[name] = value[:, 1:].transpose(1, 2).reshape(2, -1, 14, 14)
        return taps

    return run


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('variant', VARIANTS)
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_official_taps_are_reproduced(variant, dtype, official_taps, reference):
    expected = reference.load_reference(os.path.join(REFERENCE_DIR, f'{variant}.npz'))
    prefix = 'f64.' if dtype == torch.float64 else ''
    for name, value in official_taps(variant, dtype).items():
        result = reference.compare_to_reference(expected, prefix + name, value)
        assert result['ok'], (name, result)


def _pretrained(checkpoint, variant='augvit_small_circulant2', **overrides):
    model = MODELS.build(mmghost.official_backbone_cfg(
        variant, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint)), **overrides))
    model.init_weights()
    return model.eval()


def test_pretrained_loads_official_weights_as_maps(tmp_path, official_state_dict, reference):
    variant = 'augvit_small_circulant2'
    torch.save(official_state_dict(variant), tmp_path / 'official.pth')  # converted on the fly
    model = _pretrained(tmp_path / 'official.pth')
    with torch.no_grad():
        (out, ) = model(reference.reference_input(2, 224))
    expected = reference.load_reference(os.path.join(REFERENCE_DIR, f'{variant}.npz'))
    result = reference.compare_to_reference(expected, 'final_tokens_norm', out)
    assert result['ok'], result


def test_pretrained_refuses_a_checkpoint_of_another_mode(tmp_path, official_state_dict):
    state = convert_official('augvit_small', official_state_dict('augvit_small'))
    torch.save({'state_dict': state}, tmp_path / 'vit_s.pth')
    with pytest.raises(RuntimeError) as error:
        _pretrained(tmp_path / 'vit_s.pth')
    message = str(error.value)
    assert 'does not fit AugViT' in message
    assert 'missing keys (96): blocks.0.attn_shortcuts.0.linear.bias' in message
    _pretrained(tmp_path / 'vit_s.pth', variant='augvit_small')  # fits its own mode


@pytest.mark.parametrize('variant, count', [('augvit_small_circulant2', 22_142_824),
                                            ('augvit_small', 22_050_664)])
def test_param_count_equals_the_official_model(variant, count):
    model = build_classifier(variant)
    assert sum(p.numel() for p in model.parameters()) == count


@pytest.mark.cpu_matrix
def test_augvit_small_is_timm_vit_small():
    timm = pytest.importorskip('timm')
    peer = timm.create_model('vit_small_patch16_224', pretrained=False).eval().double()
    model = build_classifier('augvit_small')
    model.load_state_dict(convert_official('augvit_small', peer.state_dict(), classifier=True,
                                           timm=True))
    model.eval().double()
    x = torch.randn(1, 3, 224, 224, dtype=torch.float64)
    with torch.no_grad():
        expected = peer(x)
        torch.testing.assert_close(model(x, mode='tensor'), expected, rtol=1e-7,
                                   atol=1e-9 * expected.abs().max().item())


CONFIGS = [head.format('augvit-s_simple-pyramid') for head in HEADS]
