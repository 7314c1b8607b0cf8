"""Inference latency, FPS and peak memory of any config, on CPU or GPU, with synthetic input.

    python tools/analysis_tools/benchmark.py CONFIG [--shape H W] [--batch-size N]
        [--device cpu|cuda] [--warmup 3] [--repeats 10] [--threads N] [--cfg-options ...]

mmdet's ``tools/analysis_tools/benchmark.py`` needs CUDA and the dataset; this one builds the
config's model (random weights: ``init_cfg`` is not loaded, so no download) and times the whole
``predict`` path (data preprocessor, backbone, neck, head and its post-processing such as NMS)
on random images at the config's test scale:

* mmdet: the test pipeline's ``Resize`` scale, e.g. 1333x800 (an 800x1333 image);
* mmseg: the data preprocessor's ``size`` (the crop size, e.g. 512x512);
* mmpretrain: the test pipeline's ``CenterCrop`` size.

``--shape H W`` sets another size. Latency is the median over ``--repeats`` timed runs after
``--warmup`` untimed ones (min and max printed too). Peak memory: on CPU the resident-set peak
of the timed runs above the resident size before them (``/proc``, :mod:`mmghost.profiling`); on
GPU ``torch.cuda.max_memory_allocated``.
"""
import argparse
import importlib
import os.path as osp
import platform
import statistics
import sys
import time

import torch

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.profiling import measure_peak_rss
from mmghost.runtime import setup_task


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="input height and width (default: the config's test scale)")
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--warmup', type=int, default=3, help='untimed runs first')
    parser.add_argument('--repeats', type=int, default=10, help='timed runs')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as tools/train.py')
    args = parser.parse_args(argv)
    if args.batch_size < 1 or args.repeats < 1 or args.warmup < 0:
        parser.error('--batch-size and --repeats must be >= 1, --warmup >= 0')
    if args.shape is not None and min(args.shape) < 1:
        parser.error(f'--shape needs positive sides, got {args.shape}')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda, but torch sees no CUDA device')
    return args


def _transforms(pipeline):
    """The transforms of a test pipeline, test-time-augmentation lists flattened."""
    for transform in pipeline:
        yield transform
        for branch in transform.get('transforms', []):
            yield from _transforms(branch if isinstance(branch, list) else [branch])


def test_shape(cfg, task):
    """``(height, width)`` of the config's test input (see the module docstring).

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


def benchmark(model, data, device, warmup, repeats):
    """Times ``repeats`` predict runs after ``warmup``; returns the times (s) and peak memory
    (MiB) of the timed runs."""
    def predict():
        with torch.no_grad():
            model.test_step(data)
        if device == 'cuda':
            torch.cuda.synchronize()

    for _ in range(warmup):
        predict()

    def timed():
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            predict()
            times.append(time.perf_counter() - start)
        return times

    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        return timed(), torch.cuda.max_memory_allocated() / 2**20
    times, before, peak = measure_peak_rss(timed)
    return times, peak - before


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task = setup_task(cfg)
    model = importlib.import_module(f'{task}.registry').MODELS.build(cfg.model)
    model = model.to(args.device).eval()
    shape = tuple(args.shape) if args.shape else test_shape(cfg, task)
    data = synthetic_batch(task, shape, args.batch_size)
    times, memory = benchmark(model, data, args.device, args.warmup, args.repeats)
    median = statistics.median(times)
    where = (torch.cuda.get_device_name() if args.device == 'cuda'
             else f'{platform.processor() or platform.machine()}, {torch.get_num_threads()} '
                  f'threads')
    backbone = cfg.model.get('backbone', {})
    print(f'config:  {args.config} ({type(model).__name__}, backbone {backbone.get("type")} '
          f'{backbone.get("arch", "")}, random weights)')
    print(f'input:   {args.batch_size}x3x{shape[0]}x{shape[1]} '
          f'({"--shape" if args.shape else "the config test scale"})')
    print(f'device:  {args.device} ({where})')
    print(f'latency: median {median * 1000:.1f} ms, min {min(times) * 1000:.1f}, max '
          f'{max(times) * 1000:.1f} over {args.repeats} runs after {args.warmup} warm-up; '
          f'{args.batch_size / median:.2f} img/s')
    print(f'memory:  {"peak allocated" if args.device == "cuda" else "peak RSS increase"} '
          f'{memory:.0f} MiB')
    return dict(times=times, memory=memory, shape=shape)


if __name__ == '__main__':
    main()
