"""The family descriptor: everything mmghost states about a model family, written once.

Each module of :mod:`mmghost.models.backbones` ends with ``FAMILY = Family(...)``: its papers and
upstream code, the normalisation its weights were trained with, the parameters that take no
weight decay, each backbone's checkpoint converters, the official models with their released
weights, and the official models its det / seg configs start from. Everything else reads it:

- the backbones' checkpoint loading (:func:`family_of`: the converters);
- :mod:`mmghost.weights.official` (``OFFICIAL_MODELS``), :mod:`mmghost.apis.swap`
  (normalisation, no-decay keys) and the checkout's model zoo (``tools/analysis_tools/zoo.py``:
  the metafiles' collections);
- the generated config bases ``configs/_base_/families/<family>.py``, which configs inherit
  because a config cannot import mmghost (``tools/misc/family_bases.py`` writes them, ``--check``
  compares).

The family is named after its module, which is also the name of its folder of configs.
"""
import sys
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

#: RGB mean / std (0-255) of ImageNet, what most families are trained with.
IMAGENET_NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
#: RGB scaled to [-1, 1] (timm's mean = std = 0.5): the transformer and graph families.
SIGNED_NORM = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])


@dataclass(frozen=True)
class Paper:
    """A paper of the family: a ``Collections`` entry of its metafile.

    Attributes:
        collection (str): The collection name (``In Collection`` of its models).
        title (str): The paper's title.
        url (str): Its arXiv page.
        code (str): The upstream code (a folder of huawei-noah/Efficient-AI-Backbones).
        backbones (tuple[str]): The registry names of the backbones it covers.
    """
    collection: str
    title: str
    url: str
    code: str
    backbones: tuple


@dataclass(frozen=True)
class Converters:
    """A backbone's checkpoint converters.

    Attributes:
        official (Callable): Official (upstream) state dict -> the backbone's keys.
        timm (Callable, optional): timm's state dict of the same network -> the official layout.
    """
    official: Callable
    timm: Optional[Callable] = None


@dataclass(frozen=True)
class Family:
    """What mmghost states about a family (see the module docstring).

    Attributes:
        papers (tuple[Paper]): The papers, each with its code and the backbones it covers.
        backbones (dict): Backbone class -> its :class:`Converters`.
        official_models (dict): Upstream model name -> ``OfficialModel``, given without
            ``convert``, which is filled in from ``backbones`` (and ``timm_to_official``, where
            the model gives none).
        smallest (tuple[str]): The smallest official model of each backbone: what the checks
            of every family run (export, ``torch.compile``, CUDA, autocast).
        config_models (dict): Config variable prefix -> the official model whose weights the
            family's det / seg configs start from (``<prefix>_pretrained`` in the config base).
        normalisation (dict): RGB ``mean`` / ``std`` (0-255) the weights were trained with.
        no_decay_keys (tuple[str]): Parameter name parts that take no weight decay (beyond the
            norm layers), as mmengine ``paramwise_cfg.custom_keys``.
    """
    papers: tuple
    backbones: dict
    official_models: dict
    smallest: tuple
    config_models: dict = field(default_factory=dict)
    normalisation: dict = field(default_factory=lambda: dict(IMAGENET_NORM))
    no_decay_keys: tuple = ()

    def __post_init__(self):
        types = {cls.__name__: cls for cls in self.backbones}
        covered = {name for paper in self.papers for name in paper.backbones}
        if covered != {f'mmghost.{name}' for name in types}:
            raise ValueError(f'{self.name}: the papers cover {sorted(covered)}, the family has '
                             f'{sorted(types)}')
        models = {}
        for name, model in self.official_models.items():
            cls = types.get(model.backbone['type'].replace('mmghost.', ''))
            if cls is None:
                raise ValueError(f'{self.name}: official model {name!r} is a '
                                 f'{model.backbone["type"]}; the family has {sorted(types)}')
            converters = self.backbones[cls]
            models[name] = replace(model, convert=converters.official,
                                   timm_to_official=model.timm_to_official or converters.timm)
        object.__setattr__(self, 'official_models', models)
        smallest_types = sorted(models[m].backbone['type'] if m in models else '?'
                                for m in self.smallest)
        if smallest_types != sorted(self.types):
            raise ValueError(f'{self.name}: smallest names {list(self.smallest)}; give one '
                             f'official model of each backbone {sorted(self.types)}, from '
                             f'{sorted(models)}')
        unknown = set(self.config_models.values()) - set(models)
        if unknown:
            raise ValueError(f'{self.name}: config_models names {sorted(unknown)}, not official '
                             f'models of the family ({sorted(models)})')
        unreleased = sorted(m for m in self.config_models.values() if models[m].weights is None)
        if unreleased:
            raise ValueError(f'{self.name}: config_models names {unreleased}, which have no '
                             f'released weights')

    @property
    def module(self):
        """The family's module, e.g. ``'mmghost.models.backbones.ghostnet'``."""
        return next(iter(self.backbones)).__module__

    @property
    def name(self):
        """The family's name: its module's, also its configs folder's (``'ghostnet'``)."""
        return self.module.rsplit('.', 1)[-1]

    @property
    def types(self):
        """The registry names of its backbones (``'mmghost.GhostNet'``, ...)."""
        return tuple(f'mmghost.{cls.__name__}' for cls in self.backbones)

    @property
    def paramwise_cfg(self):
        """mmengine's ``paramwise_cfg``: no weight decay on the norm layers and the
        ``no_decay_keys``."""
        keys = {key: dict(decay_mult=0.) for key in self.no_decay_keys}
        return dict(norm_decay_mult=0., **({'custom_keys': keys} if keys else {}))


def family_of(cls):
    """The :class:`Family` of a backbone class and the class it lists (``cls`` or the nearest
    class ``cls`` derives from that a family lists, so a user's subclass keeps the converters);
    ``(None, None)`` for none."""
    for klass in cls.__mro__:
        family = getattr(sys.modules.get(klass.__module__), 'FAMILY', None)
        if isinstance(family, Family) and klass in family.backbones:
            return family, klass
    return None, None
