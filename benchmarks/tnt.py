"""Benchmark: TNT-S (mmghost vs timm) at 224 and PyramidTNT-S at detection sizes.

Run it with::

    python benchmarks/tnt.py                            # everything
    python benchmarks/tnt.py --repeats 5 --threads 2
    python benchmarks/tnt.py --skip-large               # only the TNT-S comparison
    python benchmarks/tnt.py --shape 320 512 --shape 800 1344   # other PyramidTNT sizes (H W)

This is a benchmark that prints numbers, not a test.

1. TNT-S, same weights. timm's ``tnt_s_patch16_224`` is built with ``pretrained=False`` after
   ``torch.manual_seed(0)`` and put in eval mode; its state dict goes through
   ``timm_tnt_to_official`` and the official converters into mmghost's classifier
   (``official_classifier_cfg('tnt_s_patch16_224')``: ``mmghost.TNT`` + the upstream head),
   loaded with ``strict=True``. The max abs difference of the logits (float32, batch 8) is
   printed. Throughput: images/s at batch 8, 224x224, from the median of ``--repeats``
   forwards per model under ``torch.no_grad()`` after one warm-up each, the two models timed
   alternately in this process so that background load hits both alike
   (``mmghost.utils.profiling.compare_throughput``; target: mmghost >= 1.0x timm).
2. PyramidTNT-S as the Mask R-CNN / UperNet configs build it (``upsample=True``, strides
   4/8/16/32), batch 1, at each ``--shape H W`` (repeatable; default 320x512 ... 800x1344,
   about the aspect of COCO's 800x1333 images), each size in a fresh child process
   (``mmghost.utils.profiling.run_in_child``): the peak extra resident memory of the first forward
   (``mmghost.utils.profiling.profile_forward``: ``VmHWM`` after resetting it, minus ``VmRSS``
   before) and the median wall time of ``--repeats`` further forwards. The table gives each
   size's growth over the first next to the growth of the stride-8 token count ``N`` and of
   ``N^2``: stage 1's attention holds ``N x N/16`` weights per head.

The tables end with the torch version, thread count and CPU model. Linux only (``/proc``).
"""
import argparse
import time
from functools import partial

import torch

from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, compare_throughput,
                               environment_line, format_shape, print_table, profile_forward,
                               run_in_child)

TNT_NAME = 'tnt_s_patch16_224'


def build_tnt_pair():
    """timm's TNT-S and mmghost's TNT-S classifier on the same (timm, seeded) weights."""
    import timm
    from mmpretrain.registry import MODELS

    from mmghost.weights.official import convert_official, official_classifier_cfg
    torch.manual_seed(0)
    peer = timm.create_model(TNT_NAME, pretrained=False).eval()
    ours = MODELS.build(official_classifier_cfg(TNT_NAME))
    ours.load_state_dict(convert_official(TNT_NAME, peer.state_dict(), classifier=True,
                                          timm=True), strict=True)
    return {'mmghost': lambda x: ours.eval()(x, mode='tensor'), 'timm': peer}


def measure_pyramid_tnt(shape, repeats):
    """PyramidTNT-S (upsample) at one size (run in a child process): peak extra RSS of the first
    forward, then ``repeats`` timed forwards."""
    from mmghost.models import PyramidTNT
    torch.manual_seed(0)
    model = PyramidTNT(arch='s', upsample=True).eval()
    inputs = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(1))
    return profile_forward(model, inputs, repeats)


def main(args):
    wall_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    models = build_tnt_pair()
    batch = torch.randn(args.batch, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = models['timm'](batch)
        diff = (models['mmghost'](batch) - expected).abs().max().item()
    ips = compare_throughput({name: partial(model, batch) for name, model in models.items()},
                             args.batch, args.repeats)
    ratio = ips['mmghost'] / ips['timm']
    print(f'\nTNT-S, {format_shape(batch.shape)}, same weights (timm -> official -> mmghost):')
    print_table(('measure', 'mmghost', 'timm', 'mmghost/timm'), [
        ('logits max|diff| (float32)', f'{diff:.2e}', '',
         f'max|logit| {expected.abs().max().item():.2f}'),
        (f'throughput (img/s, median of {args.repeats})', f'{ips["mmghost"]:.2f}',
         f'{ips["timm"]:.2f}', f'{ratio:.3f}x (target >= 1.0x: '
                               f'{"met" if ratio >= 1.0 else "MISSED"})'),
    ])
    del models

    if not args.skip_large:
        results = [(shape, run_in_child(measure_pyramid_tnt, threads=args.threads, shape=shape,
                                        repeats=args.repeats)) for shape in args.shapes]
        (h0, w0), first = results[0]
        tokens0 = -(-h0 // 8) * -(-w0 // 8)
        rows = []
        for (height, width), res in results:
            tokens = -(-height // 8) * -(-width // 8)
            rows.append((format_shape((1, 3, height, width)), tokens,
                         f'{res["forward_peak_mib"]:.0f}', f'{res["median_s"]:.2f}',
                         f'{res["forward_peak_mib"] / first["forward_peak_mib"]:.2f}x',
                         f'{res["median_s"] / first["median_s"]:.2f}x',
                         f'{tokens / tokens0:.2f}x', f'{(tokens / tokens0) ** 2:.2f}x'))
        print('\nPyramidTNT-S (upsample=True, strides 4/8/16/32), forward, batch 1, '
              'fresh process per size; growth relative to the first size:')
        print_table(('input', 'N (stride 8)', 'peak MiB', f'time s (n={args.repeats})',
                     'peak growth', 'time growth', 'N growth', 'N^2 growth'), rows)
    print(f'\n{environment_line()}; total {time.perf_counter() - wall_start:.0f} s')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_shape_argument(parser, default=[(320, 512), (480, 800), (640, 1088), (800, 1344)],
                       multiple=True, help='PyramidTNT input size')
    parser.add_argument('--batch', type=int, default=8, help='TNT-S batch (default 8)')
    add_timing_arguments(parser, repeats=5)
    parser.add_argument('--skip-large', action='store_true',
                        help='skip the PyramidTNT memory / time measurements')
    return parser.parse_args()


if __name__ == '__main__':
    main(parse_args())
