"""Benchmark: training memory of a backbone with and without ``with_cp`` at detection size.

    python benchmarks/with_cp_memory.py [--arch s] [--family PyramidViG] [--shape 800 1216]

One training step (forward + backward of the sum of the outputs' means, batch 1, train mode)
runs in a fresh child process per setting (``mmghost.utils.profiling.run_in_child``); the peak extra
resident memory of the step is measured with ``mmghost.utils.profiling.measure_peak_rss`` (VmHWM
reset to VmRSS before the step), with its wall time. Both settings use the same weights and input;
the gradients must agree.
"""
import argparse

import torch

from mmghost.utils.profiling import (add_shape_argument, environment_line, format_shape,
                               measure_peak_rss, run_in_child, time_calls)


def training_step(family, arch, with_cp, shape, repeats=0):
    """One training step of a seeded backbone (run in a child process): its peak extra RSS, time
    and gradient norm; with ``repeats``, also the times of that many further steps
    (``times_s``; the gradient norm is then the last step's)."""
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(dict(type=f'mmghost.{family}', arch=arch, with_cp=with_cp))
    model.train()
    inputs = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(1))

    def step():
        model.zero_grad(set_to_none=True)
        sum(out.mean() for out in model(inputs)).backward()

    (seconds, ), before, peak = measure_peak_rss(lambda: time_calls(step, 1))
    times = time_calls(step, repeats)
    grad_norm = sum(p.grad.double().norm() ** 2 for p in model.parameters()) ** 0.5
    return dict(step_peak_mib=peak - before, seconds=seconds, times_s=times,
                grad_norm=float(grad_norm))


def main(args):
    off, on = (run_in_child(training_step, family=args.family, arch=args.arch, with_cp=with_cp,
                            shape=args.shape) for with_cp in (False, True))
    print(f'{args.family}-{args.arch}, one training step at {format_shape((1, 3, *args.shape))}, '
          f'{environment_line()}')
    print(f"{'with_cp':8} {'peak extra RSS (MiB)':>22} {'time (s)':>10} {'grad norm':>14}")
    for name, r in (('False', off), ('True', on)):
        print(f"{name:8} {r['step_peak_mib']:22.0f} {r['seconds']:10.1f} {r['grad_norm']:14.6g}")
    print(f"memory ratio with_cp / without: {on['step_peak_mib'] / off['step_peak_mib']:.2f}x, "
          f"time ratio: {on['seconds'] / off['seconds']:.2f}x")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', default='PyramidViG', choices=('PyramidViG', 'ViG'))
    parser.add_argument('--arch', default='s')
    add_shape_argument(parser, default=(800, 1216), help='input size')
    return parser.parse_args()


if __name__ == '__main__':
    main(parse_args())
