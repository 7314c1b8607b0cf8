"""The backbone contract, checked once for every registered mmghost backbone.

Every backbone type in the ``mmghost`` registry is picked up; a new family fails here until
:data:`CONTRACT_MODELS` gives it a small model. The rules are stated by behaviour, not by the
family's own lists of modules:

- ``out_channels`` / ``out_strides`` are those of the real outputs, at an odd input size;
- ``frozen_stages=k`` freezes exactly what the outputs of stages ``< k`` depend on (``0``: what
  every stage depends on, before the first stage), and puts it in eval mode, through ``train()``;
- ``norm_eval`` keeps every BatchNorm in eval mode; ``with_cp`` changes no output or gradient;
- every trainable parameter gets a gradient (DDP without ``find_unused_parameters``);
- bad arguments and bad inputs raise errors that name the valid choices;
- pretrained RGB weights load into any ``in_channels``; the smallest input works;
- every det / seg config of a family folder builds, its heads take the backbone's outputs, its
  normalisation is the family's, and one head per backbone trains a step.

Family test files keep what is family-specific: the arch tables, equality with upstream, the
converters.
"""
import functools
import inspect
import os.path as osp

import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmghost.apis.swap import IMAGENET_NORM, NORMALISATION
from mmghost.models.backbones.base import MultiScaleBackbone
from mmghost.registry import MODELS
from tests.helpers import (DET_SEG_CONFIGS, assert_heads_fit_backbone, assert_with_cp_matches,
                           build_config_model, config_training_step)

# A small model of every backbone type, with every optional layer on (final norms, output norms,
# upsampling), so that each rule meets them: the smallest upstream arch where that is small, a
# cut-down arch where the smallest has many stages (ViG, TNT and AugViT: a stage per block).
CONTRACT_MODELS = {
    'PyramidViG': dict(arch='ti'),
    'ViG': dict(arch=dict(channels=48, depth=3)),
    'GhostNet': dict(arch='0.5x'),
    'GhostNetV2': dict(arch='1.0x'),
    'TinyNet': dict(arch='e'),
    'GGhostRegNet': dict(arch=dict(depths=[1, 1, 3, 3], widths=[16, 32, 48, 96], group_width=8)),
    'TNT': dict(arch=dict(channels=64, num_heads=2, word_channels=8, word_heads=2, depth=2),
                final_norm=True),
    'PyramidTNT': dict(arch=dict(depths=[1, 1, 1, 1], channels=[16, 32, 64, 64],
                                 word_channels=[2, 4, 8, 8], num_heads=[1, 2, 4, 4],
                                 word_heads=[1, 1, 2, 2]),
                       pretrain_img_size=64, upsample=True, final_norm=True),
    'AugViT': dict(arch=dict(embed_dims=64, num_heads=2, depth=2), shortcut_mode='circulant2',
                   final_norm=True),
    'WaveMLP': dict(arch='t', out_norms=True),
}
# Layers mmghost adds that no checkpoint holds and that always train: never frozen, and their
# BatchNorms keep training under norm_eval (PyramidTNT's detection upsampling).
TRAINED_FROM_SCRATCH = {'PyramidTNT': ('upsample', )}
ODD_SIZE = (67, 93)


def backbone_types():
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, MultiScaleBackbone))


BACKBONES = backbone_types()


def build(name, **kwargs):
    return MODELS.build(dict(type=f'mmghost.{name}', **{**CONTRACT_MODELS[name], **kwargs}))


@functools.lru_cache(maxsize=None)
def num_stages(name):
    return len(build(name).stage_channels)


def all_stages(name):
    return tuple(range(num_stages(name)))


def out_indices_cases():
    """Every stage; the first; the last (negative); the second with the last; an int."""
    for name in BACKBONES:
        n = num_stages(name)
        cases = [tuple(range(n)), (0, ), (-1, ), *([(1, n - 1)] if n > 2 else []), -2]
        for out_indices in cases:
            yield pytest.param(name, out_indices, id=f'{name}-{out_indices}')


def test_every_registered_backbone_is_checked():
    assert BACKBONES == sorted(CONTRACT_MODELS), \
        'give every registered backbone a small model in CONTRACT_MODELS'


# ------------------------------------------------------------------------------ outputs
@pytest.mark.parametrize('name, out_indices', list(out_indices_cases()))
def test_reported_channels_and_strides_are_the_outputs(name, out_indices):
    model = build(name, out_indices=out_indices).eval()
    n = num_stages(name)
    given = (out_indices, ) if isinstance(out_indices, int) else out_indices
    assert model.out_indices == tuple(i % n for i in given)
    assert model.out_channels == tuple(model.stage_channels[i] for i in model.out_indices)
    assert model.out_strides == tuple(model.stage_strides[i] for i in model.out_indices)
    with torch.no_grad():
        outs = model(torch.randn(2, 3, *ODD_SIZE))
    assert len(outs) == len(given)
    for out, channels, stride in zip(outs, model.out_channels, model.out_strides):
        assert out.shape[:2] == (2, channels)
        for side, size in zip(out.shape[-2:], ODD_SIZE):  # rounded either way, by the layers
            assert size // stride <= side <= -(-size // stride), (out.shape, stride)
        assert torch.isfinite(out).all()


@pytest.mark.parametrize('name', BACKBONES)
def test_inputs_padded_to_the_input_divisor_give_exact_maps(name):
    model = build(name, out_indices=all_stages(name)).eval()
    divisor = model.input_divisor
    assert divisor == max(model.stage_strides)
    assert build(name, out_indices=(0, )).input_divisor == model.stage_strides[0]
    size = (2 * divisor, 3 * divisor)
    with torch.no_grad():
        outs = model(torch.randn(1, 3, *size))
    assert [tuple(out.shape[1:]) for out in outs] == [
        (spec.channels, size[0] // spec.stride, size[1] // spec.stride)
        for spec in model.output_specs]


@pytest.mark.parametrize('name, out_indices', list(out_indices_cases()))
def test_every_trainable_parameter_gets_a_gradient(name, out_indices):
    """Stages after the last output are not run and are frozen, so that DDP meets no trainable
    parameter without a gradient."""
    model = build(name, out_indices=out_indices).train()
    sum(out.float().mean() for out in model(torch.randn(2, 3, 48, 64))).backward()
    idle = [key for key, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not idle, f'trainable but unused (DDP would stop on them): {idle}'


# ----------------------------------------------------------------------------- freezing
def parameter_names(module):
    return {key for key, _ in module.named_parameters()}


def scratch_parameters(name, model):
    return {f'{layer}.{key}' for layer in TRAINED_FROM_SCRATCH.get(name, ())
            for key in parameter_names(model.get_submodule(layer))}


@functools.lru_cache(maxsize=None)
def stage_dependencies(name):
    """For each stage, the names of the parameters its output depends on (autograd)."""
    torch.manual_seed(0)
    model = build(name, out_indices=all_stages(name)).eval()
    names, params = zip(*model.named_parameters())
    outs = model(torch.randn(2, 3, 64, 64))
    return [frozenset(key for key, grad in zip(names, torch.autograd.grad(
        out.sum(), params, retain_graph=True, allow_unused=True)) if grad is not None)
        for out in outs]


def expected_frozen(name, model, frozen_stages):
    """``0``: what every stage depends on, less the first stage; ``k``: what the outputs of the
    stages before ``k`` depend on. Never the layers trained from scratch."""
    depends = stage_dependencies(name)
    if frozen_stages < 0:
        frozen = set()
    elif frozen_stages == 0:
        first = {id(p) for p in model.stages[0].parameters()}
        frozen = set(depends[0] & depends[-1]) - {key for key, p in model.named_parameters()
                                                  if id(p) in first}
    else:
        frozen = set().union(*depends[:frozen_stages])
    return frozen - scratch_parameters(name, model)


def frozen_cases():
    for name in BACKBONES:
        for frozen_stages in range(-1, num_stages(name) + 1):
            yield pytest.param(name, frozen_stages, id=f'{name}-{frozen_stages}')


@pytest.mark.parametrize('name, frozen_stages', list(frozen_cases()))
def test_frozen_stages_freeze_what_the_earlier_stages_depend_on(name, frozen_stages):
    model = build(name, out_indices=all_stages(name), frozen_stages=frozen_stages)
    expected = expected_frozen(name, model, frozen_stages)
    if frozen_stages == 0:
        assert expected, 'frozen_stages=0 freezes the layers before the first stage'
    for _ in range(2):  # freezing holds through train()
        model.train()
        frozen = {key for key, p in model.named_parameters() if not p.requires_grad}
        assert sorted(frozen) == sorted(expected)
        for path, module in model.named_modules():
            if not path or isinstance(module, (nn.ModuleList, nn.ModuleDict)):
                continue
            keys = {f'{path}.{key}' for key in parameter_names(module)}
            if keys and keys <= frozen:  # frozen, dropout and drop path included
                assert not any(m.training for m in module.modules()), path
            elif keys:
                assert module.training, path


@pytest.mark.parametrize('name', BACKBONES)
def test_norm_eval_keeps_every_batchnorm_in_eval(name):
    model = build(name, norm_eval=True).train()
    scratch = tuple(f'{layer}.' for layer in TRAINED_FROM_SCRATCH.get(name, ()))
    for path, module in model.named_modules():
        if isinstance(module, _BatchNorm):
            assert module.training is path.startswith(scratch), path
    assert model.eval() is model and model.train() is model
    norms = [m for m in build(name, out_indices=all_stages(name)).train().modules()
             if isinstance(m, _BatchNorm)]
    assert all(m.training for m in norms)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('name', BACKBONES)
def test_with_cp_gives_the_same_outputs_and_gradients(name):
    """Stochastic depth on, where the family has it: checkpointing recomputes the same draws."""
    drop = ({'drop_path_rate': 0.1} if 'drop_path_rate' in
            inspect.signature(MODELS.get(f'mmghost.{name}')).parameters else {})
    assert_with_cp_matches(
        lambda with_cp: build(name, out_indices=all_stages(name), with_cp=with_cp, **drop),
        torch.randn(2, 3, 64, 64))


# ------------------------------------------------------------------------------- errors
def bad_argument_cases():
    for name in BACKBONES:
        n = num_stages(name)
        zoo = sorted(MODELS.get(f'mmghost.{name}').arch_zoo)
        valid = list(range(-n, n))
        for kwargs, message in [
                (dict(arch='no-such-arch'), f'choose one of {zoo}'),
                (dict(arch=dict()), 'Custom arch dict is missing'),
                (dict(out_indices=(n, )), f'stage indices in {valid}, got ({n},)'),
                (dict(out_indices=()), 'out_indices must be a non-empty sequence'),
                (dict(out_indices=(0, -n)), 'names a stage twice'),
                (dict(frozen_stages=n + 1), f'frozen_stages must be an int in [-1, {n}]'),
                (dict(frozen_stages=-2), f'frozen_stages must be an int in [-1, {n}]'),
                (dict(in_channels=0), 'in_channels must be a positive int (3 for RGB)')]:
            yield pytest.param(name, kwargs, message, id=f'{name}-{list(kwargs.items())[0]}')


@pytest.mark.parametrize('name, kwargs, message', list(bad_argument_cases()))
def test_bad_arguments_raise_errors_that_name_the_choices(name, kwargs, message):
    with pytest.raises(ValueError) as error:
        build(name, **kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize('x, message', [
    (torch.randn(3, 32, 32), r'4-D \(N, C, H, W\) image tensor, got shape \(3, 32, 32\)'),
    (torch.zeros(1, 3, 32, 32, dtype=torch.uint8), 'floating-point tensor, got torch.uint8'),
    (torch.randn(1, 4, 32, 32), 'in_channels=3, got an input with 4 channels'),
    ([torch.randn(1, 3, 32, 32)], '4-D .* got list'),
])
@pytest.mark.parametrize('name', BACKBONES)
def test_bad_input_says_what_is_expected(name, x, message):
    with pytest.raises(ValueError, match=message):
        build(name).eval()(x)


@pytest.mark.parametrize('name', BACKBONES)
def test_the_smallest_input_works_and_an_empty_batch_gives_empty_maps(name):
    model = build(name).eval()
    smallest = model.min_input_size()
    with torch.no_grad():
        model(torch.randn(1, 3, smallest, smallest))
        full = model(torch.randn(1, 3, 64, 80))
        empty = model(torch.randn(0, 3, 64, 80))
    assert [tuple(o.shape) for o in empty] == [(0, *o.shape[1:]) for o in full]
    if smallest > 1:
        with pytest.raises(ValueError, match=f'at least {smallest}x{smallest} pixels'):
            model(torch.randn(1, 3, smallest, smallest - 1))


# --------------------------------------------------------------------------- in_channels
# the adaptation is shared code; each family (its input conv) takes one of the three rules in
# turn, so that every rule meets several families
@pytest.mark.parametrize('name, in_channels', [
    (name, (1, 4, 6)[i % 3]) for i, name in enumerate(BACKBONES)])
def test_rgb_weights_load_into_any_number_of_input_channels(name, in_channels, tmp_path):
    """Pretrained RGB weights adapted as timm's ``adapt_input_conv`` (1 channel: the sum over
    RGB; N: RGB repeated cyclically, scaled by 3/N), every other weight loaded as is. With 1 or
    3k channels an image whose channels are all equal gives the RGB network's outputs."""
    torch.manual_seed(0)
    rgb = build(name).eval()
    conv = rgb.get_submodule(rgb.input_conv)
    with torch.no_grad():  # weights on a 2^-10 grid: the adapted sums are exact in float32
        conv.weight.copy_(torch.round(conv.weight * 1024) / 1024)
    torch.save({'state_dict': rgb.state_dict()}, tmp_path / 'rgb.pth')
    model = build(name, in_channels=in_channels,
                  init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'rgb.pth')))
    assert model.get_submodule(model.input_conv).in_channels == in_channels
    model.init_weights()
    key = f'{model.input_conv}.weight'
    rest = {k: v for k, v in model.state_dict().items() if k != key}
    assert all(torch.equal(v, rgb.state_dict()[k]) for k, v in rest.items())
    weight, adapted = conv.weight, model.state_dict()[key]
    if in_channels == 1:
        assert torch.equal(adapted, weight.sum(1, keepdim=True))
    else:
        cyclic = weight[:, [c % 3 for c in range(in_channels)]] * (3 / in_channels)
        assert torch.equal(adapted, cyclic)
    if in_channels % 3 and in_channels != 1:
        return
    # float64: Vision GNN's neighbour search has near-ties that float32 rounding could flip
    model, rgb = model.eval().double(), rgb.double()
    plane = torch.randn(2, 1, 48, 64, dtype=torch.float64)
    with torch.no_grad():
        expected = rgb(plane.expand(-1, 3, -1, -1))
        outs = model(plane.expand(-1, in_channels, -1, -1))
    for out, value in zip(outs, expected):
        torch.testing.assert_close(out, value)


# ------------------------------------------------------------------------- det / seg configs
FAMILY_CONFIGS = [name for name in DET_SEG_CONFIGS if osp.dirname(name)]


@pytest.mark.parametrize('name', FAMILY_CONFIGS)
def test_family_config_wiring_and_one_training_step(name, demo_root):
    """A family folder's configs use its backbones (the folder is named after the family's
    module) and its normalisation; one head per backbone trains a step (``TRAINED_HEAD``)."""
    cfg, model = build_config_model(name)
    backbone = type(model.backbone)
    assert backbone.__module__.rsplit('.', 1)[-1] == osp.dirname(name)
    norm = NORMALISATION.get(f'mmghost.{backbone.__name__}', IMAGENET_NORM)
    preprocessor = cfg.model.data_preprocessor
    assert (list(preprocessor.mean), list(preprocessor.std)) == (norm['mean'], norm['std'])
    assert_heads_fit_backbone(cfg, model)
    config_training_step(model, osp.basename(name), demo_root)
