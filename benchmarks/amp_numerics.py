"""Benchmark: every family's training step under autocast, float16 and bfloat16, against float32.

    python benchmarks/amp_numerics.py [--device cpu|cuda] [--batch-size 2] [--families F ...]

For the smallest official model of each family (``mmghost.weights.official.SMALLEST_MODELS``, random
weights, seeded) at its trained size, on demo images (``mmghost.demo.demo_images``: shapes on
textured backgrounds, ImageNet-normalised), one fine-tuning step runs in float32 and under
``torch.autocast(device, dtype)`` from the same weights and input
(``mmghost.utils.profiling.autocast_errors``): the BatchNorm statistics are first calibrated on 8
demo images, then frozen as the detection configs' ``norm_eval=True`` freezes them (a random
model's fresh statistics do not normalise: PViG-S activations reach 6.7e7 and overflow float16;
calibrated on random noise, G-Ghost's BatchNorms on 1x1 pooled maps see almost no variance and
blow up), and the loss is the sum of the stage outputs' mean squares. Printed per family and
dtype: whether outputs and gradients are all finite, the relative error of each stage output
and of all gradients together (Frobenius norms). ``tests/test_amp.py`` checks the finiteness
at a small size.
"""
import argparse

import torch

from mmghost.demo import demo_images
from mmghost.weights.official import SMALLEST_MODELS, official_backbone_cfg
from mmghost.utils.profiling import autocast_errors, environment_line, print_table
from mmghost.registry import MODELS

DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}


def family_errors(family, device, batch_size):
    """``{dtype name: autocast_errors}`` of one family's smallest model."""
    name, size = SMALLEST_MODELS[family]
    torch.manual_seed(0)
    model = MODELS.build(official_backbone_cfg(name, init_cfg=None)).to(device)
    calibration = demo_images(max(8, batch_size), size, size).to(device)
    return {dtype: autocast_errors(model, calibration[:batch_size], DTYPES[dtype], device,
                                   calibration)
            for dtype in DTYPES}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--families', nargs='+', choices=sorted(SMALLEST_MODELS),
                        default=list(SMALLEST_MODELS))
    args = parser.parse_args(argv)
    print(environment_line())
    rows = []
    for family in args.families:
        name, size = SMALLEST_MODELS[family]
        for dtype, found in family_errors(family, args.device, args.batch_size).items():
            rows.append([family, name, f'{args.batch_size}x3x{size}x{size}', dtype,
                         'yes' if found['finite'] else 'NO',
                         ' '.join(f'{e:.1e}' for e in found['outputs']),
                         f"{found['gradients']:.1e}"])
            print(' | '.join(rows[-1]), flush=True)
    print_table(['family', 'model', 'input', 'autocast', 'finite',
                 'stage outputs (rel. error)', 'gradients (rel. error)'], rows)
    return 0 if all(row[4] == 'yes' for row in rows) else 1


if __name__ == '__main__':
    raise SystemExit(main())
