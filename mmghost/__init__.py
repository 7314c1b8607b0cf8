"""mmghost: Huawei Noah's efficient vision backbones as OpenMMLab plugins.

``import mmghost`` (or ``custom_imports=dict(imports=['mmghost'])`` in a config) registers every
backbone in the ``mmghost`` scope and, unscoped, in mmdet's and mmseg's registries, and makes
mmengine checkpoints load under torch's safe (``weights_only``) loading.
"""
from . import compat  # noqa: F401  (first: checkpoint loading must work before anything loads)
from .models import *  # noqa: F401,F403
from .official import OFFICIAL_MODELS, official_backbone_cfg
from .registry import MODELS, register_in_downstream

__version__ = '0.1.0'

register_in_downstream()

__all__ = ['MODELS', 'OFFICIAL_MODELS', 'official_backbone_cfg', '__version__']
