"""Exports a config's model to ONNX, in its package's tensor mode, and checks it in onnxruntime.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT -o OUT.onnx [--shape H [W]]
        [--batch-size N] [--dynamic] [--opset 17] [--verify] [--verify-shape H [W]]
        [--tolerance 1e-4] [--cfg-options ...]

The graph is ``model(x, mode='tensor')`` (see :mod:`mmghost.apis.deploy`): raw head outputs of
single-stage detectors (RetinaNet, YOLOX), the backbone and neck of two-stage ones (Mask R-CNN:
RoIAlign is an mmcv op), the decode head's logits of segmentors (UperNet), a classifier's
logits. Its input ``input`` is the batch after the config's data preprocessor (normalised, RGB
where the config converts, padded to its size divisor): ``OUT.json`` records that
preprocessing, the opset and every output's name and shape.

* ``--shape``: the export size (default: the config's test scale, padded as its data
  preprocessor pads, e.g. 800x1344 for mmdet's 1333x800).
* ``--dynamic``: batch, height and width are dynamic axes: one file for every size. Without
  it, the graph takes the export shape only (and keeps Pyramid ViG's stored position term at
  its trained grid, which a dynamic graph computes; see docs/deployment.md).
* ``--verify``: onnxruntime against PyTorch at the export size and, for a dynamic graph, at a
  second size (``--verify-shape``, default 3/4 of the height and 5/4 of the width) with batch
  2; prints ``max |onnx - torch| / max |torch|`` per output and fails above ``--tolerance``.
  Vision GNN graphs rank neighbours in float32 with near-ties, so their float32 figures are
  printed, not judged: a float64 export runs in onnx's reference evaluator and is judged.

The CHECKPOINT is loaded strictly (a file that does not fit is refused with its keys listed);
the backbone's ``init_cfg`` is dropped, so nothing is downloaded. An official classifier config
also takes the official upstream file, converted as ``tools/test.py`` does.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.utils.profiling import add_shape_argument, config_input_shape, format_shape


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file (local path or URL)')
    parser.add_argument('-o', '--output', required=True, help='the .onnx file to write')
    add_shape_argument(parser, help='export size; default: the config\'s test scale, padded '
                       'to its size divisor')
    parser.add_argument('--batch-size', type=int, default=1, help='batch of the export input')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch, height and width')
    parser.add_argument('--opset', type=int, default=None, help='ONNX opset (default 17)')
    parser.add_argument('--verify', action='store_true',
                        help='compare onnxruntime with PyTorch after the export')
    parser.add_argument('--verify-shape', type=int, nargs='+', metavar=('H', 'W'),
                        help='second size of --verify for a dynamic graph')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest max|onnx - torch| / max|torch| --verify accepts')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as tools/train.py')
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(f'--batch-size must be at least 1, got {args.batch_size}')
    if not args.output.endswith('.onnx'):
        parser.error(f'--output must end in .onnx, got {args.output!r}')
    if args.verify_shape is not None:
        from mmghost.utils.profiling import parse_shape
        try:
            args.verify_shape = parse_shape(args.verify_shape)
        except ValueError as error:
            parser.error(f'--verify-shape: {error}')
    return args


def _size_divisor(cfg):
    preprocessor = cfg.model.get('data_preprocessor') or {}
    return preprocessor.get('pad_size_divisor') or preprocessor.get('size_divisor') or 1


def _round_up(size, divisor):
    return -(-size // divisor) * divisor


def export_shape(cfg, task, shape=None):
    """The export ``(H, W)``: ``shape``, else the config's test scale padded to its divisor."""
    if shape is not None:
        return tuple(shape)
    divisor = _size_divisor(cfg)
    return tuple(_round_up(side, divisor) for side in config_input_shape(cfg, task))


def second_shape(cfg, shape):
    """The default second size of ``--verify``: 3/4 of the height, 5/4 of the width, rounded
    to the config's size divisor."""
    divisor = _size_divisor(cfg)
    height, width = shape
    return (max(divisor, _round_up(height * 3 // 4, divisor)),
            _round_up(width * 5 // 4, divisor))


def load_model(cfg, checkpoint):
    """The config's model in eval mode with ``checkpoint`` loaded strictly (SyncBN as BN)."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.runner import CheckpointLoader

    from mmghost.weights.fitting import fit_checkpoint, unwrap_state_dict
    from mmghost.weights.official import find_official_classifier, load_official_classifier
    from mmghost.utils.runtime import build_task_model, setup_task
    task = setup_task(cfg)
    backbone = cfg.model.get('backbone')
    if backbone is not None and 'init_cfg' in backbone:
        backbone.init_cfg = None  # the checkpoint holds the weights: nothing to download
    model = build_task_model(task, cfg.model)
    official = find_official_classifier(cfg.model) if task == 'mmpretrain' else None
    if official is not None:
        load_official_classifier(model, checkpoint, official)
    else:
        raw = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        _, state, _ = fit_checkpoint(unwrap_state_dict(raw), model.state_dict(),
                                     [('mmghost', dict)],
                                     f'Checkpoint {checkpoint} does not fit {cfg.filename}')
        model.load_state_dict(state)
    return task, revert_sync_batchnorm(model).eval()


def _print_rows(title, rows):
    print(title)
    for row in rows:
        worst = max(row['errors'], key=row['errors'].get)
        print(f"  {format_shape(row['shape'])}: max {row['errors'][worst]:.1e} ({worst}); "
              f"median over outputs {sorted(row['errors'].values())[len(row['errors']) // 2]:.1e}")


def main(argv=None):
    args = parse_args(argv)
    try:
        import onnx  # noqa: F401
        if args.verify:
            import onnxruntime  # noqa: F401
    except ImportError as error:
        sys.exit(f'pytorch2onnx.py needs onnx (and onnxruntime for --verify): {error}. '
                 f'Install them with: pip install -e ".[deploy]"')
    from mmengine.config import Config

    from mmghost.apis import deploy
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task, model = load_model(cfg, args.checkpoint)
    module = deploy.TensorModeModel(model)
    pooling = deploy.replace_adaptive_pooling(module)
    in_channels = (cfg.model.get('backbone') or {}).get('in_channels', 3)
    shape = export_shape(cfg, task, args.shape)
    opset = args.opset or deploy.OPSET
    inputs = deploy.example_input(shape, in_channels, args.batch_size)
    names, outputs = module.named_outputs(inputs)  # one eager run: names, axes, description
    try:
        graph, seconds = deploy.timed(deploy.export_onnx, module, inputs, names, args.dynamic,
                                      opset, outputs)
    except Exception as error:  # the exporter names the operator it cannot write
        raise RuntimeError(
            f'ONNX export of {args.config} ({type(model).__name__}) failed at opset {opset}: '
            f'{error}. What exports and what does not: docs/deployment.md') from error
    os.makedirs(osp.dirname(osp.abspath(args.output)), exist_ok=True)
    with open(args.output, 'wb') as f:
        f.write(graph)

    axes = 'dynamic batch, height and width' if args.dynamic else \
        f'fixed input {format_shape(inputs.shape)}'
    mode = 'extract_feat' if module.two_stage else f'{task} tensor mode'
    print(f'{args.config}: {type(model).__name__}, {module.part} ({mode}); '
          f'outputs: {", ".join(names)}')
    if module.two_stage:
        print('  two-stage detector: the graph is the backbone and neck (extract_feat); the RPN '
              'and RoI heads need RoIAlign, an mmcv op with no ONNX form here')
    if pooling:
        print(f'  {pooling} adaptive average pooling layer(s) exported as exact pooling matrices '
              f'(any input size)')
    print(f'exported {args.output} ({len(graph) / 2**20:.1f} MiB, opset {opset}, {axes}) '
          f'in {seconds:.1f} s')

    description = deploy.describe(
        graph, names, inputs, outputs, args.dynamic, opset,
        preprocessor=cfg.model.get('data_preprocessor'), config=args.config,
        checkpoint=args.checkpoint, task=task, model=type(model).__name__, part=module.part,
        export_seconds=round(seconds, 2))
    failed = False
    if args.verify:
        shapes = [(args.batch_size, *shape)]
        if args.dynamic:
            shapes.append((2, *(args.verify_shape or second_shape(cfg, shape))))
        rows = deploy.verify(graph, module, shapes, in_channels, args.dynamic)
        judged = rows
        title = 'onnxruntime vs PyTorch, float32, max |diff| / max |torch| per output:'
        if deploy.has_neighbour_search(model):
            _print_rows(title + ' (not judged: Vision GNN ranks neighbours in float32, '
                        'near-ties can swap one)', rows)
            judged = deploy.verify_float64(module, names, shapes, in_channels, args.dynamic,
                                           opset)
            title = 'onnx reference evaluator vs PyTorch, float64:'
        _print_rows(title, judged)
        worst = max(e for row in judged for e in row['errors'].values())
        failed = worst > args.tolerance
        print(f'{"FAILED" if failed else "PASSED"}: largest error {worst:.1e}, tolerance '
              f'{args.tolerance:.0e}')
        description['verify'] = dict(rows=rows, judged=judged, tolerance=args.tolerance,
                                     passed=not failed)
    json_path = osp.splitext(args.output)[0] + '.json'
    deploy.write_description(json_path, description)
    print(f'description: {json_path}')
    if failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
