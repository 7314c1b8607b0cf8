"""Benchmark: mmghost classifiers vs timm's implementation of the same networks, same weights.

Run it with::

    python benchmarks/ghost_vs_timm.py                          # batch 1 and 16, 224x224
    python benchmarks/ghost_vs_timm.py --repeats 30 --threads 2
    python benchmarks/ghost_vs_timm.py --batch-sizes 1 2 --repeats 3   # a quick check

This is a benchmark that prints numbers, not a test. For each pair (mmghost official name,
timm model name) -- ``ghostnet_1.0x``/``ghostnet_100``, ``ghostnetv2_1.0x``/``ghostnetv2_100``,
``tinynet_a``/``tinynet_a`` -- a pair whose official name is not in ``mmghost.OFFICIAL_MODELS``
is skipped with a message:

1. Weights. timm's model is built with ``pretrained=False`` and a fixed seed, and its BatchNorm
   affine parameters and running statistics are set to seeded random values
   (``mmghost.utils.profiling.randomize_batchnorm_``: fresh ones are identity maps, which would hide
   a mapping that swaps two layers of equal shape). Its state dict is converted with
   ``mmghost.weights.official.convert_official(name, sd, classifier=True, timm=True)`` and loaded
   strictly into the mmpretrain ``ImageClassifier`` of ``official_classifier_cfg(name)``
   (backbone + the upstream head).
2. Equality. Both models' logits for the same seeded input (batch 2, 224x224, eval mode) are
   compared, in float32 and in float64; the script stops if they differ beyond
   ``1e-4 * max|logit|`` (float32) or ``1e-10 * max|logit|`` (float64).
3. Throughput (CPU, eval mode, ``torch.no_grad()``), at each ``--batch-sizes`` entry: after
   ``--warmup`` forwards of each model, ``--repeats`` rounds each time both models once, the
   order alternating between rounds, so that background load falls on both alike
   (``mmghost.utils.profiling.compare_throughput``). Images/s come from the median forward time; the
   ratio is mmghost / timm (> 1: mmghost is faster).
4. FLOPs of the mmghost classifier at the model's ImageNet input size (224x224 for GhostNet/V2,
   192x192 for TinyNet-A), from ``mmengine.analysis.FlopAnalyzer``, which counts ONE
   multiply-add as ONE FLOP (the "MAdds" papers report). "conv+linear" are the convolution and
   linear layers alone, what the papers count; "total" adds BatchNorm, pooling and upsampling.
   The published figures are listed next to them.
"""
import argparse

import torch

from mmghost.utils.profiling import (add_timing_arguments, compare_throughput, environment_line,
                               format_shape, randomize_batchnorm_)

# (mmghost official name, timm name, ImageNet input size, published MFLOPs (MAdds), source)
PAIRS = [
    ('ghostnet_1.0x', 'ghostnet_100', 224, '141-142', 'GhostNet paper / README'),
    ('ghostnetv2_1.0x', 'ghostnetv2_100', 224, '167', 'GhostNetV2 README'),
    ('tinynet_a', 'tinynet_a', 192, '339', 'TinyNet README'),
]


def build_pair(name, timm_name):
    """timm's model (seeded, random BN) and the mmghost classifier with its converted weights."""
    import timm
    from mmpretrain.registry import MODELS

    from mmghost.weights.official import convert_official, official_classifier_cfg
    torch.manual_seed(0)
    reference = timm.create_model(timm_name, pretrained=False)
    randomize_batchnorm_(reference, seed=1)
    ours = MODELS.build(official_classifier_cfg(name))
    ours.load_state_dict(convert_official(name, reference.state_dict(), classifier=True,
                                          timm=True), strict=True)
    return ours.eval(), reference.eval()


def check_equal(ours, reference):
    """Max |difference| of the logits relative to max |logit|, float32 and float64."""
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    errors = {}
    for dtype, limit in ((torch.float32, 1e-4), (torch.float64, 1e-10)):
        with torch.no_grad():
            a = ours.to(dtype)(x.to(dtype), mode='tensor')
            b = reference.to(dtype)(x.to(dtype))
        errors[dtype] = float((a - b).abs().max() / b.abs().max())
        if errors[dtype] > limit:
            raise SystemExit(f'outputs differ: {errors[dtype]:.3g} > {limit:g} ({dtype})')
    ours.float()
    reference.float()
    return errors


def throughput(ours, reference, batch, warmup, repeats):
    """Images/s of both models (median of alternating timed forwards)."""
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    return compare_throughput({'mmghost': lambda: ours(x, mode='tensor'),
                               'timm': lambda: reference(x)}, batch, repeats, warmup)


def flops(model, size):
    """(conv+linear, total) MFLOPs of one image, one multiply-add counted as one FLOP."""
    from mmengine.analysis import FlopAnalyzer
    analyzer = FlopAnalyzer(model, (torch.randn(1, 3, size, size), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    by_operator = analyzer.by_operator()
    return ((by_operator.get('conv', 0) + by_operator.get('linear', 0)) / 1e6,
            analyzer.total() / 1e6)


def main(args):
    import mmghost
    torch.set_num_threads(args.threads)
    print(environment_line())
    rows, flop_rows = [], []
    for name, timm_name, size, published, source in PAIRS:
        if name not in mmghost.OFFICIAL_MODELS:
            print(f'skip {name} / timm {timm_name}: {name!r} is not in mmghost.OFFICIAL_MODELS')
            continue
        ours, reference = build_pair(name, timm_name)
        errors = check_equal(ours, reference)
        print(f'{name} vs timm {timm_name}: logits equal (max |diff| / max |logit|: '
              f'{errors[torch.float32]:.2g} float32, {errors[torch.float64]:.2g} float64)')
        for batch in args.batch_sizes:
            speed = throughput(ours, reference, batch, args.warmup, args.repeats)
            rows.append((name, timm_name, batch, speed['mmghost'], speed['timm']))
        flop_rows.append((name, size, *flops(ours, size), published, source))

    print(f'\nForward throughput, 3x224x224, CPU, eval, median of {args.repeats} alternating runs')
    print(f"{'model':16} {'timm model':16} {'batch':>5} {'mmghost img/s':>14} "
          f"{'timm img/s':>11} {'ratio':>6}")
    for name, timm_name, batch, ours, theirs in rows:
        print(f'{name:16} {timm_name:16} {batch:5d} {ours:14.1f} {theirs:11.1f} '
              f'{ours / theirs:5.2f}x')
    print('\nFLOPs of the mmghost classifier (mmengine FlopAnalyzer: 1 multiply-add = 1 FLOP)')
    print(f"{'model':16} {'input':>7} {'conv+linear M':>14} {'total M':>8} {'published M':>12}"
          f"  source")
    for name, size, main_flops, total, published, source in flop_rows:
        print(f'{name:16} {format_shape((size, size)):>7} {main_flops:14.1f} {total:8.1f} '
              f'{published:>12}  {source}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 16])
    add_timing_arguments(parser, repeats=20, warmup=3)
    return parser.parse_args()


if __name__ == '__main__':
    main(parse_args())
