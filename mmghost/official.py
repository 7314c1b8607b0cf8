"""Upstream model names -> mmghost backbone configs, classifiers and checkpoint converters.

Each family module declares ``OFFICIAL_MODELS = {upstream name: OfficialModel(...)}``; this
module merges them. ``official_backbone_cfg(name)`` is the backbone that a checkpoint converted by
``tools/model_converters/official2mmghost.py --model name`` fits, strictly;
``official_classifier_cfg(name)`` is the mmpretrain ``ImageClassifier`` (backbone + upstream head)
that ``official2mmghost.py --classifier`` fits.
"""
import copy

from .models.backbones import (augvit, g_ghost_regnet, ghostnet, tinynet, tnt, vig,
                               wavemlp)

_FAMILIES = (vig, ghostnet, tinynet, g_ghost_regnet, tnt, augvit, wavemlp)


def _merge(families):
    merged = {}
    for family in families:
        for name, entry in family.OFFICIAL_MODELS.items():
            if name in merged:
                raise KeyError(f'Official model {name!r} is declared twice '
                               f'(second time in {family.__name__})')
            merged[name] = entry
    return merged


#: name -> :class:`~mmghost.models.backbones.base.OfficialModel`
OFFICIAL_MODELS = _merge(_FAMILIES)


def _entry(name):
    if name not in OFFICIAL_MODELS:
        raise KeyError(f'Unknown official model {name!r}; choose one of {sorted(OFFICIAL_MODELS)}')
    return OFFICIAL_MODELS[name]


def official_backbone_cfg(name, **overrides):
    """The backbone config matching an upstream model name, e.g. ``'pvig_s_224_gelu'``.

    Args:
        name (str): Upstream factory name (see ``OFFICIAL_MODELS``).
        **overrides: Backbone arguments to set (``out_indices``, ``init_cfg``, ...).

    Returns:
        dict: A config for ``MODELS.build``.
    """
    cfg = copy.deepcopy(_entry(name).backbone)
    cfg.update(overrides)
    return cfg


def official_classifier_cfg(name, **backbone_overrides):
    """The mmpretrain ``ImageClassifier`` of an upstream model: backbone + upstream head.

    Args:
        name (str): Upstream factory name (see ``OFFICIAL_MODELS``).
        **backbone_overrides: Backbone arguments to set on top of the classifier's own.

    Returns:
        dict: A model config for mmpretrain's ``MODELS.build``.
    """
    entry = _entry(name)
    if entry.classifier is None:
        raise KeyError(f'{name} has no upstream classifier head in mmghost')
    parts = copy.deepcopy(entry.classifier)
    backbone = official_backbone_cfg(name, **parts.pop('backbone', {}))
    backbone.update(backbone_overrides)
    return dict(type='ImageClassifier', backbone=backbone, **parts)


def convert_official(name, state_dict, classifier=False, timm=False):
    """Converts an official state dict of model ``name`` to mmghost keys.

    Args:
        name (str): Upstream factory name.
        state_dict (dict): The official weights (unwrapped).
        classifier (bool): Return ``backbone.*`` plus the upstream head's ``neck.*``/``head.*``
            keys for :func:`official_classifier_cfg`, instead of the backbone's keys alone.
        timm (bool): ``state_dict`` is timm's checkpoint of the same network.
    """
    entry = _entry(name)
    if timm:
        if entry.timm_to_official is None:
            raise KeyError(f'{name} has no timm-format converter; the models that have one: '
                           f'{sorted(k for k, v in OFFICIAL_MODELS.items() if v.timm_to_official)}')
        state_dict = entry.timm_to_official(state_dict)
    backbone = entry.convert(state_dict)
    if not classifier:
        return backbone
    if entry.convert_head is None:
        raise KeyError(f'{name} has no upstream classifier head in mmghost')
    return {**{f'backbone.{k}': v for k, v in backbone.items()}, **entry.convert_head(state_dict)}
