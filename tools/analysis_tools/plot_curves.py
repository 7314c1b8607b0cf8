"""Plots the losses and validation metrics of any training run (mmdet / mmseg / mmpretrain).

    python tools/analysis_tools/plot_curves.py WORK_DIR [--keys KEY ...] [--out FILE]

WORK_DIR is a run's work dir (its newest ``<timestamp>/vis_data/scalars.json`` is read), one
``<timestamp>`` folder, or a ``scalars.json``. ``--keys`` picks scalars by name or prefix
(``loss`` = every loss, ``coco/`` = every COCO metric, ``lr``, ``mIoU``, ...); by default every
loss and every validation metric. Training scalars are drawn against the iteration (losses on a
log scale), validation metrics against the validation step. The figure goes to ``--out``
(default ``WORK_DIR/curves.png``); the keys found and their last values are printed. mmdet's own
``analyze_logs.py`` needs seaborn, which this environment does not install.
"""
import argparse
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.utils.curves import plot_curves, read_run, select_keys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', help='work dir, run folder or scalars.json')
    parser.add_argument('--keys', nargs='+', help='scalar names or prefixes (default: losses '
                        'and validation metrics)')
    parser.add_argument('--out', help='the PNG to write (default: WORK_DIR/curves.png)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        scalars, train, val = read_run(args.work_dir)
        keys = select_keys(train, val, args.keys)
    except (FileNotFoundError, KeyError) as error:
        sys.exit(error.args[0])  # KeyError's str() would quote it
    if not keys:
        sys.exit(f'{scalars} holds no loss or metric yet; its keys: '
                 f'{", ".join(sorted(train) + sorted(val)) or "none"}')
    folder = args.work_dir if osp.isdir(args.work_dir) else osp.dirname(scalars)
    out = args.out or osp.join(folder, 'curves.png')
    plot_curves(train, val, keys, out, osp.basename(osp.abspath(folder)))
    print(f'read {scalars}')
    for key in keys:
        points = train.get(key) or val[key]
        print(f'  {key}: {len(points)} points, last {points[-1][1]:.4g} at {points[-1][0]}')
    print(f'wrote {out}')
    return out


if __name__ == '__main__':
    main()
