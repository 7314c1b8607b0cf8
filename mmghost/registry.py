"""The ``mmghost`` registry scope.

``MODELS`` is a child of mmengine's root ``MODELS``, so ``type='mmghost.PyramidViG'`` resolves from
mmdet, mmseg and mmpretrain configs alike (mmengine imports ``mmghost.registry`` for the scope and
then ``locations``). :func:`register_in_downstream` also puts every mmghost model into mmdet's and
mmseg's registries, so an unscoped ``type='PyramidViG'`` works under ``default_scope='mmdet'`` or
``'mmseg'``. mmpretrain is left alone: it owns ``Vig``/``PyramidVig``/``TNT`` and its users write
the scoped name.
"""
import importlib

from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmghost', locations=['mmghost.models'])

# Downstream packages that get unscoped aliases of every mmghost model.
DOWNSTREAM_REGISTRIES = ('mmdet.registry', 'mmseg.registry')


def register_in_downstream():
    """Registers every mmghost model into mmdet's and mmseg's ``MODELS`` (those installed).

    Idempotent. A name the downstream registry already owns is an error rather than a silent
    override: mmghost never shadows a host model.
    """
    for module_name in DOWNSTREAM_REGISTRIES:
        try:
            downstream = importlib.import_module(module_name).MODELS
        except ImportError:
            continue
        for name, cls in MODELS.module_dict.items():
            owner = downstream.module_dict.get(name)
            if owner is cls:
                continue
            if owner is not None:
                raise KeyError(f'{name} is already registered in {module_name} by '
                               f'{owner.__module__}; mmghost will not override it')
            downstream.register_module(name=name, module=cls)
