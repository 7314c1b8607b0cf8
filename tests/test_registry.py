"""Registration: the mmghost scope from every host registry, unscoped names in mmdet and mmseg."""
import pytest
from mmengine.registry import DefaultScope

import mmghost
from mmghost.models.backbones import PyramidViG


def _host_registries():
    from mmdet.registry import MODELS as MMDET
    from mmpretrain.registry import MODELS as MMPRETRAIN
    from mmseg.registry import MODELS as MMSEG
    return {'mmdet': MMDET, 'mmseg': MMSEG, 'mmpretrain': MMPRETRAIN}


@pytest.mark.parametrize('host', ['mmdet', 'mmseg', 'mmpretrain'])
def test_scoped_name_builds_from_every_host(host):
    registry = _host_registries()[host]
    with DefaultScope.overwrite_default_scope(host):
        model = registry.build(dict(type='mmghost.PyramidViG', arch='ti', out_indices=(3, )))
    assert isinstance(model, PyramidViG)
    assert model.out_channels == (384, )


@pytest.mark.parametrize('host', ['mmdet', 'mmseg'])
def test_unscoped_name_builds_under_default_scope(host):
    registry = _host_registries()[host]
    with DefaultScope.overwrite_default_scope(host):
        model = registry.build(dict(type='PyramidViG', arch='ti'))
    assert isinstance(model, PyramidViG)


def test_mmpretrain_keeps_its_own_vig_models():
    from mmpretrain.models.backbones import PyramidVig, Vig
    registry = _host_registries()['mmpretrain']
    assert registry.get('PyramidVig') is PyramidVig
    assert registry.get('Vig') is Vig
    assert 'PyramidViG' not in registry.module_dict


def test_register_in_downstream_is_idempotent_and_never_overrides():
    import mmdet.models  # noqa: F401  (fills mmdet's registry, ResNet included)
    mmghost.register_in_downstream()
    mmdet_models = _host_registries()['mmdet']
    assert mmdet_models.get('PyramidViG') is PyramidViG

    class Impostor:
        pass

    mmghost.MODELS.register_module(name='ResNet', module=Impostor)
    try:
        with pytest.raises(KeyError, match='ResNet is already registered in mmdet.registry'):
            mmghost.register_in_downstream()
    finally:
        mmghost.MODELS.module_dict.pop('ResNet')


def test_the_model_table_discovers_every_family_module():
    import pkgutil

    from mmghost.models import backbones
    from mmghost.models.backbones import FAMILIES
    from mmghost.weights.official import OFFICIAL_MODELS
    assert set(FAMILIES) == {info.name for info in pkgutil.iter_modules(backbones.__path__)} - \
        {'base'}
    declared = sum(len(family.official_models) for family in FAMILIES.values())
    assert declared == len(OFFICIAL_MODELS)  # merged, no name declared twice


def test_every_backbone_type_has_its_smallest_model_listed():
    """``SMALLEST_MODELS`` (what the every-family checks run, from ``Family.smallest``) names
    one model of each backbone type, none missed."""
    from mmghost.weights.official import OFFICIAL_MODELS, SMALLEST_MODELS
    listed = [OFFICIAL_MODELS[name].backbone['type'] for name, _ in SMALLEST_MODELS.values()]
    assert sorted(listed) == sorted({entry.backbone['type'] for entry in OFFICIAL_MODELS.values()})


def test_the_public_api_survives_the_package_layout():
    """Scripts written against the flat layout keep working: ``mmghost.official`` and
    ``mmghost.runtime`` are the modules of ``mmghost.weights`` / ``mmghost.utils`` (the same
    objects), and the top-level names stay."""
    import importlib

    import mmghost
    from mmghost.utils import runtime
    from mmghost.weights import official
    assert importlib.import_module('mmghost.official') is official
    assert importlib.import_module('mmghost.runtime') is runtime
    from mmghost.official import OFFICIAL_MODELS, official_backbone_cfg
    assert OFFICIAL_MODELS is mmghost.OFFICIAL_MODELS
    assert official_backbone_cfg('pvig_s_224_gelu')['type'] == 'mmghost.PyramidViG'
    assert mmghost.OFFICIAL_MODELS['pvig_s_224_gelu'].weights.url.startswith('https://')
    assert callable(mmghost.swap_backbone) and callable(mmghost.official_backbone_cfg)
