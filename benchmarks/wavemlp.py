"""Benchmark: Wave-MLP forward on CPU, peak memory and time.

    python benchmarks/wavemlp.py                          # S: 8x3x224x224 and 1x3x512x512
    python benchmarks/wavemlp.py --arch t --repeats 5 --threads 2
    python benchmarks/wavemlp.py --input 1 512 512 --input 2 800 1216

Each input runs in a fresh child process: the backbone (``out_indices=(0, 1, 2, 3)``, the
detection form with ``out_norms=True``, eval mode, ``torch.no_grad()``, float32) and the seeded
input are built, then the first forward's peak extra resident memory is measured as in
``mmghost/profiling.py`` (VmHWM reset to VmRSS just before it); that forward is also the warm-up.
The time is the median of ``--repeats`` further forwards (``time.perf_counter``), and
images/s follows from it. Linux only (``/proc``).
"""
import argparse
import json
import platform
import statistics
import subprocess
import sys
import time

import torch

from mmghost.profiling import measure_peak_rss

RESULT_MARKER = 'RESULT '


def child(args):
    from mmghost.registry import MODELS
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS.build(dict(type='mmghost.WaveMLP', arch=args.arch, out_norms=True)).eval()
    batch, height, width = args.child
    inputs = torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        outs, before, peak = measure_peak_rss(lambda: model(inputs))
        shapes = [list(o.shape) for o in outs]
        del outs
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model(inputs)
            times.append(time.perf_counter() - start)
    print(RESULT_MARKER + json.dumps(dict(peak_mib=peak - before, median_s=statistics.median(times),
                                          shapes=shapes)), flush=True)


def main(args):
    rows = []
    for batch, height, width in args.input:
        cmd = [sys.executable, __file__, '--arch', args.arch, '--repeats', str(args.repeats),
               '--threads', str(args.threads), '--child', str(batch), str(height), str(width)]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
        result = json.loads([line for line in out.splitlines()
                             if line.startswith(RESULT_MARKER)][-1][len(RESULT_MARKER):])
        rows.append((f'{batch}x3x{height}x{width}', result, batch))
    cpu = platform.processor() or platform.machine()
    print(f'Wave-MLP-{args.arch.upper()} forward (eval, no_grad, float32), torch '
          f'{torch.__version__}, {args.threads} threads, {cpu}, median of {args.repeats}')
    print(f"{'input':>16} {'peak extra RSS (MiB)':>21} {'time (s)':>9} {'images/s':>9}  outputs")
    for name, r, batch in rows:
        shapes = ' '.join('x'.join(map(str, s[1:])) for s in r['shapes'])
        print(f"{name:>16} {r['peak_mib']:21.0f} {r['median_s']:9.3f} "
              f"{batch / r['median_s']:9.2f}  {shapes}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='s', help='WaveMLP arch (t_dw, t, s, m, b)')
    parser.add_argument('--input', type=int, nargs=3, action='append', metavar=('B', 'H', 'W'),
                        help='input batch, height, width (repeatable); default 8 224 224 and '
                             '1 512 512')
    parser.add_argument('--repeats', type=int, default=3, help='timed forwards after the warm-up')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--child', type=int, nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.input = args.input or [[8, 224, 224], [1, 512, 512]]
    return args


if __name__ == '__main__':
    arguments = parse_args()
    child(arguments) if arguments.child else main(arguments)
