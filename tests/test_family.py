"""The family descriptors (``FAMILY`` of each family module) and what is derived from them: the
official models' converters, the zoo's collections, swap's normalisation and no-decay keys, and
the generated config bases that configs inherit."""
import os.path as osp

import pytest

from mmghost.models.backbones import FAMILIES, GhostNet
from mmghost.models.backbones.base import MultiScaleBackbone
from mmghost.weights.records import OfficialModel
from mmghost.models.family import Converters, Family, Paper, family_of
from mmghost.weights.official import OFFICIAL_MODELS
from mmghost.registry import MODELS
from mmghost.apis.swap import NO_DECAY_KEYS, NORMALISATION
from tests.helpers import CLS_CONFIGS, load_config, load_tool, zoo


def test_every_registered_backbone_belongs_to_one_family():
    registered = sorted(f'mmghost.{name}' for name, cls in MODELS.module_dict.items()
                        if isinstance(cls, type) and issubclass(cls, MultiScaleBackbone))
    listed = [t for family in FAMILIES.values() for t in family.types]
    assert sorted(listed) == registered


@pytest.mark.parametrize('name', sorted(OFFICIAL_MODELS))
def test_official_models_convert_with_their_backbones_converters(name):
    entry = OFFICIAL_MODELS[name]
    family, cls = family_of(MODELS.get(entry.backbone['type']))
    assert entry.convert is family.backbones[cls].official
    assert name in family.official_models


def test_a_subclass_keeps_the_converters_of_its_family():
    class MyGhostNet(GhostNet):
        pass

    family, cls = family_of(MyGhostNet)
    assert family is FAMILIES['ghostnet'] and cls is GhostNet
    assert [name for name, _ in MyGhostNet(arch='0.5x')._checkpoint_layouts()] == \
        ['mmghost', 'official', 'timm']
    assert family_of(MultiScaleBackbone) == (None, None)


def test_what_is_derived_from_the_records():
    ghostnet, vig = FAMILIES['ghostnet'], FAMILIES['vig']
    assert NORMALISATION['mmghost.PyramidViG'] == vig.normalisation == dict(
        mean=[127.5] * 3, std=[127.5] * 3)
    assert NORMALISATION['mmghost.GhostNetV2'] == ghostnet.normalisation
    assert NO_DECAY_KEYS['mmghost.ViG'] == ('pos_embed', ) and 'mmghost.GhostNet' not in \
        NO_DECAY_KEYS
    assert [(c.name, c.folder, c.code) for c in zoo.COLLECTIONS if c.folder == 'ghostnet'] == [
        ('GhostNet', 'ghostnet', 'mmghost/models/backbones/ghostnet.py'),
        ('GhostNetV2', 'ghostnet', 'mmghost/models/backbones/ghostnet.py')]
    assert vig.paramwise_cfg == dict(norm_decay_mult=0.,
                                     custom_keys={'pos_embed': dict(decay_mult=0.)})
    assert ghostnet.paramwise_cfg == dict(norm_decay_mult=0.)


def _paper(*backbones):
    return Paper('X', 'a title', 'https://arxiv.org/abs/0', 'https://github.com/x', backbones)


def _model(backbone_type, weights=None):
    return OfficialModel(backbone=dict(type=backbone_type), weights=weights,
                         no_weights=None if weights else 'none released')


@pytest.mark.parametrize('kwargs, message', [
    (dict(papers=(_paper('mmghost.GhostNetV2'), )), "the papers cover ['mmghost.GhostNetV2'], "
     "the family has ['GhostNet']"),
    (dict(official_models={'x': _model('mmghost.ViG')}), "official model 'x' is a mmghost.ViG; "
     "the family has ['GhostNet']"),
    (dict(config_models={'x': 'nope'}), "config_models names ['nope'], not official models"),
    (dict(config_models={'x': 'x'}), "config_models names ['x'], which have no released"),
    (dict(smallest=()), "smallest names []; give one official model of each backbone "
     "['mmghost.GhostNet'], from ['x']"),
    (dict(smallest=('x', 'nope')), "smallest names ['x', 'nope']; give one"),
])
def test_a_record_that_does_not_hold_together_is_refused(kwargs, message):
    record = dict(papers=(_paper('mmghost.GhostNet'), ),
                  backbones={GhostNet: Converters(dict)},
                  official_models={'x': _model('mmghost.GhostNet')}, smallest=('x', ))
    with pytest.raises(ValueError) as error:
        Family(**{**record, **kwargs})
    assert message in str(error.value)


def test_generated_config_bases_match_the_records(capsys):
    assert load_tool('tools/misc/family_bases.py').main(['--check']) == 0, capsys.readouterr().out


@pytest.mark.parametrize('name', sorted(FAMILIES))
def test_config_bases_carry_the_records(name):
    family = FAMILIES[name]
    cfg = load_config(f'_base_/families/{name}.py')
    assert cfg.img_norm == family.normalisation
    assert cfg.paramwise_cfg == family.paramwise_cfg
    for prefix, model in family.config_models.items():
        assert cfg[f'{prefix}_pretrained'] == OFFICIAL_MODELS[model].weights.url
    backbones = load_config(f'_base_/backbones/{name}.py')  # the hand-written base inherits it
    assert backbones.img_norm == family.normalisation


@pytest.mark.parametrize('config', CLS_CONFIGS)
def test_classification_configs_take_the_normalisation_and_size_of_their_model(config):
    """The family's normalisation, and a centre crop at the size the model is trained at."""
    cfg = load_config(config)
    preprocessor = cfg.model.data_preprocessor
    norm = FAMILIES[osp.dirname(config)].normalisation
    assert (preprocessor.mean, preprocessor.std) == (norm['mean'], norm['std'])
    [crop] = [step for step in cfg.test_dataloader.dataset.pipeline
              if step['type'] == 'CenterCrop']
    name = osp.basename(config)[:-len('_in1k.py')]
    assert crop['crop_size'] == OFFICIAL_MODELS[name].image_size
