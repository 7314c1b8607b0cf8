"""What users call on their own configs and models: :func:`~mmghost.apis.swap.swap_backbone`
(an mmghost backbone into an existing mmdet / mmseg config) and :mod:`~mmghost.apis.deploy`
(ONNX export and its verification)."""
from .swap import swap_backbone

__all__ = ['swap_backbone']
