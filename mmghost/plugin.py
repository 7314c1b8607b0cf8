"""What ``import mmghost`` does to the process: every import-time side effect, in one place.

A config's ``custom_imports=dict(imports=['mmghost'])`` (or ``import mmghost``) imports the
package, whose ``__init__`` calls :func:`activate` once the modules below are imported:

1. **Registrations** (by the ``register_module`` decorators, when their modules are imported):
   every backbone, neck and data preprocessor in ``mmghost.registry.MODELS`` (scope
   ``mmghost``, a child of mmengine's root registry); ``BitExactResumeHook`` in mmengine's
   ``HOOKS``.
2. **Unscoped aliases** (:func:`mmghost.registry.register_in_downstream`): every mmghost model in
   mmdet's and mmseg's ``MODELS`` too, so that ``type='PyramidViG'`` works under their default
   scopes; a name they already own is an error, never an override.
3. **Safe loading of mmengine checkpoints**
   (:func:`mmghost.weights.compat.allow_mmengine_checkpoints`):
   the non-tensor types mmengine writes (``HistoryBuffer``, numpy arrays and scalars) join
   torch's ``weights_only`` allow-list, and nothing else does.
4. **Checkpoint schemes** (:func:`mmghost.weights.checkpoint.register_safe_loaders`): mmengine's
   ``CheckpointLoader`` reads local files, ``.safetensors`` and URLs through
   :mod:`mmghost.weights.checkpoint`, which never unpickles code.

Each step is idempotent: importing or activating twice changes nothing.
"""
from .weights.checkpoint import register_safe_loaders
from .weights.compat import allow_mmengine_checkpoints
from .registry import register_in_downstream


def activate():
    """Makes the process ready for mmghost models and checkpoints (steps 2-4 above)."""
    register_in_downstream()
    allow_mmengine_checkpoints()
    register_safe_loaders()
