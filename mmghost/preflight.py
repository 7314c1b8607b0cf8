"""Data preflight of ``tools/train.py`` and ``tools/test.py``: before the runner is built, the
annotation files and image folders a config reads are checked, and a missing one ends the run
with one short message (what is missing, the expected layout, how to point at the data, and
that ``tools/run_demo.py`` needs none) instead of a traceback after the environment dump.

Checked: the datasets of the dataloaders the run uses (through dataset wrappers such as
``MultiImageMixDataset``, ``RepeatDataset`` and ``ConcatDataset``) whose type is known here
(:data:`LAYOUTS`), and the evaluators' ``ann_file``. Remote storage (a path with ``://`` or a
dataset with non-local ``backend_args``) and other dataset types are not checked.

:func:`set_data_root` is ``--data-root DIR``: every known dataset's ``data_root`` becomes
``DIR``, and the evaluators' ``ann_file``, which the configs join to the data root when they
are parsed (``data_root + 'annotations/...'``), are re-pointed too.
"""
import os.path as osp

#: dataset type -> (name of the layout, the layout under the data root, the default root)
LAYOUTS = {
    'CocoDataset': ('COCO 2017', [
        'annotations/instances_train2017.json', 'annotations/instances_val2017.json',
        'train2017/  (the training images, *.jpg)', 'val2017/    (the validation images)'],
        'data/coco/'),
    'ADE20KDataset': ('ADE20K 2016 (ADEChallengeData2016)', [
        'images/training/       (*.jpg)', 'images/validation/',
        'annotations/training/  (*.png label maps)', 'annotations/validation/'],
        'data/ade/ADEChallengeData2016'),
    'ImageNet': ('ImageNet-1k (mmpretrain layout)', [
        'train/  (class folders)', 'val/    (images)', 'meta/train.txt, meta/val.txt'],
        'data/imagenet/'),
}

#: the dataloaders and evaluators a run reads
PHASES = {'train': ('train_dataloader', 'val_dataloader'), 'test': ('test_dataloader', )}
EVALUATORS = {'train_dataloader': None, 'val_dataloader': 'val_evaluator',
              'test_dataloader': 'test_evaluator'}


def _datasets(dataset):
    """The leaf dataset configs of a (possibly wrapped) dataset config."""
    if 'datasets' in dataset:
        for child in dataset['datasets']:
            yield from _datasets(child)
    elif 'dataset' in dataset:
        yield from _datasets(dataset['dataset'])
    else:
        yield dataset


def _remote(path, dataset):
    backend = (dataset.get('backend_args') or {}).get('backend', 'local')
    return '://' in str(path) or backend != 'local'


def _dataloaders(cfg, phase):
    for name in PHASES[phase]:
        loader = cfg.get(name)
        if loader and (name != 'val_dataloader' or cfg.get('val_cfg') is not None):
            yield name, loader


def missing_data(cfg, phase):
    """What the run's ``phase`` (``'train'`` or ``'test'``) reads and is not on disk.

    Returns:
        list[tuple[str, str, str]]: ``(path, what it is, dataset type)`` of each missing one.
    """
    missing = []
    for name, loader in _dataloaders(cfg, phase):
        for dataset in _datasets(loader['dataset']):
            kind = dataset.get('type')
            if kind not in LAYOUTS:
                continue
            root = dataset.get('data_root') or ''
            wanted = []
            if dataset.get('ann_file'):
                wanted.append((osp.join(root, dataset['ann_file']), 'annotation file', osp.isfile))
            for key, prefix in (dataset.get('data_prefix') or {}).items():
                wanted.append((osp.join(root, prefix), f'{key} folder', osp.isdir))
            if kind == 'ImageNet' and dataset.get('split'):
                wanted.append((osp.join(root, dataset['split']), 'image folder', osp.isdir))
            for path, what, exists in wanted:
                if not _remote(path, dataset) and not exists(path):
                    missing.append((path, f'{name} {what}', kind))
        evaluator = cfg.get(EVALUATORS[name]) if EVALUATORS[name] else None
        for metric in (evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]):
            path = (metric or {}).get('ann_file')
            if path and not _remote(path, metric) and not osp.isfile(path):
                missing.append((path, f'{EVALUATORS[name]} ann_file', 'CocoDataset'))
    return list(dict.fromkeys(missing))


def set_data_root(cfg, root):
    """``--data-root``: points every known dataset of the dataloaders at ``root`` and re-points
    the evaluators' ``ann_file`` that start with the old root."""
    old_roots = set()
    for name in (*PHASES['train'], *PHASES['test']):
        loader = cfg.get(name)
        if not loader:
            continue
        for dataset in _datasets(loader['dataset']):
            if dataset.get('type') in LAYOUTS:
                old_roots.add(dataset.get('data_root') or '')
                dataset['data_root'] = root
    for name in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(name)
        for metric in (evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]):
            path = (metric or {}).get('ann_file')
            old = next((r for r in sorted(old_roots, key=len, reverse=True)
                        if r and path and path.startswith(r)), None)
            if old is not None:
                metric['ann_file'] = osp.join(root, path[len(old):].lstrip('/'))


#: ``--ann-files`` / ``--img-dirs`` split name -> the dataloader and evaluator it sets
SPLITS = {'train': ('train_dataloader', None), 'val': ('val_dataloader', 'val_evaluator'),
          'test': ('test_dataloader', 'test_evaluator')}


def set_split_paths(cfg, ann_files=None, img_dirs=None):
    """``--ann-files`` / ``--img-dirs``: the annotation file and image folder of each split of
    the COCO-format datasets (relative to their ``data_root``, as in the configs), for exports
    in other layouts than COCO 2017's (``annotations/train.json`` + ``images/``). ``val`` sets
    the test split too unless ``test`` is given (mmdet's configs test on the val set); the
    evaluators' ``ann_file`` follow.

    Raises:
        ValueError: a split name other than ``train``, ``val`` and ``test``.
    """
    ann_files, img_dirs = dict(ann_files or {}), dict(img_dirs or {})
    for option, values in (('--ann-files', ann_files), ('--img-dirs', img_dirs)):
        unknown = sorted(set(values) - set(SPLITS))
        if unknown:
            raise ValueError(f'{option}: unknown split {unknown}; give SPLIT=PATH with SPLIT '
                             f'one of {list(SPLITS)}')
        if 'val' in values:
            values.setdefault('test', values['val'])
    for split, (loader_name, evaluator_name) in SPLITS.items():
        loader = cfg.get(loader_name)
        if not loader or (split not in ann_files and split not in img_dirs):
            continue
        for dataset in _datasets(loader['dataset']):
            if dataset.get('type') != 'CocoDataset':
                continue
            if split in ann_files:
                dataset['ann_file'] = ann_files[split]
                evaluator = cfg.get(evaluator_name) if evaluator_name else None
                for metric in (evaluator if isinstance(evaluator, (list, tuple)) else
                               [evaluator]):
                    if metric and metric.get('ann_file'):
                        metric['ann_file'] = osp.join(dataset.get('data_root') or '',
                                                      ann_files[split])
            if split in img_dirs:
                dataset['data_prefix'] = dict(dataset.get('data_prefix') or {},
                                              img=img_dirs[split])


def message(config, missing):
    """The one message printed instead of a traceback."""
    lines = [f'The data of {config} is not on disk:']
    lines += [f'  missing {what}: {path}' for path, what, _ in missing]
    for kind in dict.fromkeys(kind for _, _, kind in missing):
        name, layout, default = LAYOUTS[kind]
        lines.append(f'Expected layout, {name}, under the data root (the configs use {default}):')
        lines += [f'  {entry}' for entry in layout]
    lines += [
        'Point at the data with --data-root DIR (the folder that holds the layout above), or',
        '  --cfg-options train_dataloader.dataset.data_root=DIR ... for each dataloader.',
        'To run without any data: python tools/run_demo.py (built-in synthetic data).']
    return '\n'.join(lines)


def check_or_exit(cfg, phase, config, classes_from_data=False, checkpoint=None):
    """Ends the process with one message (exit status 1, no traceback) when data is missing
    (:func:`message`), unreadable, when its categories and the config's classes disagree
    (:func:`mmghost.coco_data.category_message`), or when its content cannot be trained or
    evaluated on (:func:`mmghost.coco_data.content_problems`: no images, nothing to train on,
    masks missing, image files missing); the content's lesser problems are logged as warnings.

    The classes are set first (:func:`mmghost.coco_data.set_classes`) from the data's categories
    with ``classes_from_data``, else from a detection ``checkpoint``'s ``meta.dataset_meta``
    when they differ from the config's (a model trained with ``--classes-from-data``).
    """
    from mmengine.logging import print_log

    from . import coco_data as run
    missing = missing_data(cfg, phase)
    if missing:
        raise SystemExit(message(config, missing)) from None
    try:
        source, classes, warnings = None, None, []
        if classes_from_data:
            source, (classes, warnings) = '--classes-from-data', run.classes_from_data(cfg, phase)
        elif checkpoint is not None:
            configured = run.run_classes(cfg, phase)  # None: no COCO-format data to test on
            if configured is not None:
                classes = run.checkpoint_classes(checkpoint)
                if classes == configured:
                    classes = None
            source = f"the classes of {checkpoint} (meta.dataset_meta)"
        if classes is not None:
            changed = run.set_classes(cfg, classes)
            print_log(f'{source}: {len(classes)} classes {list(classes)}, set as '
                      + ', '.join(changed), logger='current')
        problem = run.category_message(cfg, phase, config)
        if problem is None:
            errors, found = run.content_problems(cfg, phase)
            warnings += found
            if errors:
                problem = '\n'.join([f'The data of {config} cannot be used as it is:',
                                      *(f'  {error}' for error in errors)])
    except run.DataError as error:
        raise SystemExit(str(error)) from None
    if problem:
        raise SystemExit(problem)
    for warning in warnings:
        print_log(warning, logger='current', level=30)
