"""What the OpenMMLab 2.x stack needs on modern torch and numpy.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7 checkpoints hold
more than tensors (open-mmlab/mmengine#1655): ``message_hub`` keeps ``HistoryBuffer`` objects
with numpy arrays, whose pickled state names the buffer's statistics methods through
``getattr(HistoryBuffer, 'min')``, and ``runtime_info`` holds numpy scalars. Rather than turning
safe loading off, :func:`allow_mmengine_checkpoints` adds exactly those types to torch's
safe-load allow-list, and ``getattr`` only in a form that resolves those methods, so
``load_from``, ``resume`` and ``init_cfg=dict(type='Pretrained')`` work while an arbitrary pickle
is still refused. :mod:`mmghost.plugin` calls it when mmghost is imported.
"""
import pickle

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

# The statistics HistoryBuffer registers by default (its pickles reference them by getattr).
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_statistic(owner, name):
    """Stands in for ``getattr`` while unpickling: resolves HistoryBuffer's statistics only."""
    if owner is HistoryBuffer and (name in _HISTORY_BUFFER_STATISTICS
                                   or name in HistoryBuffer._statistics_methods):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({owner!r}, {name!r}) in a checkpoint: only the statistics methods '
        f'of mmengine HistoryBuffer are allowed')


def _numpy_globals():
    """The numpy callables and types that pickled arrays and scalars reference."""
    try:  # numpy >= 2 pickles through numpy._core, older through numpy.core
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    dtype_classes = {type(np.dtype(code)) for code in np.typecodes['All'] if code not in 'Mm'}
    dtype_classes |= {type(np.dtype('datetime64[s]')), type(np.dtype('timedelta64[s]'))}
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype, *dtype_classes]


def allow_mmengine_checkpoints():
    """Adds the non-tensor types mmengine writes into checkpoints to torch's safe globals."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals([
            HistoryBuffer, (history_buffer_statistic, 'builtins.getattr'), *_numpy_globals()])
