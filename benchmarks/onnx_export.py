"""Benchmark: ONNX export of one backbone per family, and onnxruntime vs PyTorch CPU latency.

    python benchmarks/onnx_export.py                       # every family at 1x3x224x224
    python benchmarks/onnx_export.py --shape 512 --models pvig_s_224_gelu ghostnet_1.0x
    python benchmarks/onnx_export.py --repeats 20 --threads 2

For each official backbone (``--models``; default: the variant each family's detection configs
use) with its detection outputs (all stages), in eval mode, float32: the dynamic ONNX export
(:func:`mmghost.apis.deploy.export_onnx`, opset 17) is timed once and its file size reported; then
PyTorch (``torch.no_grad()``) and onnxruntime (CPU provider, ``intra_op_num_threads`` = the
thread count, default graph optimisations) run the same seeded input, timed alternately over
``--repeats`` rounds after one warm-up each (background load falls on both alike); the table
gives the medians and their ratio (onnxruntime / PyTorch: below 1 is faster). The last column
is ``max |onnx - torch| / max |torch|`` over the outputs: Vision GNN's is that of a float32
neighbour ranking with near-ties (tests/test_deploy.py checks its graph in float64). Each model
runs in a fresh child process (``mmghost.utils.profiling.run_in_child``).

For the Pyramid ViG models a second table compares, at the trained size (224), what a dynamic
export computes with what eager PyTorch and a fixed-size export compute: the relative-position
term of each stage computed from the sin-cos embeddings vs the stored tensor
(``max |computed - stored| / max |stored|``), and the backbone outputs of the two in float64.
"""
import argparse
import statistics

import torch

from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, cpu_name,
                                     format_shape, print_table, run_in_child, time_calls)

DEFAULT_MODELS = ('pvig_s_224_gelu', 'vig_s_224_gelu', 'ghostnet_1.0x', 'ghostnetv2_1.0x',
                  'tinynet_a', 'g_ghost_regnetx_040', 'tnt_s_patch16_224', 'ptnt_s_patch16_256',
                  'WaveMLP_S', 'augvit_small')


def measure(name, shape, repeats):
    """Export time, file size, median latencies and the error of one backbone (child process)."""
    import onnxruntime

    from mmghost.apis import deploy
    from mmghost.weights.official import official_backbone_cfg
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    backbone = MODELS.build(official_backbone_cfg(name))
    backbone.init_weights()
    backbone.eval()
    x = deploy.example_input(shape)
    names = [f'stage{i}' for i in backbone.out_indices]
    graph, seconds = deploy.timed(deploy.export_onnx, backbone, x, names)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = onnxruntime.InferenceSession(graph, options, providers=['CPUExecutionProvider'])
    feed = {deploy.INPUT_NAME: x.numpy()}
    runs = {'torch': lambda: backbone(x), 'onnxruntime': lambda: session.run(None, feed)}
    times = {key: [] for key in runs}
    with torch.no_grad():
        for run in runs.values():
            time_calls(run, 0, 1)
        for round_ in range(repeats):
            for key in (list(runs) if round_ % 2 == 0 else list(runs)[::-1]):
                times[key] += time_calls(runs[key], 1)
        error = max(deploy.relative_error(e, torch.from_numpy(g))
                    for e, g in zip(backbone(x), session.run(None, feed)))
    return dict(export=seconds, size=len(graph) / 2**20, error=error,
                **{key: statistics.median(values) for key, values in times.items()})


def position_term_difference(name):
    """Pyramid ViG at its trained grid: the computed relative-position term vs the stored one
    per stage, and the float64 outputs with either (seeded random weights)."""
    from mmghost.apis import deploy
    from mmghost.models.layers import Grapher, any_size_paths
    from mmghost.weights.official import official_backbone_cfg
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    backbone = MODELS.build(official_backbone_cfg(name)).eval().double()
    terms = {}
    for stage, module in enumerate(backbone.stages):
        grapher = next(m for m in module.modules() if isinstance(m, Grapher))
        stored = grapher.relative_pos[0]
        grid = grapher.trained_grid
        with any_size_paths():
            computed = torch.mm(*grapher.position_bias(grid, grid)(0, stored.shape[0]))
        terms[stage] = deploy.relative_error(stored, computed)
    x = deploy.example_input((224, 224), dtype=torch.float64)
    with torch.no_grad():
        eager = backbone(x)
        with any_size_paths():
            dynamic = backbone(x)
    outputs = [deploy.relative_error(a, b) for a, b in zip(eager, dynamic)]
    return terms, outputs


def main(args):
    print(f'ONNX export (opset 17, dynamic axes) and CPU latency at 1x3x{format_shape(args.shape)}'
          f'; torch {torch.__version__}, {args.threads} threads, CPU {cpu_name()}')
    rows = []
    for name in args.models:
        r = run_in_child(measure, threads=args.threads, name=name, shape=args.shape,
                         repeats=args.repeats)
        rows.append([name, f'{r["export"]:.1f}', f'{r["size"]:.1f}', f'{r["torch"] * 1e3:.1f}',
                     f'{r["onnxruntime"] * 1e3:.1f}', f'{r["onnxruntime"] / r["torch"]:.2f}',
                     f'{r["error"]:.0e}'])
        print(f'  {name}: done', flush=True)
    print_table(['backbone', 'export (s)', 'file (MiB)', 'torch (ms)', 'onnxruntime (ms)',
                 'ort / torch', 'max rel. error'], rows)
    pyramid = [name for name in args.models if name.startswith('pvig_')]
    if pyramid:
        print('Pyramid ViG at 224: dynamic export (computed relative-position term) vs stored '
              'term; max |difference| / max |stored|, outputs in float64')
        rows = []
        for name in pyramid:
            terms, outputs = position_term_difference(name)
            rows.append([name, *[f'{terms[stage]:.1e}' for stage in range(4)],
                         ' '.join(f'{e:.1e}' for e in outputs)])
        print_table(['backbone', 'term 1', 'term 2', 'term 3', 'term 4', 'outputs 1-4'], rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_shape_argument(parser, default=(224, 224), help='input size')
    parser.add_argument('--models', nargs='+', default=list(DEFAULT_MODELS),
                        help='official backbone names (tools/analysis_tools/list_models.py)')
    add_timing_arguments(parser, repeats=10)
    return parser.parse_args(argv)


if __name__ == '__main__':
    main(parse_args())
