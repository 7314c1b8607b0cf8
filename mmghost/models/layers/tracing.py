"""Shapes under tracing: one exported graph for every input size.

``torch.jit.trace`` and the TorchScript ONNX exporter (``torch.onnx.export(dynamo=False)``) hand
the model its sizes as 0-d tensors, so arithmetic on them stays a function of the input. A Python
branch on a size (``if h == w == trained``, ``min(k, keys)``, a loop over chunks of queries) is
frozen at the traced value instead. While :func:`for_any_size` is True, the layers take the path
that is correct at every size: position terms are resized or computed even at the trained grid,
padding is always applied (by zero where none is needed), neighbour counts are clamped in the
graph.

* :func:`fixed_size_trace` marks a trace for the traced size only (a static export): the
  shortcuts stay, so the graph computes exactly what eager mode computes at that size (e.g.
  Pyramid ViG's stored relative-position term at its trained grid).
* :func:`any_size_paths` makes eager PyTorch take the any-size paths: what a dynamic export
  computes, to compare it with.

Eager mode and ``torch.compile`` are otherwise unaffected: the compiler guards on Python branches
and recompiles for a size that takes another one.
"""
import contextlib
import contextvars

import torch

# Context variables, not module flags: a setting holds in the thread (or asyncio task) that made
# it, so that another thread's forward pass keeps its own paths.
_FIXED_SIZE_TRACE = contextvars.ContextVar('mmghost_fixed_size_trace', default=False)
_ANY_SIZE_PATHS = contextvars.ContextVar('mmghost_any_size_paths', default=False)


def for_any_size():
    """True while a trace records the model for inputs of any size, or within
    :func:`any_size_paths` (in this thread)."""
    if torch.jit.is_tracing():
        return not _FIXED_SIZE_TRACE.get()
    return _ANY_SIZE_PATHS.get()


@contextlib.contextmanager
def _setting(variable):
    token = variable.set(True)
    try:
        yield
    finally:
        variable.reset(token)


def fixed_size_trace():
    """Context: a trace within it is for the traced input size only (a static export)."""
    return _setting(_FIXED_SIZE_TRACE)


def any_size_paths():
    """Context: eager PyTorch computes what a trace for any input size records."""
    return _setting(_ANY_SIZE_PATHS)


def ceil_div(size, divisor):
    """``ceil(size / divisor)`` for a non-negative size, a Python int or a traced 0-d tensor.

    Written as ``(size + divisor - 1) // divisor``: ``-(-size // divisor)`` relies on floor
    division of a negative number, which an ONNX graph performs as truncation.
    """
    return (size + divisor - 1) // divisor


def clamp_min(value, minimum):
    """``max(value, minimum)`` for a Python int or a traced 0-d size tensor."""
    if isinstance(value, torch.Tensor):
        return value.clamp(min=minimum)
    return max(value, minimum)
