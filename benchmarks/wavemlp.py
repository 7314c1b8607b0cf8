"""Benchmark: Wave-MLP forward on CPU, peak memory and time.

    python benchmarks/wavemlp.py                          # S: 8x3x224x224 and 1x3x512x512
    python benchmarks/wavemlp.py --arch t --repeats 5 --threads 2
    python benchmarks/wavemlp.py --shape 512 --shape 800 1216 --batch-size 1 2

``--shape H [W]`` (repeatable) sets the input sizes, ``--batch-size`` one batch for all of them
or one per ``--shape`` (default: 8 at 224x224 and 1 at 512x512; 1 for sizes given). Each input
runs in a fresh child process (``mmghost.utils.profiling.run_in_child``): the backbone
(``out_indices=(0, 1, 2, 3)``, the detection form with ``out_norms=True``, eval mode,
``torch.no_grad()``, float32) and the seeded input are built, then the first forward's peak
extra resident memory is measured (``mmghost.utils.profiling.profile_forward``: VmHWM reset to VmRSS
just before it); that forward is also the warm-up. The time is the median of ``--repeats``
further forwards (``time.perf_counter``), and images/s follows from it. Linux only (``/proc``).
"""
import argparse

import torch

from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, environment_line,
                               format_shape, profile_forward, run_in_child)

DEFAULT_INPUTS = ((8, (224, 224)), (1, (512, 512)))  # (batch, (H, W))


def measure(arch, batch, shape, repeats):
    """WaveMLP ``arch`` on one seeded batch (run in a child process): peak extra RSS of the first
    forward, then ``repeats`` timed forwards."""
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(dict(type='mmghost.WaveMLP', arch=arch, out_norms=True)).eval()
    inputs = torch.randn(batch, 3, *shape, generator=torch.Generator().manual_seed(1))
    return profile_forward(model, inputs, repeats)


def main(args):
    rows = []
    for batch, shape in args.inputs:
        result = run_in_child(measure, threads=args.threads, arch=args.arch, batch=batch,
                              shape=shape, repeats=args.repeats)
        rows.append((format_shape((batch, 3, *shape)), result, batch))
    torch.set_num_threads(args.threads)
    print(f'Wave-MLP-{args.arch.upper()} forward (eval, no_grad, float32), median of '
          f'{args.repeats}; {environment_line()}')
    print(f"{'input':>16} {'peak extra RSS (MiB)':>21} {'time (s)':>9} {'images/s':>9}  outputs")
    for name, r, batch in rows:
        shapes = ' '.join(format_shape(s[1:]) for s in r['shapes'])
        print(f"{name:>16} {r['forward_peak_mib']:21.0f} {r['median_s']:9.3f} "
              f"{batch / r['median_s']:9.2f}  {shapes}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='s', help='WaveMLP arch (t_dw, t, s, m, b)')
    add_shape_argument(parser, multiple=True, help='input size; default 224x224 and 512x512')
    parser.add_argument('--batch-size', type=int, nargs='+', metavar='B',
                        help='images per forward: one for every --shape or one per --shape '
                             '(default 8 and 1 for the default sizes, else 1)')
    add_timing_arguments(parser, repeats=3)
    args = parser.parse_args()
    if args.shapes is None and args.batch_size is None:
        args.inputs = DEFAULT_INPUTS
    else:
        shapes = args.shapes or [shape for _, shape in DEFAULT_INPUTS]
        batches = args.batch_size or [1]
        if len(batches) == 1:
            batches = batches * len(shapes)
        if len(batches) != len(shapes) or min(batches) < 1:
            parser.error(f'--batch-size: give one positive number, or one per --shape '
                         f'({len(shapes)}), got {batches}')
        args.inputs = list(zip(batches, shapes))
    return args


if __name__ == '__main__':
    main(parse_args())
