"""Tests (evaluates) a checkpoint on a config's test set, like mmdet's tools/test.py.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--data-root DIR]
                         [--classes-from-data] [--classes NAME ...] [--ann-files ...]
                         [--img-dirs ...] [--reduce-zero-label] [--img-suffix S]
                         [--seg-map-suffix S] [--out FILE] [--show] [--show-dir DIR] [--tta]
                         [--cfg-options KEY=VALUE ...]
                         [--launcher none|pytorch|slurm|mpi]

A checkpoint trained on other classes than the config's (``tools/train.py
--classes-from-data`` or ``--classes``) is tested with its own, from its ``meta.dataset_meta``.

The task (mmdet, mmseg or mmpretrain) is read from the config's ``default_scope``; the metrics
are logged as mmdet/mmseg/mmpretrain do. Multi-process: ``tools/dist_test.sh CONFIG CHECKPOINT
NUM_PROCS [args]``. CHECKPOINT is a local path or a URL (read through the torch hub cache).

For the classification configs of the official models (``configs/classification/``), CHECKPOINT
may also be the official upstream file (its release URL or a local copy) or timm's file of the
same network (``.safetensors`` too): it is converted on the fly and loaded strictly.
"""
import argparse
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401  (registration + safe checkpoint loading, before anything loads)
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmghost  # noqa: F401
from mmengine.config import ConfigDict

from mmengine.model import is_model_wrapper

from mmghost.weights.official import find_official_classifier, load_official_classifier
from mmghost.utils.preflight import check_or_exit
from mmghost.utils.runtime import (add_common_arguments, build_runner, cpu_distributed,
                             enable_visualization, load_config, setup_task)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector or segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--out', type=str,
        help='mmdet: dump the predictions to this pickle file for offline evaluation; '
        'mmseg: save the predicted label maps into this directory')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='save painted predictions here (mmdet: under work_dir/<timestamp>/)')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_model and tta_pipeline")
    add_common_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)

    cfg = load_config(args)
    # the data is on disk and fits the classes (or becomes them), or one short message
    check_or_exit(cfg, 'test', args.config, args.classes_from_data, args.checkpoint,
                  args.classes)
    cfg.load_from = args.checkpoint
    task = setup_task(cfg)

    if args.show or args.show_dir:
        enable_visualization(cfg, task, args.show, args.show_dir, args.wait_time)

    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise RuntimeError('--tta needs tta_model and tta_pipeline in the config')
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    if args.out is not None and task == 'mmseg':
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True

    if args.out is not None and task == 'mmdet' and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError('--out must be a .pkl or .pickle file')
    # an official classifier takes official / timm files too, converted and loaded strictly below
    official = find_official_classifier(cfg.model) if task == 'mmpretrain' else None
    if official is not None:
        cfg.load_from = None
    with cpu_distributed(cfg, args.launcher):
        runner = build_runner(cfg)
        if official is not None:
            model = runner.model.module if is_model_wrapper(runner.model) else runner.model
            load_official_classifier(model, args.checkpoint, official)
        if args.out is not None and task == 'mmdet':
            from mmdet.evaluation import DumpDetResults
            runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
        return runner.test()


if __name__ == '__main__':
    main()
