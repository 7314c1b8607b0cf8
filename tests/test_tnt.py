"""TNT backbone and the shared transformer layers: shapes at any size, arch table, freezing,
with_cp, errors, official equality (shared/reference tnt_s_patch16_224), timm equality, and the
TNT-S + SimplePyramid configs of the four heads."""
import os

import pytest
import torch

import mmghost
from mmghost.models import TNT
from mmghost.models.backbones.tnt import convert_official_tnt, timm_tnt_to_official
from mmghost.models.layers.transformer import (MultiheadAttention, PatchEmbed,
                                               resize_pos_embed, resize_relative_pos)
from mmghost.weights.official import convert_official
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR, build_classifier

VARIANT = 'tnt_s_patch16_224'
# a two-block TNT for the cheap tests
TINY = dict(arch=dict(channels=64, num_heads=2, word_channels=8, word_heads=2, depth=2))


@pytest.mark.parametrize('size', [(64, 96), (33, 47), (97, 131)])
def test_stride16_outputs_at_any_size(size):
    model = TNT(**TINY, out_indices=(0, -1)).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, *size))
    grid = tuple(-(-s // 16) for s in size)  # padded to whole patches
    assert model.out_channels == (64, 64) and model.out_strides == (16, 16)
    assert [tuple(o.shape) for o in outs] == [(2, 64, *grid)] * 2
    assert all(torch.isfinite(o).all() for o in outs)


def test_cls_token_output_and_final_norm():
    x = torch.randn(2, 3, 48, 64)
    model = TNT(**TINY, out_indices=(0, 1)).eval()
    tokens = TNT(**TINY, out_indices=(0, 1), out_type='cls_token').eval()
    plain = TNT(**TINY, out_indices=(0, 1), final_norm=False).eval()
    tokens.load_state_dict(model.state_dict())
    plain.load_state_dict({k: v for k, v in model.state_dict().items()
                           if not k.startswith('norm.')})
    with torch.no_grad():
        maps, cls, raw = model(x), tokens(x), plain(x)
    assert [tuple(c.shape) for c in cls] == [(2, 64)] * 2
    torch.testing.assert_close(maps[0], raw[0])  # only the last block is normalised
    normed = model.norm(raw[1].flatten(2).transpose(1, 2)).transpose(1, 2).reshape(maps[1].shape)
    torch.testing.assert_close(maps[1], normed)
    assert not hasattr(plain, 'norm')


def test_position_embedding_is_used_as_stored_at_the_training_grid(monkeypatch):
    import mmghost.models.backbones.base as base  # the class-token base adds pos_embed
    grids = []

    def spy(pos_embed, src_hw, dst_hw, num_extra_tokens=0):
        out = resize_pos_embed(pos_embed, src_hw, dst_hw, num_extra_tokens)
        grids.append((tuple(dst_hw), out is pos_embed))
        return out

    monkeypatch.setattr(base, 'resize_pos_embed', spy)
    model = TNT(**TINY, pretrain_img_size=64).eval()
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64))
        model(torch.randn(1, 3, 64, 80))
    assert grids == [((4, 4), True), ((4, 5), False)]


@pytest.mark.parametrize('arch, alias, channels, millions', [('s', 'small', 384, 23.8),
                                                             ('b', 'base', 640, 65.6)])
def test_arch_table_and_parameter_counts(arch, alias, channels, millions):
    # (timm's TNT-S loads strictly into the classifier below: test_timm_tnt_...)
    classifier = build_classifier(f'tnt_{arch}_patch16_224')
    backbone = classifier.backbone
    assert backbone.stage_channels == (channels, ) * 12
    assert TNT(arch=alias).stage_channels == backbone.stage_channels
    count = sum(p.numel() for p in classifier.parameters())
    # official README (M), which counts the unused outer_tokens (1, 196, C) too
    assert round((count + 196 * channels) / 1e6, 1) == millions


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(out_type='avg'), ValueError, "choose one of ('featmap', 'cls_token')"),
    (dict(pretrain_img_size=200), ValueError, 'multiple of 16'),
])
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error) as info:
        TNT(**kwargs)
    assert message in str(info.value)


# ----------------------------------------------------------------------------------------------
# Official weights: shared/reference tnt_s_patch16_224 (float64, and float32 where reliable)


@pytest.fixture(scope='module')
def reference_outputs(reference):
    return reference.load_reference(os.path.join(REFERENCE_DIR, f'{VARIANT}.npz'))


@pytest.fixture(scope='module')
def official(official_state_dict):
    return official_state_dict(VARIANT)


@pytest.fixture(scope='module')
def converted_checkpoint(tmp_path_factory, official):
    path = tmp_path_factory.mktemp('tnt') / 'tnt_s.pth'
    torch.save({'state_dict': convert_official_tnt(official)}, path)
    return path


@pytest.mark.cpu_matrix
def test_official_conversion_equals_official_taps(reference, reference_outputs,
                                                  converted_checkpoint):
    """embed_tokens and final_tokens_norm (the official backbone config's output) in float64
    and float32."""
    model = MODELS.build(mmghost.official_backbone_cfg(
        VARIANT, init_cfg=dict(type='Pretrained', checkpoint=str(converted_checkpoint))))
    model.init_weights()
    model.eval()
    x = reference.reference_input(2, 224)
    for dtype, prefix in ((torch.float32, ''), (torch.float64, 'f64.')):
        model.to(dtype)
        with torch.no_grad():
            _, tokens, _ = model.embed(x.to(dtype))
            out = model(x.to(dtype))[-1]
        for tap, value in (('embed_tokens', tokens), ('final_tokens_norm', out)):
            result = reference.compare_to_reference(reference_outputs, prefix + tap, value)
            assert result['ok'], (prefix + tap, result)


@pytest.mark.cpu_matrix
def test_official_final_tokens_without_the_final_norm(reference, reference_outputs, official):
    model = TNT('s', final_norm=False).eval()
    state = convert_official_tnt(official)
    model.load_state_dict({k: v for k, v in state.items() if not k.startswith('norm.')})
    with torch.no_grad():
        out = model(reference.reference_input(2, 224))[-1]
    result = reference.compare_to_reference(reference_outputs, 'final_tokens', out)
    assert result['ok'], result


@pytest.mark.cpu_matrix
def test_official_classifier_gives_official_logits_in_float32(reference, reference_outputs,
                                                              official):
    # float64: tests/test_classification.py
    model = build_classifier(VARIANT)
    model.load_state_dict(convert_official(VARIANT, official, classifier=True), strict=True)
    with torch.no_grad():
        logits = model.eval()(reference.reference_input(2, 224), mode='tensor')
    result = reference.compare_to_reference(reference_outputs, 'logits', logits)
    assert result['ok'], result
    # the reference index counts upstream's parameters, the unused outer_tokens included
    assert sum(p.numel() for p in model.parameters()) + official['outer_tokens'].numel() == \
        23_843_848


def test_pretrained_refuses_a_checkpoint_that_does_not_fit(tmp_path, converted_checkpoint):
    state = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    state.pop('stages.11.mlp.fc2.bias')
    state['head.fc.weight'] = torch.zeros(1)
    torch.save({'state_dict': state}, tmp_path / 'broken.pth')
    model = MODELS.build(mmghost.official_backbone_cfg(
        VARIANT, init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'broken.pth'))))
    with pytest.raises(RuntimeError) as error:
        model.init_weights()
    message = str(error.value)
    assert 'missing keys (1): stages.11.mlp.fc2.bias' in message
    assert 'unexpected keys (1): head.fc.weight' in message


def test_pretrained_converts_an_official_checkpoint_on_the_fly(tmp_path, official,
                                                               converted_checkpoint):
    torch.save(official, tmp_path / 'official.pth')
    model = MODELS.build(mmghost.official_backbone_cfg(
        VARIANT, init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'official.pth'))))
    model.init_weights()
    expected = torch.load(converted_checkpoint, weights_only=True)['state_dict']
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())


def test_converter_rejects_unknown_keys(official):
    official['pos_embed'] = torch.zeros(1)  # a ViT name, not TNT's
    with pytest.raises(KeyError, match='Unknown official TNT key'):
        convert_official_tnt(official)


@pytest.mark.cpu_matrix
def test_timm_tnt_converted_gives_timm_outputs():
    """timm's tnt_s_patch16_224 (random init, seeded, eval) through timm_to_official: the same
    logits (float32 and float64) and final normalised patch tokens (float64)."""
    import timm
    torch.manual_seed(0)
    peer = timm.create_model(VARIANT, pretrained=False).eval()
    classifier = build_classifier(VARIANT).eval()
    classifier.load_state_dict(
        convert_official(VARIANT, peer.state_dict(), classifier=True, timm=True), strict=True)
    backbone = TNT('s').eval()
    backbone.load_state_dict(convert_official(VARIANT, peer.state_dict(), timm=True))
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(classifier(x, mode='tensor'), peer(x), rtol=1e-4, atol=1e-5)
        x, peer, classifier, backbone = x.double(), peer.double(), classifier.double(), \
            backbone.double()
        torch.testing.assert_close(classifier(x, mode='tensor'), peer(x), rtol=1e-10, atol=1e-12)
        out = backbone(x)[-1]
        expected = peer.forward_features(x)[:, 1:].transpose(1, 2).reshape(out.shape)
        torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-12)


def test_timm_legacy_layout_is_refused():
    legacy = {'pixel_pos': torch.zeros(1, 24, 4, 4), 'blocks.0.norm1_proj.weight': torch.ones(24)}
    with pytest.raises(KeyError, match='legacy'):
        timm_tnt_to_official(legacy)


# ----------------------------------------------------------------------------------------------
# Shared transformer layers


def test_resize_helpers_are_the_identity_at_the_stored_grid():
    pos = torch.randn(1, 1 + 4 * 6, 8)
    assert resize_pos_embed(pos, (4, 6), (4, 6), 1) is pos
    resized = resize_pos_embed(pos, (4, 6), (5, 3), 1)
    assert resized.shape == (1, 1 + 15, 8) and torch.equal(resized[:, :1], pos[:, :1])
    bias = torch.randn(1, 2, 4 * 6, 2 * 3)
    assert resize_relative_pos(bias, (4, 6), (2, 3), (4, 6), (2, 3)) is bias
    assert resize_relative_pos(bias, (4, 6), (2, 3), (7, 5), (2, 2)).shape == (1, 2, 35, 4)
    # a bias constant along the key grid stays so when the query grid changes alone
    const = bias[..., :1].expand_as(bias)
    out = resize_relative_pos(const, (4, 6), (2, 3), (8, 12), (2, 3))
    torch.testing.assert_close(out, out[..., :1].expand_as(out))


def test_patch_embed_pads_to_whole_patches():
    embed = PatchEmbed(8, patch_size=16)
    tokens, hw = embed(torch.randn(2, 3, 33, 47))
    assert hw == (3, 3) and tokens.shape == (2, 9, 8)


def test_pooled_keys_average_the_windows_cut_by_the_border():
    attn = MultiheadAttention(4, 1, layout='q_kv', sr_ratio=2)
    seen = []
    attn.sr_proj.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    x = torch.arange(15.).reshape(1, 15, 1).expand(1, 15, 4)  # a 3x5 grid
    attn(x, (3, 5))
    pooled = seen[0][0, :, 0]
    grid = torch.arange(15.).reshape(3, 5)
    expected = [grid[r:r + 2, c:c + 2].mean() for r in (0, 2) for c in (0, 2, 4)]
    torch.testing.assert_close(pooled, torch.stack(expected))
    assert attn.key_grid((3, 5)) == (2, 3)


@pytest.mark.parametrize('kwargs, message', [
    (dict(layout='kqv'), "layout must be one of ('qkv', 'qk_v', 'q_kv')"),
    (dict(layout='qkv', sr_ratio=2), "sr_ratio > 1 needs layout='q_kv'"),
    (dict(num_heads=3), 'must be divisible by num_heads'),
])
def test_attention_argument_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        MultiheadAttention(**{'channels': 8, 'num_heads': 2, **kwargs})
    assert message in str(error.value)


# ----------------------------------------------------------------------------------------------
# The four heads on TNT-S + SimplePyramid
