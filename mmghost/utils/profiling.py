"""Shared helpers of ``benchmarks/*.py``, ``tools/analysis_tools/benchmark.py`` and the model zoo.

* The machine: :func:`cpu_name`, :func:`environment_line`.
* Input sizes, spelled one way everywhere: ``--shape H [W]`` on the command line (height then
  width; one number is a square, as in the ``get_flops.py`` tools of mmseg, mmpretrain and
  mmdet 2.x), ``HxW`` in output (:func:`add_shape_argument`, :func:`parse_shape`,
  :func:`format_shape`).
* Common options: :func:`add_timing_arguments` (``--repeats``, ``--warmup``, ``--threads``).
* Weights: :func:`randomize_batchnorm_` (seeded BatchNorm statistics, so that eval-mode outputs
  and weight-mapping checks mean something).
* Timing: :func:`time_calls` (warm-up, then timed calls), :func:`compare_throughput` (several
  models timed in alternating rounds, images/s from the median).
* Memory: :func:`measure_peak_rss`, :func:`profile_forward` (peak memory of a first forward,
  then timed forwards).
* Isolation: :func:`run_in_child` (a function in a fresh interpreter with a set thread count).
* Output: :func:`print_table`.
* Configs: :func:`config_input_shape` (a config's test scale), :func:`synthetic_batch` (random
  images and data samples for ``test_step``), :func:`predict_benchmark` (latency and peak memory
  of the predict path), shared by benchmark.py and the model zoo
  (``tools/analysis_tools/zoo.py``).

Peak resident memory (:func:`measure_peak_rss`) is read from Linux's ``/proc``: before the call,
unused memory is returned to the OS (``gc.collect()`` + glibc ``malloc_trim``), the resident set
size is read (``VmRSS``) and the kernel's peak counter ``VmHWM`` is reset to it by writing ``5``
to ``/proc/self/clear_refs`` (Linux >= 4.0). After the call, ``VmHWM`` is the peak; peak minus
the RSS before is what the call needed at most (activations, temporary blocks, allocator
slack). Run each measurement in a fresh process (:func:`run_in_child`) so that earlier work
cannot hide in memory the allocator keeps.
"""
import argparse
import ctypes
import gc
import importlib
import importlib.util
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import torch
from torch.nn.modules.batchnorm import _BatchNorm


# ----------------------------------------------------------------------------- the machine
def cpu_name():
    """The CPU's model name, for the header of benchmark output.

    Returns:
        str: ``model name`` of ``/proc/cpuinfo`` (Linux), else ``platform.processor()``, else
        ``platform.machine()``; never empty (``'unknown CPU'`` as a last resort).
    """
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    name = line.split(':', 1)[1].strip()
                    if name:
                        return name
    except OSError:
        pass
    return platform.processor() or platform.machine() or 'unknown CPU'


def environment_line():
    """One line naming what the numbers were measured with.

    Returns:
        str: e.g. ``'torch 2.14.1, 2 threads, CPU Intel(R) Xeon(R) ..., python 3.11.9'`` (the
        thread count is this process's ``torch.get_num_threads()``).
    """
    threads = torch.get_num_threads()
    return (f'torch {torch.__version__}, {threads} thread{"" if threads == 1 else "s"}, '
            f'CPU {cpu_name()}, python {platform.python_version()}')


# ----------------------------------------------------------------------------- input sizes
def parse_shape(values):
    """``--shape`` values to ``(height, width)``.

    Args:
        values (int | Sequence[int]): ``H`` (a square) or ``(H, W)``, as mmseg's and
            mmpretrain's ``tools/analysis_tools/get_flops.py`` read ``--shape``.

    Returns:
        tuple[int, int]: ``(height, width)``.

    Raises:
        ValueError: not one or two numbers, or a side below 1.
    """
    values = [values] if isinstance(values, int) else [int(v) for v in values]
    if len(values) not in (1, 2):
        raise ValueError(f'expected H or H W, got {len(values)} numbers: {values}')
    if min(values) < 1:
        raise ValueError(f'sides must be positive, got {values}')
    return (values[0], values[-1])


def format_shape(shape):
    """Sizes joined by ``x``, in the given order.

    Args:
        shape (Sequence[int]): ``(H, W)`` or a whole tensor shape such as ``(N, C, H, W)``.

    Returns:
        str: e.g. ``'800x1344'`` (height x width) or ``'1x3x800x1344'``.
    """
    return 'x'.join(str(int(side)) for side in shape)


class _ShapeAction(argparse.Action):
    """Stores ``parse_shape(values)``; with ``append=True`` collects one per use of the option,
    the first use replacing the default."""

    def __init__(self, *args, append=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.append = append

    def __call__(self, parser, namespace, values, option_string=None):
        try:
            shape = parse_shape(values)
        except ValueError as error:
            parser.error(f'{option_string}: {error}')
        if self.append:
            current = getattr(namespace, self.dest, None)
            shapes = [] if current is None or current is self.default else list(current)
            setattr(namespace, self.dest, shapes + [shape])
        else:
            setattr(namespace, self.dest, shape)


class _ShapeFormatterMixin:
    """Shows ``--shape H [W]`` in usage and help (argparse would write ``H [W ...]``)."""

    def _format_args(self, action, default_metavar):
        if isinstance(action, _ShapeAction):
            return 'H [W]'
        return super()._format_args(action, default_metavar)


def add_shape_argument(parser, default=None, multiple=False, help=None):
    """Adds ``--shape H [W]``: input height and width, one number meaning a square.

    Args:
        parser (argparse.ArgumentParser): the parser to extend.
        default (tuple[int, int] | list[tuple[int, int]] | None): the value without the option.
        multiple (bool): the option may be given several times; ``args.shapes`` is then a list
            of ``(H, W)`` (the default as a whole replaced by the given ones). Otherwise
            ``args.shape`` is one ``(H, W)``.
        help (str | None): help text; the spelling rules are appended to it.
    """
    rules = 'height then width, or one number for a square'
    if multiple:
        rules += '; repeat the option for several sizes'
    if default is not None:
        shown = ' '.join(format_shape(s) for s in (default if multiple else [default]))
        rules += f'; default {shown}'
    parser.add_argument('--shape', type=int, nargs='+', metavar=('H', 'W'),
                        dest='shapes' if multiple else 'shape', default=default,
                        action=_ShapeAction, append=multiple,
                        help=f'{help} ({rules})' if help else rules)
    if not issubclass(parser.formatter_class, _ShapeFormatterMixin):
        parser.formatter_class = type('ShapeHelpFormatter',
                                      (_ShapeFormatterMixin, parser.formatter_class), {})


def _int_at_least(minimum):
    def convert(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f'must be >= {minimum}, got {value}')
        return value
    convert.__name__ = 'int'  # argparse names the type in its "invalid int value" message
    return convert


def add_timing_arguments(parser, repeats, warmup=None):
    """Adds ``--repeats N`` (>= 1), ``--threads N`` (>= 1, default torch's) and, when
    ``warmup`` is given, ``--warmup N`` (>= 0).

    Args:
        parser (argparse.ArgumentParser): the parser to extend.
        repeats (int): default number of timed runs.
        warmup (int | None): default number of untimed runs first; ``None``: no ``--warmup``.
    """
    parser.add_argument('--repeats', type=_int_at_least(1), default=repeats,
                        help=f'timed runs per measurement (default {repeats})')
    if warmup is not None:
        parser.add_argument('--warmup', type=_int_at_least(0), default=warmup,
                            help=f'untimed runs first (default {warmup})')
    parser.add_argument('--threads', type=_int_at_least(1), default=torch.get_num_threads(),
                        help='torch.set_num_threads (default: torch\'s, '
                             f'{torch.get_num_threads()} here)')


# ----------------------------------------------------------------------------- weights
def randomize_batchnorm_(model, seed=0):
    """Sets every BatchNorm's affine parameters and running statistics to seeded random values,
    in place.

    A freshly built model has identity BatchNorms (weight 1, bias 0, mean 0, variance 1); in
    eval mode they hide a weight mapping that swaps two layers of equal shape, and they make
    eval outputs unlike a trained model's. Per module, in ``model.modules()`` order, from one
    generator: weight ``1 + 0.2 * N(0, 1)``, bias ``0.1 * N(0, 1)``, running mean
    ``0.1 * N(0, 1)``, running variance ``0.5 + U(0, 1)`` (a module without affine parameters
    or running statistics skips those draws).

    Args:
        model (torch.nn.Module): the model to change.
        seed (int): seed of the ``torch.Generator``.

    Returns:
        int: how many BatchNorm modules were changed.
    """
    generator = torch.Generator().manual_seed(seed)
    count = 0
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, _BatchNorm):
                continue
            shape = (module.num_features, )
            for tensor, scale, offset, draw in (
                    (module.weight, 0.2, 1.0, torch.randn), (module.bias, 0.1, 0.0, torch.randn),
                    (module.running_mean, 0.1, 0.0, torch.randn),
                    (module.running_var, 1.0, 0.5, torch.rand)):
                if tensor is not None:
                    tensor.copy_(offset + scale * draw(shape, generator=generator))
            count += 1
    return count


# ----------------------------------------------------------------------------- autocast
@torch.no_grad()
def calibrate_batchnorm_(model, inputs, steps=2):
    """Sets every BatchNorm's running statistics to those of ``steps`` forwards of ``inputs``
    (a cumulative average), in place: trained-like statistics for a model with random weights,
    whose fresh statistics (mean 0, variance 1) do not normalise its activations."""
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    momenta = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    model.train()
    for _ in range(steps):
        model(inputs)
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum


def training_step_outputs(model, inputs, dtype=None, device_type='cpu'):
    """One forward and backward of ``model`` in its current mode (loss: the sum of the outputs'
    mean squares), under ``torch.autocast(device_type, dtype)`` when ``dtype`` is given.

    Returns:
        tuple: The outputs (float32, detached) and ``{name: gradient}`` (float32); the model's
        gradients are cleared afterwards.
    """
    model.zero_grad(set_to_none=True)
    with torch.autocast(device_type, dtype=dtype or torch.float32, enabled=dtype is not None):
        outputs = model(inputs)
        loss = sum(output.float().pow(2).mean() for output in outputs)
    loss.backward()
    gradients = {name: p.grad.float().clone() for name, p in model.named_parameters()
                 if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return [output.detach().float() for output in outputs], gradients


def relative_error(actual, expected):
    """``|actual - expected| / |expected|`` (Frobenius norms) of two tensors, or of two lists /
    dicts of them concatenated."""
    if isinstance(expected, dict):
        actual, expected = [actual[k] for k in expected], list(expected.values())
    if isinstance(expected, (list, tuple)):
        actual = torch.cat([a.flatten() for a in actual])
        expected = torch.cat([e.flatten() for e in expected])
    return float((actual - expected).norm() / expected.norm().clamp_min(1e-30))


def autocast_errors(model, inputs, dtype, device_type='cpu', calibration=None):
    """A fine-tuning step under autocast ``dtype`` against the same step in float32: the
    BatchNorm statistics calibrated on ``calibration`` (default ``inputs``;
    :func:`calibrate_batchnorm_`), then frozen (eval mode, as the detection configs'
    ``norm_eval=True``; no stochastic depth), and the forward and backward of each from the
    same weights and input.

    Returns:
        dict: ``finite`` (outputs and gradients), ``outputs`` (relative error of each stage),
        ``gradients`` (relative error of all gradients together).
    """
    calibrate_batchnorm_(model, inputs if calibration is None else calibration)
    model.eval()
    reference = training_step_outputs(model, inputs, None, device_type)
    outputs, gradients = training_step_outputs(model, inputs, dtype, device_type)
    finite = all(bool(torch.isfinite(t).all()) for t in (*outputs, *gradients.values()))
    return dict(finite=finite and gradients.keys() == reference[1].keys(),
                outputs=[relative_error(a, e) for a, e in zip(outputs, reference[0])],
                gradients=relative_error(gradients, reference[1]))


# ----------------------------------------------------------------------------- timing
def time_calls(fn, repeats, warmup=0):
    """Calls ``fn()`` ``warmup`` times untimed, then ``repeats`` times timed.

    Args:
        fn (Callable[[], Any]): what to time (synchronise a GPU inside it).
        repeats (int): timed calls.
        warmup (int): untimed calls first.

    Returns:
        list[float]: the wall time of each timed call in seconds (``time.perf_counter``).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def compare_throughput(runs, batch_size, repeats, warmup=1):
    """Images/s of several models on the same batch, timed alternately.

    Under ``torch.no_grad()``: ``warmup`` untimed calls of each, then ``repeats`` rounds that
    call each once, the order reversed every other round, so that background load falls on all
    alike.

    Args:
        runs (dict[str, Callable[[], Any]]): name -> one forward of the batch.
        batch_size (int): images per call.
        repeats (int): timed rounds.
        warmup (int): untimed calls of each model first.

    Returns:
        dict[str, float]: name -> ``batch_size / median(call times)``.
    """
    times = {name: [] for name in runs}
    with torch.no_grad():
        for run in runs.values():
            time_calls(run, 0, warmup)
        for round_ in range(repeats):
            order = list(runs) if round_ % 2 == 0 else list(runs)[::-1]
            for name in order:
                times[name] += time_calls(runs[name], 1)
    return {name: batch_size / statistics.median(values) for name, values in times.items()}


# ----------------------------------------------------------------------------- memory
def _status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def measure_peak_rss(fn):
    """Runs ``fn()`` and measures the peak resident memory during it (see the module docstring).

    Args:
        fn (Callable[[], Any]): what to measure.

    Returns:
        tuple: ``(fn's result, RSS before the call in MiB, peak RSS during it in MiB)``.
    """
    gc.collect()
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass
    before = _status_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    result = fn()
    return result, before / 1024, _status_kib('VmHWM') / 1024


def profile_forward(model, inputs, repeats):
    """Peak memory of a first forward, then the time of further ones, under ``torch.no_grad()``.

    The first forward (measured with :func:`measure_peak_rss`) is also the warm-up.

    Args:
        model (Callable[[torch.Tensor], Any]): returns a tensor or a sequence of tensors.
        inputs (torch.Tensor): the batch.
        repeats (int): timed forwards after the first.

    Returns:
        dict: ``rss_before_mib``, ``peak_rss_mib``, ``forward_peak_mib`` (peak minus before),
        ``first_s`` (the first forward's time), ``times_s``, ``median_s`` and ``shapes`` (the
        outputs' shapes as lists); JSON-serialisable.
    """
    with torch.no_grad():
        start = time.perf_counter()
        outs, before, peak = measure_peak_rss(lambda: model(inputs))
        first_s = time.perf_counter() - start
        outs = [outs] if isinstance(outs, torch.Tensor) else outs
        shapes = [list(out.shape) for out in outs]
        del outs
        times = time_calls(lambda: model(inputs), repeats)
    return dict(rss_before_mib=before, peak_rss_mib=peak, forward_peak_mib=peak - before,
                first_s=first_s, times_s=times, median_s=statistics.median(times),
                shapes=shapes)


# ----------------------------------------------------------------------------- isolation
# The child loads this file alone (stdlib + torch), not the mmghost package: a fast start; what
# the called function needs it imports itself.
_CHILD_BOOTSTRAP = (
    'import importlib.util, sys; '
    'spec = importlib.util.spec_from_file_location("_mmghost_profiling_child", sys.argv[1]); '
    'module = importlib.util.module_from_spec(spec); sys.modules[spec.name] = module; '
    'spec.loader.exec_module(module); module._child_main(sys.argv[2:])')


def run_in_child(fn, threads=None, **kwargs):
    """Runs ``fn(**kwargs)`` in a fresh Python interpreter and returns its result.

    A fresh process per measurement keeps one model's allocations (and memory the allocator
    keeps) from hiding in or inflating another's. The child imports ``fn``'s module by name, or
    by file when that is a script (then its ``if __name__ == '__main__'`` block does not run and
    the script's folder is put first on ``sys.path``, as when it runs), sets torch's thread
    count, calls ``fn`` and hands the result back as JSON. Its stdout is shown only when it
    fails; its stderr passes through.

    Args:
        fn (Callable): a module-level function of a module or script file.
        threads (int | None): ``torch.set_num_threads`` in the child; ``None``: torch's default.
        **kwargs: ``fn``'s arguments, JSON-serialisable.

    Returns:
        The JSON round trip of ``fn``'s result (tuples come back as lists).

    Raises:
        RuntimeError: the child failed.
    """
    with tempfile.TemporaryDirectory(prefix='mmghost_child_') as tmpdir:
        request = dict(module=fn.__module__, file=osp.abspath(fn.__code__.co_filename),
                       function=fn.__name__, kwargs=kwargs, threads=threads,
                       result=osp.join(tmpdir, 'result.json'))
        package_root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [package_root, os.environ.get('PYTHONPATH')])))
        proc = subprocess.run([sys.executable, '-c', _CHILD_BOOTSTRAP, osp.abspath(__file__),
                               json.dumps(request)], stdout=subprocess.PIPE, text=True, env=env)
        if proc.returncode != 0 or not osp.exists(request['result']):
            sys.stdout.write(proc.stdout)
            raise RuntimeError(f'{fn.__name__}({kwargs}) failed in a child process with exit '
                               f'code {proc.returncode}')
        with open(request['result']) as f:
            return json.load(f)


def _load_function(module_name, file, function):
    """``function`` of the module ``module_name`` if that imports from ``file``, else of
    ``file`` loaded as a script."""
    if module_name != '__main__':
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin and osp.abspath(spec.origin) == file:
            return getattr(importlib.import_module(module_name), function)
    sys.path.insert(0, osp.dirname(file))
    spec = importlib.util.spec_from_file_location(
        f'_mmghost_child_{osp.splitext(osp.basename(file))[0]}', file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return getattr(module, function)


def _child_main(argv):
    request = json.loads(argv[0])
    if request['threads']:
        torch.set_num_threads(request['threads'])
    fn = _load_function(request['module'], request['file'], request['function'])
    result = fn(**request['kwargs'])
    with open(request['result'], 'w') as f:
        json.dump(result, f)


# ----------------------------------------------------------------------------- output
def print_table(header, rows):
    """Prints rows as left-aligned columns between rules of ``-``.

    Args:
        header (Sequence[str]): the column titles.
        rows (Sequence[Sequence]): the cells, any type (printed with ``str``).
    """
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = '  '.join('-' * width for width in widths)
    print(line)
    print('  '.join(str(cell).ljust(width) for cell, width in zip(header, widths)))
    print(line)
    for row in rows:
        print('  '.join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    print(line)


# ---------------------------------------------------------------------- configs
def _transforms(pipeline):
    """The transforms of a test pipeline, test-time-augmentation lists flattened."""
    for transform in pipeline:
        yield transform
        for branch in transform.get('transforms', []):
            yield from _transforms(branch if isinstance(branch, list) else [branch])


def config_input_shape(cfg, task):
    """``(height, width)`` of a config's test input: mmdet's test pipeline ``Resize`` scale
    (1333x800 -> ``(800, 1333)``), mmseg's data preprocessor ``size`` (the crop), mmpretrain's
    ``CenterCrop``.

    Raises:
        ValueError: the config states none; pass ``--shape``.
    """
    if task == 'mmseg':
        size = cfg.model.data_preprocessor.get('size') or cfg.get('crop_size')
        if size:
            return tuple(size)
    else:
        dataset = cfg.test_dataloader.dataset
        while 'pipeline' not in dataset and 'dataset' in dataset:
            dataset = dataset.dataset
        for transform in _transforms(dataset.get('pipeline', [])):
            if transform.get('type') == 'CenterCrop':
                crop = transform['crop_size']
                return (crop, crop) if isinstance(crop, int) else (crop[1], crop[0])
            if transform.get('type') == 'Resize' and transform.get('scale'):
                width, height = transform['scale']
                return height, width
    raise ValueError(f'{cfg.filename} states no test scale (mmdet: a Resize scale, mmseg: the '
                     f'data preprocessor size, mmpretrain: a CenterCrop); pass --shape H W')


def synthetic_batch(task, shape, batch_size):
    """``batch_size`` random uint8 images of ``shape`` and the data samples ``predict`` needs."""
    height, width = shape
    meta = dict(img_shape=shape, ori_shape=shape, pad_shape=shape, scale_factor=(1., 1.))
    if task == 'mmdet':
        from mmdet.structures import DetDataSample as Sample
    elif task == 'mmseg':
        from mmseg.structures import SegDataSample as Sample
    else:
        from mmpretrain.structures import DataSample as Sample
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator)
              for _ in range(batch_size)]
    return dict(inputs=inputs, data_samples=[Sample(metainfo=meta) for _ in range(batch_size)])


def predict_benchmark(model, data, device, warmup, repeats):
    """Times ``repeats`` predict runs after ``warmup``; returns the times (s) and peak memory
    (MiB) of the timed runs."""
    def predict():
        with torch.no_grad():
            model.test_step(data)
        if device == 'cuda':
            torch.cuda.synchronize()

    time_calls(predict, 0, warmup)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        return time_calls(predict, repeats), torch.cuda.max_memory_allocated() / 2**20
    times, before, peak = measure_peak_rss(lambda: time_calls(predict, repeats))
    return times, peak - before
