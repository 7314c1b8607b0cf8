"""Inference latency, FPS and peak memory of any config, on CPU or GPU, with synthetic input.

    python tools/analysis_tools/benchmark.py CONFIG [--shape H [W]] [--batch-size N]
        [--device cpu|cuda] [--warmup 3] [--repeats 10] [--threads N] [--cfg-options ...]

mmdet's ``tools/analysis_tools/benchmark.py`` needs CUDA and the dataset; this one builds the
config's model (random weights: ``init_cfg`` is not loaded, so no download) and times the whole
``predict`` path (data preprocessor, backbone, neck, head and its post-processing such as NMS)
on random images at the config's test scale:

* mmdet: the test pipeline's ``Resize`` scale, e.g. ``scale=(1333, 800)`` (width, height): an
  800x1333 image (sizes are printed height x width);
* mmseg: the data preprocessor's ``size`` (the crop size, e.g. 512x512);
* mmpretrain: the test pipeline's ``CenterCrop`` size.

``--shape H W`` sets another size (``--shape S``: S x S, as in mmseg's and mmpretrain's
``get_flops.py``). Latency is the median over ``--repeats`` timed runs after ``--warmup``
untimed ones (min and max printed too). Peak memory: on CPU the resident-set peak of the timed
runs above the resident size before them (``/proc``); on GPU ``torch.cuda.max_memory_allocated``.
The size option, timing, peak memory and CPU name are :mod:`mmghost.utils.profiling`'s, shared with
the scripts of ``benchmarks/``.
"""
import argparse
import os.path as osp
import statistics
import sys

import torch

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, config_input_shape,
                               cpu_name, format_shape, predict_benchmark, synthetic_batch)
from mmghost.utils.runtime import build_task_model, setup_task


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    add_shape_argument(parser, help="input size; default: the config's test scale")
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    add_timing_arguments(parser, repeats=10, warmup=3)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as tools/train.py')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error('--batch-size must be >= 1')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda, but torch sees no CUDA device')
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task = setup_task(cfg)
    model = build_task_model(task, cfg.model)
    model = model.to(args.device).eval()
    shape = args.shape or config_input_shape(cfg, task)
    data = synthetic_batch(task, shape, args.batch_size)
    times, memory = predict_benchmark(model, data, args.device, args.warmup, args.repeats)
    median = statistics.median(times)
    where = (torch.cuda.get_device_name() if args.device == 'cuda'
             else f'{cpu_name()}, {torch.get_num_threads()} threads')
    backbone = cfg.model.get('backbone', {})
    print(f'config:  {args.config} ({type(model).__name__}, backbone {backbone.get("type")} '
          f'{backbone.get("arch", "")}, random weights)')
    print(f'input:   {format_shape((args.batch_size, 3, *shape))} '
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
