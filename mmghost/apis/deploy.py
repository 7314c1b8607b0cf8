"""ONNX export of whole models in their package's tensor mode (tools/deployment/pytorch2onnx.py).

What is exported (:class:`TensorModeModel`): ``model(x, mode='tensor')`` of the host package, on
an image batch that has been through the config's data preprocessor (normalised, RGB where the
config converts, padded to its size divisor):

* single-stage detectors (RetinaNet, YOLOX): the raw head outputs per level, before decoding and
  NMS (:data:`HEAD_OUTPUTS` names them);
* two-stage detectors (Mask R-CNN): the backbone and neck only (``extract_feat``); the RoI heads
  need RoIAlign, an mmcv op with no ONNX form here;
* segmentors (UperNet): the decode head's logits at its own resolution (1/4 of the input), before
  the resize to the image;
* classifiers: the logits.

The exporter is TorchScript-based (``torch.onnx.export(dynamo=False)``, :data:`OPSET`): mmghost's
layers keep every size-dependent quantity a function of the traced input shape
(:mod:`mmghost.models.layers.tracing`), so one dynamic export serves every batch, height and width.
Adaptive average pooling, which ONNX cannot express for an input size it does not know (UperNet's
pyramid pooling), is exported as two exact pooling matrices built from the input size
(:class:`AdaptiveAvgPool2dAsMatmul`).

:func:`verify` runs an exported file in onnxruntime against PyTorch. Vision GNN models choose
neighbours by a float32 distance ranking with near-ties, so a float32 comparison of them can
differ by whole neighbours; their exactness is checked in float64 with onnx's reference
evaluator instead (:func:`verify_float64`).
"""
import contextlib
import copy
import io
import json
import math
import platform
import time
import warnings

import numpy
import torch
from torch import nn

from ..models.layers.graph import MaxRelativeGraphConv
from ..models.layers.tracing import any_size_paths, fixed_size_trace

__all__ = ['HEAD_OUTPUTS', 'INPUT_NAME', 'OPSET', 'AdaptiveAvgPool2dAsMatmul', 'TensorModeModel',
           'describe', 'example_input', 'export_onnx', 'has_neighbour_search', 'relative_error',
           'replace_adaptive_pooling', 'verify', 'verify_float64', 'write_description']

#: ONNX opset of the exported graphs (onnxruntime >= 1.12 runs it).
OPSET = 17
INPUT_NAME = 'input'
#: Names of the raw outputs of the single-stage heads, one tensor per level each.
HEAD_OUTPUTS = {
    'RetinaHead': ('cls_score', 'bbox_pred'),
    'YOLOXHead': ('cls_score', 'bbox_pred', 'objectness'),
}


class AdaptiveAvgPool2dAsMatmul(nn.Module):
    """``nn.AdaptiveAvgPool2d`` as ``P_h @ x @ P_w^T``, with the pooling matrices built from the
    input size: the same windows (``floor(i * n / out)`` to ``ceil((i + 1) * n / out)``) and
    values, for any input size in a traced graph."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = nn.modules.utils._pair(output_size)

    @staticmethod
    def _matrix(size, out, like):
        cells = torch.arange(out, device=like.device)
        start = cells * size // out
        end = ((cells + 1) * size + out - 1) // out
        positions = torch.arange(size, device=like.device)
        inside = (positions[None] >= start[:, None]) & (positions[None] < end[:, None])
        return inside.to(like.dtype) / (end - start)[:, None].to(like.dtype)

    def forward(self, x):
        out_h, out_w = (x.shape[-2 + i] if s is None else s for i, s in enumerate(self.output_size))
        rows = self._matrix(x.shape[-2], out_h, x)
        cols = self._matrix(x.shape[-1], out_w, x)
        return rows @ x @ cols.T


def replace_adaptive_pooling(model):
    """Replaces every ``nn.AdaptiveAvgPool2d`` of ``model`` with an output larger than 1x1 (in
    place) by :class:`AdaptiveAvgPool2dAsMatmul`; returns how many."""
    replaced = 0
    for module in list(model.modules()):
        for name, child in module.named_children():
            # a global pool (output 1x1) exports as GlobalAveragePool, which takes any size
            if isinstance(child, nn.AdaptiveAvgPool2d) and \
                    nn.modules.utils._pair(child.output_size) != (1, 1):
                setattr(module, name, AdaptiveAvgPool2dAsMatmul(child.output_size))
                replaced += 1
    return replaced


def has_neighbour_search(model):
    """Whether ``model`` holds a Vision GNN graph conv (a KNN neighbour search)."""
    return any(isinstance(m, MaxRelativeGraphConv) for m in model.modules())


def _is_two_stage(model):
    return hasattr(model, 'rpn_head') and hasattr(model, 'roi_head')


class TensorModeModel(nn.Module):
    """The exported forward of a built mmdet / mmseg / mmpretrain model: one input, a flat
    tuple of output tensors (see the module doc for what each task returns).

    Args:
        model (nn.Module): The model; it is put in eval mode, as is the wrapper (the exporter
            restores the wrapper's mode to the whole tree afterwards).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.two_stage = _is_two_stage(model)
        self.eval()

    @property
    def part(self):
        """What the graph holds: ``'whole model'`` or ``'backbone + neck'``."""
        return 'backbone + neck' if self.two_stage else 'whole model'

    def _structured(self, inputs):
        if self.two_stage:
            return self.model.extract_feat(inputs)
        return self.model(inputs, mode='tensor')

    def forward(self, inputs):
        return tuple(_flatten(self._structured(inputs)))

    def named_outputs(self, inputs):
        """One run on ``inputs``: the names of the flat outputs, and the outputs."""
        with torch.no_grad():
            outputs = self._structured(inputs)
        if self.two_stage:
            base = 'feat'
        elif isinstance(outputs, torch.Tensor):
            base = 'seg_logits' if outputs.dim() == 4 else 'cls_score'
        else:
            head = getattr(self.model, 'bbox_head', None)
            base = HEAD_OUTPUTS.get(type(head).__name__, None)
            if base is None and isinstance(outputs[0], (list, tuple)):
                base = tuple(f'output{i}' for i in range(len(outputs)))
            base = base or 'output'
        return _names(outputs, base), _flatten(outputs)


def _flatten(outputs):
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    return [t for item in outputs for t in _flatten(item)]


def _names(outputs, base):
    if isinstance(outputs, torch.Tensor):
        return [base]
    if isinstance(base, tuple):  # one name per kind, then per level
        return [n for kind, item in zip(base, outputs) for n in _names(item, kind)]
    return [f'{base}_{i}' for i in range(len(outputs))]


def dynamic_axes(names, outputs):
    """``dynamic_axes`` for the input and ``outputs``: batch, and height / width of 4-D ones."""
    axes = {INPUT_NAME: {0: 'batch', 2: 'height', 3: 'width'}}
    for name, out in zip(names, outputs):
        axes[name] = {0: 'batch'}
        if out.dim() == 4:
            axes[name].update({2: f'{name}_height', 3: f'{name}_width'})
    return axes


def export_onnx(module, inputs, names, dynamic=True, opset=OPSET, outputs=None):
    """Exports ``module`` (a :class:`TensorModeModel` or a backbone) traced on ``inputs``.

    Args:
        module (nn.Module): In eval mode.
        inputs (Tensor): ``(N, C, H, W)`` example batch; with ``dynamic=False`` the graph takes
            this shape only.
        names (list[str]): Output names.
        dynamic (bool): Batch, height and width dynamic. Defaults to True.
        opset (int): ONNX opset. Defaults to :data:`OPSET`.
        outputs (list[Tensor], optional): ``module``'s flat outputs on ``inputs`` where the
            caller has them already (their ranks name the dynamic axes); else it runs once.

    Returns:
        bytes: The serialised ONNX model.
    """
    buffer = io.BytesIO()
    if outputs is None:
        with torch.no_grad():
            outputs = module(inputs)
    kwargs = dict(dynamo=False, opset_version=opset, input_names=[INPUT_NAME],
                  output_names=list(names), do_constant_folding=True)
    if dynamic:
        kwargs['dynamic_axes'] = dynamic_axes(names, _flatten(outputs))
    with torch.no_grad(), warnings.catch_warnings(), _size_mode(not dynamic):
        # the notice that the TorchScript exporter is the legacy one: chosen on purpose
        warnings.filterwarnings('ignore', category=DeprecationWarning,
                                message='.*(legacy TorchScript-based|feature will be removed)')
        torch.onnx.export(module, (inputs, ), buffer, **kwargs)
    return buffer.getvalue()


def _size_mode(fixed):
    """A trace for the traced size only (``fixed``) or for any size."""
    return fixed_size_trace() if fixed else contextlib.nullcontext()


def _reference_mode(dynamic):
    """PyTorch computing what a ``dynamic`` export computes."""
    return any_size_paths() if dynamic else contextlib.nullcontext()


def example_input(shape, in_channels=3, batch=1, dtype=torch.float32, seed=0):
    """A seeded ``(batch, in_channels, H, W)`` standard-normal batch (what a normalised image
    batch looks like)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, in_channels, *shape, generator=generator).to(dtype)


def relative_error(reference, value):
    """``max |value - reference| / max |reference|`` over the finite entries (0 for two all-zero
    tensors); infinite for tensors of different shapes or non-finite entries that differ."""
    if tuple(reference.shape) != tuple(value.shape):
        return float('inf')
    reference, value = reference.double(), value.double()
    finite = reference.isfinite()
    if not torch.equal(finite, value.isfinite()) or \
            not torch.equal(reference[~finite].nan_to_num(), value[~finite].nan_to_num()):
        return float('inf')
    reference, value = reference[finite], value[finite]
    if reference.numel() == 0:
        return 0.0
    scale = float(reference.abs().max())
    return float((value - reference).abs().max()) / (scale or 1.0)


def verify(model_bytes, module, shapes, in_channels=3, dynamic=True):
    """Runs the exported graph in onnxruntime (CPU) against ``module`` in PyTorch.

    Args:
        model_bytes (bytes): The exported graph.
        module (nn.Module): What was exported.
        shapes (list[tuple[int, int, int]]): ``(batch, height, width)`` to compare at.
        in_channels (int): Input channels. Defaults to 3.
        dynamic (bool): The graph was exported for any size: PyTorch then takes the any-size
            paths too (:func:`~mmghost.models.layers.tracing.any_size_paths`).

    Returns:
        list[dict]: Per shape: ``shape``, ``errors`` (per output name, :func:`relative_error`).
    """
    import onnxruntime
    session = onnxruntime.InferenceSession(model_bytes, providers=['CPUExecutionProvider'])
    names = [o.name for o in session.get_outputs()]
    return _compare(lambda x: session.run(None, {INPUT_NAME: x}), module, names, shapes,
                    in_channels, torch.float32, dynamic)


def verify_float64(module, names, shapes, in_channels=3, dynamic=True, opset=OPSET):
    """Exports a float64 copy of ``module`` and runs it in onnx's reference evaluator against
    PyTorch in float64 at ``shapes`` (as :func:`verify`): the exactness check of a graph whose
    float32 outputs depend on near-ties (Vision GNN's neighbour ranking)."""
    import onnx
    from onnx.reference import ReferenceEvaluator
    double = copy.deepcopy(module).double()
    batch, height, width = shapes[0]
    graph = export_onnx(double, example_input((height, width), in_channels, batch,
                                              torch.float64), names, dynamic, opset)
    evaluator = ReferenceEvaluator(onnx.load_from_string(graph), new_ops=[_float64_erf()])
    return _compare(lambda x: evaluator.run(None, {INPUT_NAME: x}), double, names, shapes,
                    in_channels, torch.float64, dynamic)


def _float64_erf():
    """onnx's reference ``Erf`` rounds to float32; this one keeps the input's precision."""
    from onnx.reference.op_run import OpRun
    try:
        from scipy.special import erf
    except ImportError:  # scipy is optional; math.erf is exact and slower
        erf = numpy.vectorize(math.erf, otypes=[numpy.float64])

    class Erf(OpRun):
        def _run(self, x):
            return (erf(x).astype(x.dtype), )

    return Erf


def _compare(run, module, names, shapes, in_channels, dtype, dynamic):
    """``run`` (numpy input -> outputs) against ``module`` on a seeded batch of each shape."""
    rows = []
    for batch, height, width in shapes:
        x = example_input((height, width), in_channels, batch, dtype, seed=height * 7919 + width)
        with torch.no_grad(), _reference_mode(dynamic):
            expected = _flatten(module(x))
        got = run(x.numpy())
        errors = {name: relative_error(e, torch.from_numpy(g))
                  for name, e, g in zip(names, expected, got)}
        rows.append(dict(shape=(batch, height, width), errors=errors))
    return rows


def describe(model_bytes, names, inputs, outputs, dynamic, opset, preprocessor=None, **extra):
    """The sidecar description of an export (``outputs``: the flat outputs on ``inputs``):
    opset, file size, input and outputs with their shapes at the export size and dynamic axes,
    the preprocessing the input must have had."""
    import onnx
    axes = dynamic_axes(names, outputs) if dynamic else {}

    def shape(name, tensor):
        return [axes.get(name, {}).get(i, size) for i, size in enumerate(tensor.shape)]

    return dict(
        exporter=f'torch.onnx.export(dynamo=False), torch {torch.__version__}', opset=opset,
        file_mib=round(len(model_bytes) / 2**20, 1),
        onnx=onnx.__version__, python=platform.python_version(), dynamic=dynamic,
        input=dict(name=INPUT_NAME, dtype='float32', shape=shape(INPUT_NAME, inputs),
                   export_shape=list(inputs.shape), preprocessing=preprocessor),
        outputs=[dict(name=n, dtype='float32', shape=shape(n, t), export_shape=list(t.shape))
                 for n, t in zip(names, outputs)],
        **extra)


def write_description(path, description):
    with open(path, 'w') as f:
        json.dump(description, f, indent=2, default=str)
        f.write('\n')


def timed(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
