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

import torch

_state = {'fixed_size_trace': False, 'any_size_paths': False}


def for_any_size():
    """True while a trace records the model for inputs of any size, or within
    :func:`any_size_paths`."""
    if torch.jit.is_tracing():
        return not _state['fixed_size_trace']
    return _state['any_size_paths']


@contextlib.contextmanager
def _setting(name):
    previous, _state[name] = _state[name], True
    try:
        yield
    finally:
        _state[name] = previous


def fixed_size_trace():
    """Context: a trace within it is for the traced input size only (a static export)."""
    return _setting('fixed_size_trace')


def any_size_paths():
    """Context: eager PyTorch computes what a trace for any input size records."""
    return _setting('any_size_paths')


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
