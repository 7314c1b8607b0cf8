"""Benchmark: training memory of a backbone with and without ``with_cp`` at detection size.

    python benchmarks/with_cp_memory.py [--arch s] [--family PyramidViG] [--size 800 1216]

One training step (forward + backward of the sum of the outputs' means, batch 1, train mode)
runs in a fresh child process per setting; the peak extra resident memory of the step is
measured as in ``mmghost/profiling.py`` (VmHWM reset to VmRSS before the step), with its wall time.
Both settings use the same weights and input; the gradients must agree.
"""
import argparse
import json
import subprocess
import sys
import time

import torch

from mmghost.profiling import measure_peak_rss

RESULT_MARKER = 'RESULT '


def child(args):
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(dict(type=f'mmghost.{args.family}', arch=args.arch,
                              with_cp=args.with_cp == 'on'))
    model.train()
    inputs = torch.randn(1, 3, *args.size, generator=torch.Generator().manual_seed(1))

    def step():
        start = time.perf_counter()
        sum(out.mean() for out in model(inputs)).backward()
        return time.perf_counter() - start

    seconds, before, peak = measure_peak_rss(step)
    grad_norm = sum(p.grad.double().norm() ** 2 for p in model.parameters()) ** 0.5
    print(RESULT_MARKER + json.dumps(dict(step_peak_mib=peak - before, seconds=seconds,
                                          grad_norm=float(grad_norm))), flush=True)


def main(args):
    results = {}
    for setting in ('off', 'on'):
        cmd = [sys.executable, __file__, '--child', setting, '--arch', args.arch, '--family',
               args.family, '--size', *map(str, args.size)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
        results[setting] = json.loads(
            [line for line in out.splitlines() if line.startswith(RESULT_MARKER)][-1]
            [len(RESULT_MARKER):])
    off, on = results['off'], results['on']
    print(f'{args.family}-{args.arch}, one training step at 1x3x{args.size[0]}x{args.size[1]}, '
          f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    print(f"{'with_cp':8} {'peak extra RSS (MiB)':>22} {'time (s)':>10} {'grad norm':>14}")
    for name, r in (('False', off), ('True', on)):
        print(f"{name:8} {r['step_peak_mib']:22.0f} {r['seconds']:10.1f} {r['grad_norm']:14.6g}")
    print(f"memory ratio with_cp / without: {on['step_peak_mib'] / off['step_peak_mib']:.2f}x, "
          f"time ratio: {on['seconds'] / off['seconds']:.2f}x")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', default='PyramidViG', choices=('PyramidViG', 'ViG'))
    parser.add_argument('--arch', default='s')
    parser.add_argument('--size', type=int, nargs=2, default=[800, 1216])
    parser.add_argument('--child', choices=('off', 'on'), dest='with_cp',
                        help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == '__main__':
    arguments = parse_args()
    child(arguments) if arguments.with_cp else main(arguments)
