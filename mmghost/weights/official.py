"""Upstream model names -> mmghost backbone configs, classifiers, released weights and
checkpoint converters.

Each family declares its official models in its descriptor (``FAMILY.official_models``, see
:mod:`mmghost.models.family`); this module merges them. ``official_backbone_cfg(name)`` is the backbone that a checkpoint converted by
``tools/model_converters/official2mmghost.py --model name`` fits, strictly;
``official_classifier_cfg(name)`` is the mmpretrain ``ImageClassifier`` (backbone + upstream head)
that ``official2mmghost.py --classifier`` fits. ``OFFICIAL_MODELS[name].weights`` is the released
checkpoint (URL, upstream top-1, sha256 once ``tools/misc/check_weights.py`` recorded it), or
``None`` with ``no_weights`` saying why there is none.
"""
import copy
import dataclasses
import json
import os.path as osp
from functools import partial

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from ..models.backbones import FAMILIES
from .fitting import PROFILER_BUFFERS, fit_checkpoint, unwrap_state_dict


#: URL -> sha256 of the released files, written by tools/misc/check_weights.py (needs network).
CHECKSUMS_FILE = osp.join(osp.dirname(__file__), 'weights_sha256.json')


def read_checksums(path=CHECKSUMS_FILE):
    with open(path) as f:
        return json.load(f)


def _merge(families, checksums):
    merged = {}
    for family in families:
        for name, entry in family.official_models.items():
            if name in merged:
                raise KeyError(f'Official model {name!r} is declared twice '
                               f'(second time in family {family.name})')
            if entry.weights is not None and entry.weights.url in checksums:
                weights = dataclasses.replace(entry.weights, sha256=checksums[entry.weights.url])
                entry = dataclasses.replace(entry, weights=weights)
            merged[name] = entry
    return merged


#: name -> :class:`~mmghost.weights.records.OfficialModel`
OFFICIAL_MODELS = _merge(FAMILIES.values(), read_checksums())


#: backbone class name -> its smallest official model (``Family.smallest``) and the image size
#: that model is trained at: what a check of every family runs (export, torch.compile, CUDA,
#: autocast)
SMALLEST_MODELS = {
    OFFICIAL_MODELS[name].backbone['type'].replace('mmghost.', ''): (
        name, OFFICIAL_MODELS[name].image_size)
    for family in FAMILIES.values() for name in family.smallest}


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


def official_weights_by_url(url):
    """``(name, Weights)`` of the official model released at ``url``, or ``None``."""
    for name, entry in OFFICIAL_MODELS.items():
        if entry.weights is not None and entry.weights.url == url:
            return name, entry.weights
    return None


def _scopeless(type_name):
    return type_name.split('.', 1)[1] if type_name.startswith('mmghost.') else type_name


def find_official_model(backbone_cfg):
    """The official model name whose backbone ``backbone_cfg`` builds (same type and arch, e.g.
    ``dict(type='mmghost.PyramidViG', arch='s', out_indices=(1, 2, 3))`` ->
    ``'pvig_s_224_gelu'``), or ``None``."""
    given = dict(backbone_cfg, type=_scopeless(backbone_cfg.get('type', '')))
    for name, entry in OFFICIAL_MODELS.items():
        wanted = dict(entry.backbone, type=_scopeless(entry.backbone['type']))
        if all(given.get(key) == value for key, value in wanted.items()):
            return name
    return None


def _plain(cfg):
    """A config as JSON data (tuples become lists), for comparison."""
    return json.loads(json.dumps(cfg))


def find_official_classifier(model_cfg):
    """The official model name whose upstream classifier ``model_cfg`` is (as
    ``official_classifier_cfg(name)``, whatever its data preprocessor), or ``None``."""
    given = _plain({k: v for k, v in model_cfg.items() if k != 'data_preprocessor'})
    for name, entry in OFFICIAL_MODELS.items():
        if entry.classifier is not None and _plain(official_classifier_cfg(name)) == given:
            return name
    return None


def load_official_classifier(model, checkpoint, name, map_location='cpu'):
    """Loads ``checkpoint`` strictly into ``model``, the classifier of ``name``
    (:func:`official_classifier_cfg`).

    The file may be an mmghost classifier checkpoint (``official2mmghost.py --classifier``), the
    official upstream file (a URL from ``OFFICIAL_MODELS[name].weights`` or a local path) or
    timm's file of the same network (``.safetensors`` too): the last two are converted on the fly.

    Raises:
        RuntimeError: the file fits in none of these layouts; nothing is loaded.
    """
    entry = _entry(name)
    layouts = [('mmghost', dict),
               ('official', partial(convert_official, name, classifier=True))]
    if entry.timm_to_official is not None:
        layouts.append(('timm', partial(convert_official, name, classifier=True, timm=True)))
    raw = CheckpointLoader.load_checkpoint(checkpoint, map_location=map_location)
    layout, state, _ = fit_checkpoint(
        unwrap_state_dict(raw), model.state_dict(), layouts,
        f'Checkpoint {checkpoint} does not fit the {name} classifier')
    model.load_state_dict(state)
    print_log(f'{name} classifier: loaded {layout} checkpoint {checkpoint}', logger='current')


def as_released(state_dict, weights):
    """An official-format state dict as the release file ``weights`` holds it: its recorded
    quirks (``weights.quirks``) applied. The files cannot be downloaded in tests; this builds
    their look-alikes from deterministic official weights (tests/test_pretrained_weights.py).

    ``'thop'`` adds thop's buffers to the root and to every module above a key (a superset of
    where thop leaves them); ``'module_prefix'`` prefixes every key with ``module.``.
    """
    state = dict(state_dict)
    if 'thop' in weights.quirks:
        paths = [key.split('.')[:-1] for key in state_dict]
        modules = {''} | {'.'.join(path[:i]) + '.' for path in paths
                          for i in range(1, len(path) + 1)}
        for module in sorted(modules):
            for buffer in PROFILER_BUFFERS:
                state[module + buffer] = torch.zeros(1, dtype=torch.float64)
    if 'module_prefix' in weights.quirks:
        state = {'module.' + key: value for key, value in state.items()}
    return state


def save_as_released(state_dict, weights, path):
    """Writes :func:`as_released` to ``path``, in torch's legacy (non-zip) serialization where
    the release is recorded as ``'legacy_format'``."""
    torch.save(as_released(state_dict, weights), path,
               _use_new_zipfile_serialization='legacy_format' not in weights.quirks)
