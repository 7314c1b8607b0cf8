"""Isotropic ViG backbone and the SimplePyramid neck: shapes at any size, arch table, freezing,
official equality (shared/reference vig_s_224_gelu) and errors."""
import os

import pytest
import torch

import mmghost
from mmghost.models import SimplePyramid, ViG
from mmghost.registry import MODELS
from tests.helpers import REFERENCE_DIR


@pytest.mark.parametrize('size', [(224, 224), (112, 137), (64, 64), (33, 47)])
def test_stride16_outputs_at_any_size(size):
    model = ViG(arch='ti', out_indices=(3, 7, 11)).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    grid = tuple(-(-s // 16) for s in size)  # each stride-2 conv rounds up
    assert model.out_channels == (192, 192, 192) and model.out_strides == (16, 16, 16)
    assert [tuple(o.shape) for o in outs] == [(1, 192, *grid)] * 3
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('arch, alias, channels, depth', [
    ('ti', 'tiny', 192, 12), ('s', 'small', 320, 16), ('b', 'base', 640, 16)])
def test_arch_table_matches_mmpretrain(arch, alias, channels, depth):
    from mmpretrain.models.backbones import Vig
    model = ViG(arch=arch)
    assert model.stage_channels == (channels, ) * depth
    assert ViG(arch=alias).stage_channels == model.stage_channels
    assert sum(p.numel() for p in model.parameters()) == \
        sum(p.numel() for p in Vig(alias).parameters())


def test_neighbour_and_dilation_schedule_follow_upstream():
    model = ViG(arch='ti')
    convs = [block.grapher.graph_conv for block in model.stages]
    assert [c.k for c in convs] == [9, 9, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18]
    assert [c.dilation for c in convs] == [1] * 4 + [2] * 4 + [3] * 4


@pytest.mark.cpu_matrix
def test_converted_official_weights_equal_official_outputs(tmp_path, reference,
                                                           official_state_dict):
    state = mmghost.weights.official.convert_official('vig_s_224_gelu',
                                              official_state_dict('vig_s_224_gelu'))
    torch.save({'state_dict': state}, tmp_path / 'vig_s.pth')
    model = MODELS.build(mmghost.official_backbone_cfg(
        'vig_s_224_gelu', init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'vig_s.pth'))))
    model.init_weights()
    model.eval().double()
    with torch.no_grad():
        out = model(reference.reference_input(2, 224).double())[-1]
    expected = reference.load_reference(os.path.join(REFERENCE_DIR, 'vig_s_224_gelu.npz'))
    result = reference.compare_to_reference(expected, 'f64.final_tokens', out)
    assert result['ok'], result


def test_simple_pyramid_turns_stride16_into_four_strides():
    neck = SimplePyramid(in_channels=192, out_channels=64).eval()
    with torch.no_grad():
        outs = neck((torch.randn(2, 192, 14, 20), ))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 56, 80), (2, 64, 28, 40), (2, 64, 14, 20),
                                              (2, 64, 7, 10)]
    with pytest.raises(ValueError, match=r'scale_factors must be chosen from \(4, 2, 1, 0.5\)'):
        SimplePyramid(192, 64, scale_factors=(8, 1))


def test_bad_arch_names_the_choices():
    choices = r"choose one of \['b', 'base', 's', 'small', 'ti', 'tiny'\]"
    with pytest.raises(ValueError, match=choices):
        ViG(arch='m')
