"""Trains a detector (mmdet) or segmentor (mmseg) from a config, like mmdet's tools/train.py.

    python tools/train.py CONFIG [--work-dir DIR] [--data-root DIR] [--classes-from-data]
                          [--classes NAME ...] [--ann-files SPLIT=FILE ...] [--img-dirs ...]
                          [--reduce-zero-label] [--img-suffix S] [--seg-map-suffix S]
                          [--resume [CKPT]] [--amp]
                          [--auto-scale-lr] [--cfg-options KEY=VALUE ...]
                          [--launcher none|pytorch|slurm|mpi]

The task is read from the config's ``default_scope``. Multi-GPU / multi-process:
``tools/dist_train.sh CONFIG NUM_PROCS [args]``; without CUDA the processes train on CPU (gloo).
"""
import argparse
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401  (registration + safe checkpoint loading, before anything loads)
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmghost  # noqa: F401
from mmghost.utils.preflight import check_or_exit
from mmghost.utils.runtime import (add_common_arguments, build_runner, cpu_distributed, load_config,
                             setup_task)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a detector or segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--amp', action='store_true', default=False,
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='enable automatically scaling LR')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint or, with no value, from the latest checkpoint in '
        'the work directory')
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)

    cfg = load_config(args)
    # the data is on disk and fits the classes (or becomes them), or one short message
    check_or_exit(cfg, 'train', args.config, args.classes_from_data, classes=args.classes)

    if args.amp:
        optim_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_type == 'AmpOptimWrapper':
            print('AMP training is already enabled in your config.')
        elif optim_type != 'OptimWrapper':
            raise RuntimeError(f'--amp needs optim_wrapper type OptimWrapper, got {optim_type}')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) '
                               'in the config')
        cfg.auto_scale_lr.enable = True

    # resume: an explicit checkpoint, or 'auto' = the latest one in work_dir
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    setup_task(cfg)
    with cpu_distributed(cfg, args.launcher):
        build_runner(cfg).train()


if __name__ == '__main__':
    main()
