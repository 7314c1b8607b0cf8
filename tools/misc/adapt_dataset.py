"""Writes a config that trains CONFIG on your own COCO-format data, for you to keep and edit.

    python tools/misc/adapt_dataset.py CONFIG DATA_ROOT -o OUT_CONFIG [--ann-files SPLIT=FILE ...]
        [--img-dirs SPLIT=DIR ...] [--classes-from-data] [--dry-run]

CONFIG is a path or ``package::path`` (``mmdet::retinanet/retinanet_r50_fpn_1x_coco.py``, or a
config written by ``tools/swap_backbone.py``). The data is pointed at as ``tools/train.py`` does
(``--data-root``, ``--ann-files``, ``--img-dirs``, ``--classes-from-data``) and checked by the
same preflight (files on disk, categories against the classes, the annotations' content). The
written config inherits CONFIG through ``_base_`` and overrides only what changes, one comment
per change: the datasets' paths and classes, the evaluators' annotation files and every head's
``num_classes``. Then ``python tools/train.py OUT_CONFIG`` trains it with no further flag.
"""
import argparse
import copy
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmghost.coco_data import run_classes
from mmghost.config_text import Change, base_path, overrides, render, write_config
from mmghost.preflight import check_or_exit, set_data_root, set_split_paths
from mmghost.swap import config_file

#: the config keys a dataset adaptation may change
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
             'test_evaluator')


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config path, or package::path (mmdet::...)')
    parser.add_argument('data_root', help='the dataset folder')
    parser.add_argument('-o', '--out', help='the config to write (required unless --dry-run)')
    parser.add_argument('--ann-files', nargs='+', action=DictAction, metavar='SPLIT=FILE',
                        help='annotation file of each split under DATA_ROOT (train, val, test; '
                        'val sets test too), e.g. train=annotations/train.json')
    parser.add_argument('--img-dirs', nargs='+', action=DictAction, metavar='SPLIT=DIR',
                        help='image folder of each split under DATA_ROOT, e.g. train=images/')
    parser.add_argument('--classes-from-data', action='store_true',
                        help="the categories of the annotation files become the classes")
    parser.add_argument('--dry-run', action='store_true', help='print the config, write nothing')
    args = parser.parse_args(argv)
    if not args.out and not args.dry_run:
        parser.error('-o OUT_CONFIG is required (or --dry-run)')
    return args


def adapted_changes(before, after, flags):
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
    args = parse_args(argv)
    from mmengine.config import Config
    source = config_file(args.config)
    before = Config.fromfile(source)
    after = copy.deepcopy(before)
    set_data_root(after, args.data_root)
    set_split_paths(after, args.ann_files, args.img_dirs)
    check_or_exit(after, 'train', args.config, args.classes_from_data)
    flags = ' '.join(filter(None, [
        args.data_root,
        args.ann_files and '--ann-files ' + ' '.join(f'{k}={v}' for k, v in
                                                    args.ann_files.items()),
        args.img_dirs and '--img-dirs ' + ' '.join(f'{k}={v}' for k, v in args.img_dirs.items()),
        args.classes_from_data and '--classes-from-data']))
    text = render([f'{args.config} on the data of {args.data_root}, written by',
                   f'  python tools/misc/adapt_dataset.py {args.config} {flags}',
                   '(each change says why)'], base_path(args.config, args.out),
                  adapted_changes(before, after, flags))
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
