"""The GPU figures (CUDA only): training step of the headline config, Vision GNN's search,
latency of each family; written to a JSON file as each is measured.

    python tools/misc/gpu_figures.py --out figures.json [--deadline UNIX_TIME]
        [--sections train knn zoo] [--data-root data/demo]

``tools/misc/gpu_check.sh`` runs it after ``tests/test_gpu.py``. Each section runs in its own
child process (its own peak memory, and a failure or a deadline stops only it), most wanted
first, under what is left until ``--deadline``:

* ``train``: ``configs/retinanet_pvig_s_coco.py`` (``init_cfg=None``: the official file is not
  carried) on the demo images through the headline pipeline, resized to exactly 1333x800,
  batch 2, 10 iterations, in float32 and with ``AmpOptimWrapper`` (``tools/train.py --amp``):
  seconds per iteration (median of iterations 3-10), peak allocated memory, finite losses;
  then the same with ``with_cp=True`` if the float32 peak exceeds 24 GB;
* ``knn``: Pyramid ViG-S forward at 800x1344 with mmghost's chunked neighbour search against
  mmpretrain's dense one (``benchmarks/pvig_knn.py``'s weight mapping), median time and peak
  memory, and mmghost's forward per chunk size (2^20 ... 2^28 elements);
* ``zoo``: ``zoo.measure_speed`` (tools/analysis_tools/zoo.py) on CUDA for the first detection / segmentation config
  of each family folder (``model_zoo.py --speed cuda``'s figure).
"""
import argparse
import json
import math
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SECTIONS = ('train', 'knn', 'zoo')
GB = 1e9


def cuda_time(fn, repeats, warmup=1):
    """Median seconds of ``fn()`` over ``repeats`` calls after ``warmup``, synchronised."""
    import torch
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def headline_training(data_root, amp, with_cp=False, iterations=10):
    """One configuration of the ``train`` section."""
    import torch
    from mmengine.config import Config
    from mmengine.hooks import Hook

    from mmghost.utils.preflight import check_or_exit, set_data_root, set_split_paths
    from mmghost.utils.runtime import build_runner, setup_task
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'retinanet_pvig_s_coco.py'))
    cfg.model.backbone.update(init_cfg=None, with_cp=with_cp)
    set_data_root(cfg, osp.join(data_root, 'coco') + '/')
    set_split_paths(cfg, dict(train='annotations/instances_train.json',
                              val='annotations/instances_val.json'),
                    dict(train='train/', val='val/'))
    check_or_exit(cfg, 'train', 'retinanet_pvig_s_coco.py', classes_from_data=True)
    for transform in cfg.train_dataloader.dataset.pipeline:
        if transform['type'] == 'Resize':
            transform.update(scale=(1333, 800), keep_ratio=False)
    cfg.train_dataloader.update(batch_size=2, num_workers=2)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iterations, val_interval=10**9)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = None
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.update(work_dir=osp.join('/tmp', f'gpu_figures_{os.getpid()}'), launcher='none')
    setup_task(cfg)

    class Times(Hook):
        def __init__(self):
            self.times, self.losses, self.shapes = [], [], set()

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            torch.cuda.synchronize()
            self.start = time.perf_counter()
            self.shapes.add(tuple(data_batch['inputs'][0].shape[-2:]))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            torch.cuda.synchronize()
            self.times.append(time.perf_counter() - self.start)
            self.losses.append(float(outputs['loss']))

    runner = build_runner(cfg)
    times = Times()
    runner.register_hook(times, priority='LOWEST')
    torch.cuda.reset_peak_memory_stats()
    runner.train()
    return dict(config='configs/retinanet_pvig_s_coco.py', amp=amp, with_cp=with_cp,
                batch_size=2, image_shapes=sorted(times.shapes), iterations=iterations,
                s_per_iter=statistics.median(times.times[2:]),
                peak_allocated_GB=torch.cuda.max_memory_allocated() / GB,
                losses_finite=all(map(math.isfinite, times.losses)),
                first_last_loss=[times.losses[0], times.losses[-1]])


def knn_figures(shape=(800, 1344), repeats=5):
    """The ``knn`` section."""
    import importlib.util

    import torch
    spec = importlib.util.spec_from_file_location(
        'pvig_knn', osp.join(REPO, 'benchmarks', 'pvig_knn.py'))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    torch.manual_seed(0)
    ours = bench.build_mmghost()
    bench.randomize_(ours)
    dense = bench.build_dense()
    dense.load_state_dict(bench.to_mmpretrain_state_dict(ours.state_dict()), strict=True)
    bench.resize_dense_pos_embed_(dense, *shape)
    inputs = torch.randn(1, 3, *shape, device='cuda')
    found = dict(shape=list(shape))
    for name, model in (('mmghost_chunked', ours), ('mmpretrain_dense', dense)):
        model = model.cuda().eval()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        with torch.no_grad():
            seconds = cuda_time(lambda: model(inputs), repeats)
        found[name] = dict(s=seconds, peak_allocated_GB=torch.cuda.max_memory_allocated() / GB)
        model.cpu()
    from functools import partial

    from mmghost.models.layers import graph
    search, sweep = graph.dilated_knn, {}
    ours = ours.cuda().eval()
    with torch.no_grad():
        for exponent in range(20, 29, 2):
            graph.dilated_knn = partial(search, chunk_elements=1 << exponent)
            torch.cuda.reset_peak_memory_stats()
            sweep[f'2^{exponent}'] = dict(
                s=cuda_time(lambda: ours(inputs), repeats),
                peak_allocated_GB=torch.cuda.max_memory_allocated() / GB)
    graph.dilated_knn = search
    found['mmghost_chunk_sweep'] = sweep
    return found


def zoo_figures():
    """The ``zoo`` section."""
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
    import zoo
    found = {}
    for folder in zoo.families():
        configs = zoo.config_files('det_seg', folder)
        if configs:
            found[configs[0]] = zoo.measure_speed(configs[0], device='cuda', warmup=2, repeats=5)
    return found


def run_section(name, data_root):
    if name == 'train':
        results = [headline_training(data_root, amp) for amp in (False, True)]
        if results[0]['peak_allocated_GB'] > 24:
            results += [headline_training(data_root, amp, with_cp=True) for amp in (False, True)]
        return results
    return knn_figures() if name == 'knn' else zoo_figures()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='the JSON file of the figures')
    parser.add_argument('--deadline', type=float, help='unix time by which to stop')
    parser.add_argument('--sections', nargs='+', choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'demo'),
                        help='the demo data (written if missing)')
    parser.add_argument('--section', choices=SECTIONS, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args(argv)
    sys.path.insert(0, REPO)
    if args.section:
        with open(args.out, 'w') as f:
            json.dump(run_section(args.section, args.data_root), f, indent=1)
        return 0
    import torch
    if not torch.cuda.is_available():
        print('gpu_figures: no CUDA device; nothing measured')
        return 0
    from mmghost.demo import make_demo_dataset
    make_demo_dataset(args.data_root)
    figures = dict(device=torch.cuda.get_device_name(), torch=torch.__version__)
    for section in args.sections:
        left = (args.deadline - time.time()) if args.deadline else None
        if left is not None and left < 15:
            figures[section] = 'skipped: the deadline passed'
            continue
        part = osp.join(tempfile.gettempdir(), f'gpu_figures_{os.getpid()}_{section}.json')
        try:
            subprocess.run([sys.executable, __file__, '--out', part, '--section', section,
                            '--data-root', args.data_root], check=True, timeout=left)
            with open(part) as f:
                figures[section] = json.load(f)
        except (subprocess.SubprocessError, OSError) as error:
            figures[section] = f'failed: {error}'
        with open(args.out, 'w') as f:  # after each section: a run cut off keeps what it did
            json.dump(figures, f, indent=1)
        print(f'{section}: {json.dumps(figures[section])[:500]}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
