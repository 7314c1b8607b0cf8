"""Benchmark: TNT-S (mmghost vs timm) at 224 and PyramidTNT-S at detection sizes.

Run it with::

    python benchmarks/tnt.py                            # everything
    python benchmarks/tnt.py --repeats 5 --threads 2
    python benchmarks/tnt.py --skip-large               # only the TNT-S comparison
    python benchmarks/tnt.py --sizes 320x512 800x1344   # other PyramidTNT sizes (H x W)

This is a benchmark that prints numbers, not a test.

1. TNT-S, same weights. timm's ``tnt_s_patch16_224`` is built with ``pretrained=False`` after
   ``torch.manual_seed(0)`` and put in eval mode; its state dict goes through
   ``timm_tnt_to_official`` and the official converters into mmghost's classifier
   (``official_classifier_cfg('tnt_s_patch16_224')``: ``mmghost.TNT`` + the upstream head),
   loaded with ``strict=True``. The max abs difference of the logits (float32, batch 8) is
   printed. Throughput: images/s at batch 8, 224 x 224, from the median of ``--repeats``
   forwards per model under ``torch.no_grad()`` after one warm-up each, the two models timed
   alternately in this process so that background load hits both alike (target: mmghost
   >= 1.0x timm).
2. PyramidTNT-S as the Mask R-CNN / UperNet configs build it (``upsample=True``, strides
   4/8/16/32), batch 1, at each of ``--sizes`` (default 320x512 ... 800x1344, about the
   aspect of COCO's 1333 x 800), each size in a fresh child process: the peak extra resident
   memory of the first forward (``mmghost/profiling.py``: ``VmHWM`` after resetting it,
   minus ``VmRSS`` before) and the median wall time of ``--repeats`` further forwards. The
   table gives each size's growth over the smallest next to the growth of the stride-8 token
   count ``N`` and of ``N^2``: stage 1's attention holds ``N x N/16`` weights per head.

The tables end with the torch version, thread count and CPU model. Linux only (``/proc``).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import torch

from mmghost.profiling import measure_peak_rss
# benchmarks/ is on sys.path when run as a script
from pvig_knn import cpu_model, throughput

RESULT_MARKER = '@@TNT_BENCH_RESULT@@'
TNT_NAME = 'tnt_s_patch16_224'


def build_tnt_pair():
    """timm's TNT-S and mmghost's TNT-S classifier on the same (timm, seeded) weights."""
    import timm
    from mmpretrain.registry import MODELS

    from mmghost.official import convert_official, official_classifier_cfg
    torch.manual_seed(0)
    peer = timm.create_model(TNT_NAME, pretrained=False).eval()
    ours = MODELS.build(official_classifier_cfg(TNT_NAME))
    ours.load_state_dict(convert_official(TNT_NAME, peer.state_dict(), classifier=True,
                                          timm=True), strict=True)
    return {'mmghost': lambda x: ours.eval()(x, mode='tensor'), 'timm': peer}


def run_child(args):
    """PyramidTNT-S (upsample) at one size: peak extra RSS of the first forward, then timing."""
    from mmghost.models import PyramidTNT
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = PyramidTNT(arch='s', upsample=True).eval()
    height, width = args.child
    inputs = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        outs, rss_before, peak = measure_peak_rss(lambda: model(inputs))
        shapes = [tuple(o.shape) for o in outs]
        del outs
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model(inputs)
            times.append(time.perf_counter() - start)
    print(RESULT_MARKER + json.dumps(dict(
        forward_peak_mib=peak - rss_before, median_s=statistics.median(times), shapes=shapes)),
        flush=True)


def spawn_child(size, args):
    cmd = [sys.executable, os.path.abspath(__file__), '--child', *map(str, size),
           '--repeats', str(args.repeats), '--threads', str(args.threads)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_MARKER)]
    if proc.returncode != 0 or not lines:
        sys.stdout.write(proc.stdout)
        raise RuntimeError(f'child at {size} failed with exit code {proc.returncode}')
    return json.loads(lines[-1][len(RESULT_MARKER):])


def print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = '  '.join('-' * w for w in widths)
    print(line)
    print('  '.join(h.ljust(w) for h, w in zip(header, widths)))
    print(line)
    for row in rows:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(line)


def main(args):
    wall_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    models = build_tnt_pair()
    batch = torch.randn(args.batch, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = models['timm'](batch)
        diff = (models['mmghost'](batch) - expected).abs().max().item()
    ips = throughput(models, batch, args.repeats)
    ratio = ips['mmghost'] / ips['timm']
    print(f'\nTNT-S, {args.batch}x3x224x224, same weights (timm -> official -> mmghost):')
    print_table(('measure', 'mmghost', 'timm', 'mmghost/timm'), [
        ('logits max|diff| (float32)', f'{diff:.2e}', '',
         f'max|logit| {expected.abs().max().item():.2f}'),
        (f'throughput (img/s, median of {args.repeats})', f'{ips["mmghost"]:.2f}',
         f'{ips["timm"]:.2f}', f'{ratio:.3f}x (target >= 1.0x: '
                               f'{"met" if ratio >= 1.0 else "MISSED"})'),
    ])
    del models

    if not args.skip_large:
        results = [(size, spawn_child(size, args)) for size in args.sizes]
        (h0, w0), first = results[0]
        tokens0 = -(-h0 // 8) * -(-w0 // 8)
        rows = []
        for (height, width), res in results:
            tokens = -(-height // 8) * -(-width // 8)
            rows.append((f'1x3x{height}x{width}', tokens, f'{res["forward_peak_mib"]:.0f}',
                         f'{res["median_s"]:.2f}',
                         f'{res["forward_peak_mib"] / first["forward_peak_mib"]:.2f}x',
                         f'{res["median_s"] / first["median_s"]:.2f}x',
                         f'{tokens / tokens0:.2f}x', f'{(tokens / tokens0) ** 2:.2f}x'))
        print('\nPyramidTNT-S (upsample=True, strides 4/8/16/32), forward, batch 1, '
              'fresh process per size; growth relative to the first size:')
        print_table(('input', 'N (stride 8)', 'peak MiB', f'time s (n={args.repeats})',
                     'peak growth', 'time growth', 'N growth', 'N^2 growth'), rows)
    print(f'\ntorch {torch.__version__}, threads {torch.get_num_threads()}, CPU {cpu_model()}, '
          f'python {platform.python_version()}; total {time.perf_counter() - wall_start:.0f} s')


def parse_size(text):
    height, width = text.lower().split('x')
    return int(height), int(width)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=parse_size, nargs='+',
                        default=[(320, 512), (480, 800), (640, 1088), (800, 1344)],
                        metavar='HxW', help='PyramidTNT input sizes (default 320x512 480x800 '
                                            '640x1088 800x1344)')
    parser.add_argument('--batch', type=int, default=8, help='TNT-S batch (default 8)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed runs per measurement, after one warm-up (default 5)')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads(),
                        help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--skip-large', action='store_true',
                        help='skip the PyramidTNT memory / time measurements')
    parser.add_argument('--child', type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    return args


if __name__ == '__main__':
    cli_args = parse_args()
    if cli_args.child:
        run_child(cli_args)
    else:
        main(cli_args)
