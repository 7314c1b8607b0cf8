"""Writes a config that trains CONFIG on your own data, for you to keep and edit.

    python tools/misc/adapt_dataset.py CONFIG DATA_ROOT -o OUT_CONFIG [--classes-from-data]
        [--classes NAME ...] [--ann-files SPLIT=FILE ...] [--img-dirs SPLIT=DIR ...]
        [--reduce-zero-label] [--img-suffix S] [--seg-map-suffix S] [--dry-run]

CONFIG is a path or ``package::path`` (``mmdet::retinanet/retinanet_r50_fpn_1x_coco.py``, or a
config written by ``tools/swap_backbone.py``); the data is COCO-format (detection) or mmseg
folders (segmentation). It is pointed at with the flags of ``tools/train.py`` and checked by
the same preflight (files on disk, the classes against the data, the content). The written
config inherits CONFIG through ``_base_`` and overrides only what changes, one comment per
change: the datasets' paths, classes and settings, the evaluators' annotation files and every
head's ``num_classes``. Then ``python tools/train.py OUT_CONFIG`` trains it with no further flag.
"""
import argparse
import copy
import os.path as osp
import shlex
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.utils.config_text import Change, base_path, overrides, render, write_config
from mmghost.utils.preflight import check_or_exit, run_classes, set_data_root
from mmghost.utils.runtime import add_data_arguments, apply_data_arguments
from mmghost.apis.swap import config_file

#: the config keys a dataset adaptation may change
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
             'test_evaluator')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config path, or package::path (mmdet::...)')
    parser.add_argument('data_root', help='the dataset folder')
    parser.add_argument('-o', '--out', help='the config to write (required unless --dry-run)')
    parser.add_argument('--dry-run', action='store_true', help='print the config, write nothing')
    add_data_arguments(parser, data_root=False)
    args = parser.parse_args(argv)
    if not args.out and not args.dry_run:
        parser.error('-o OUT_CONFIG is required (or --dry-run)')
    return args


def adapted_changes(before, after):
    """The :class:`Change` s from config ``before`` to ``after``, each with its reason."""
    data = overrides(before.to_dict(), after.to_dict())
    changes = []
    for key in DATA_KEYS:
        if key in data:
            why = ('the annotation file the metric reads' if key.endswith('evaluator') else
                   'the data and its classes')
            changes.append(Change(key, data[key], why))
    classes = len(run_classes(after, 'train') or ())
    for key, value in data.get('model', {}).items():
        changes.append(Change(f'model.{key}', value,
                              f'num_classes = the {classes} classes of the data'))
    unexpected = sorted(set(data) - set(DATA_KEYS) - {'model'})
    if unexpected:
        raise RuntimeError(f'the adaptation changed {unexpected}, which it should not')
    return changes


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    from mmengine.config import Config
    source = config_file(args.config)
    before = Config.fromfile(source)
    after = copy.deepcopy(before)
    set_data_root(after, args.data_root)
    apply_data_arguments(after, args)
    check_or_exit(after, 'train', args.config, args.classes_from_data, classes=args.classes)
    command = ' '.join(shlex.quote(arg) for arg in argv)
    text = render([f'{args.config} on the data of {args.data_root}, written by',
                   f'  python tools/misc/adapt_dataset.py {command}',
                   '(each change says why)'], base_path(args.config, args.out),
                  adapted_changes(before, after))
    if not write_config(text, args.out, args.dry_run):
        return 0
    written = Config.fromfile(args.out)
    differ = [key for key in (*DATA_KEYS, 'model') if written.get(key) != after.get(key)]
    if differ:
        raise RuntimeError(f'{args.out} does not give the adapted {differ}')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
