"""mmghost: Huawei Noah's efficient vision backbones as OpenMMLab plugins.

``import mmghost`` (or ``custom_imports=dict(imports=['mmghost'])`` in a config) registers every
backbone in the ``mmghost`` scope and, unscoped, in mmdet's and mmseg's registries, makes
mmengine checkpoints load under torch's safe (``weights_only``) loading, and routes mmengine's
checkpoint loading (local files, ``.safetensors``, URLs through the torch hub cache) through
:mod:`mmghost.weights.checkpoint`, which never unpickles code: :mod:`mmghost.plugin` lists each of
these side effects.
"""
from . import engine  # noqa: F401  (registers BitExactResumeHook in mmengine's HOOKS)
from .models import *  # noqa: F401,F403
from .weights.official import OFFICIAL_MODELS, official_backbone_cfg
from .utils.paths import config_path, tool_path
from .plugin import activate
from .registry import MODELS, register_in_downstream
from .apis.swap import swap_backbone

__version__ = '0.1.0'

activate()  # every import-time side effect: see mmghost/plugin.py

__all__ = ['MODELS', 'OFFICIAL_MODELS', 'config_path', 'official_backbone_cfg', 'swap_backbone',
           'tool_path', '__version__']
