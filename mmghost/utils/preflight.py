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
    'BaseSegDataset': ('mmseg folders, as ADE20K', [
        'images/training/       (the images)', 'images/validation/',
        'annotations/training/  (one-channel label maps, the images\' names)',
        'annotations/validation/', 'classes.txt            (for --classes-from-data)'],
        'data/<dataset>/'),
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


def layout_kind(dataset):
    """The :data:`LAYOUTS` key of a dataset config: its type, or ``'BaseSegDataset'`` for any
    other segmentation dataset type; ``None`` for types not checked here."""
    if dataset.get('type') in LAYOUTS:
        return dataset['type']
    from .seg_data import is_seg_dataset
    return 'BaseSegDataset' if is_seg_dataset(dataset) else None


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
            kind = layout_kind(dataset)
            if kind is None:
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
            if layout_kind(dataset) is not None:
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


#: model config keys whose ``num_classes`` is not the dataset's (class-agnostic proposals)
CLASS_AGNOSTIC = ('rpn_head', )


def set_classes(cfg, classes):
    """Makes ``classes`` the classes of the run: ``metainfo.classes`` of every dataset of the
    dataloaders (through wrappers) and ``num_classes`` of every head of ``cfg.model`` that
    declares one (except :data:`CLASS_AGNOSTIC` ones). The heads are found by walking the model
    config, not from a list of paths: RetinaNet's and YOLOX's ``bbox_head``, Mask R-CNN's
    ``roi_head.bbox_head`` and ``roi_head.mask_head``, UperNet's ``decode_head`` and
    ``auxiliary_head``. A palette of another length is dropped (the dataset makes one), and a
    segmentation dataset type with classes of its own becomes a ``BaseSegDataset``
    (:func:`mmghost.utils.seg_data.plain_dataset`).

    Returns:
        list[str]: The config keys that were set, for the log.
    """
    from .seg_data import is_seg_dataset, plain_dataset
    changed = []
    for phase in ('train', 'test'):
        for name in PHASES[phase]:
            loader = cfg.get(name)
            if not loader:
                continue
            for dataset in _datasets(loader['dataset']):
                metainfo = dict(dataset.get('metainfo') or {}, classes=tuple(classes))
                if len(metainfo.get('palette') or classes) != len(classes):
                    del metainfo['palette']
                dataset['metainfo'] = metainfo
                changed.append(f'{name} dataset metainfo.classes')
                if is_seg_dataset(dataset):
                    plain_dataset(dataset, classes)
    changed += _set_num_classes(cfg.model, len(classes), 'model')
    return list(dict.fromkeys(changed))


def _set_num_classes(node, num_classes, path):
    changed = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'num_classes' and isinstance(value, int):
                node[key] = num_classes
                changed.append(f'{path}.num_classes')
            elif key not in CLASS_AGNOSTIC:
                changed += _set_num_classes(value, num_classes, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            changed += _set_num_classes(value, num_classes, f'{path}[{index}]')
    return changed


def run_classes(cfg, phase):
    """The classes of the run's first COCO-format or segmentation dataset, or ``None`` (it has
    neither, or a segmentation dataset without classes)."""
    from . import coco_data, seg_data
    for _, _, dataset in coco_data.coco_files(cfg, phase):
        return coco_data.config_classes(dataset)
    for _, dataset in seg_data.seg_datasets(cfg, phase):
        return seg_data.dataset_classes(dataset)
    return None


def classes_argument(values):
    """``--classes NAME ...`` or ``--classes FILE`` (one name per line) as a tuple, or ``None``.

    Raises:
        mmghost.utils.coco_data.DataError: a name given twice, or a file that names none.
    """
    from .coco_data import DataError
    from .seg_data import read_classes_file
    if not values:
        return None
    if len(values) == 1 and osp.isfile(values[0]):
        return read_classes_file(values[0])
    repeated = sorted({name for name in values if values.count(name) > 1})
    if repeated:
        raise DataError(f'--classes names a class twice: {repeated}')
    return tuple(values)


def choose_classes(cfg, phase, classes_from_data=False, checkpoint=None, classes=None):
    """The classes a run is to have, where they do not come from its config.

    In this order: ``classes`` (``--classes``: on COCO-format data some of its categories,
    :func:`mmghost.utils.coco_data.subset_classes`; on segmentation data the classes of its label
    values), the data's (``--classes-from-data``), or those of a ``checkpoint`` that was
    trained with other classes than the config's (its ``meta.dataset_meta``).

    Returns:
        tuple: Where they come from (for the log), the classes or ``None``, and warnings.

    Raises:
        mmghost.utils.coco_data.DataError: the flags have no COCO-format or segmentation dataset to
            act on, or the data does not give the classes.
    """
    from . import coco_data, seg_data
    coco = next(coco_data.coco_files(cfg, phase), None) is not None
    seg = next(seg_data.seg_datasets(cfg, phase), None) is not None
    flag = '--classes' if classes is not None else '--classes-from-data'
    if (classes is not None or classes_from_data) and not (coco or seg):
        raise coco_data.DataError(
            f'{flag} sets the classes of COCO-format (CocoDataset) or segmentation (mmseg) '
            'datasets, and this run has neither')
    if classes is not None:
        if coco:
            return (flag, *coco_data.subset_classes(cfg, phase, classes))
        return flag, tuple(classes), []
    if classes_from_data:
        if coco:
            return (flag, *coco_data.classes_from_data(cfg, phase))
        return flag, seg_data.classes_from_data(cfg, phase), []
    if checkpoint is not None:
        configured = run_classes(cfg, phase)  # None: no data with classes to test on
        found = coco_data.checkpoint_classes(checkpoint) if configured is not None else None
        if found is not None and found != configured:
            return f'the classes of {checkpoint} (meta.dataset_meta)', found, []
    return None, None, []


def check_or_exit(cfg, phase, config, classes_from_data=False, checkpoint=None, classes=None):
    """Ends the process with one message (exit status 1, no traceback) when data is missing
    (:func:`message`), unreadable, when its classes and the config's disagree
    (:func:`mmghost.utils.coco_data.category_message`,
    :func:`mmghost.utils.seg_data.class_message`), or when its content cannot be trained or
    evaluated on (:func:`mmghost.utils.coco_data.content_problems`: no images, nothing to train on,
    masks missing, image files missing; :func:`mmghost.utils.seg_data.content_problems`: maps
    missing, of colour, or with values beyond the classes); the lesser problems are logged as
    warnings.

    The classes are set first (:func:`set_classes`) where :func:`choose_classes` gives them:
    ``classes`` (``--classes``, a list or a file), ``classes_from_data`` or a ``checkpoint``.
    Explicit ``classes`` are a choice: the categories they leave out are warned about, not
    stopped on.
    """
    from mmengine.logging import print_log

    from . import coco_data, seg_data
    missing = missing_data(cfg, phase)
    if missing:
        raise SystemExit(message(config, missing)) from None
    try:
        classes = classes_argument(classes)
        source, chosen, warnings = choose_classes(cfg, phase, classes_from_data, checkpoint,
                                                  classes)
        if chosen is not None:
            changed = set_classes(cfg, chosen)
            print_log(f'{source}: {len(chosen)} classes {list(chosen)}, set as '
                      + ', '.join(changed), logger='current')
        problem = None if classes is not None else (
            coco_data.category_message(cfg, phase, config)
            or seg_data.class_message(cfg, phase, config))
        if problem is None:
            errors, found = coco_data.content_problems(cfg, phase)
            errors += seg_data.content_problems(cfg, phase)
            warnings += found
            if errors:
                problem = '\n'.join([f'The data of {config} cannot be used as it is:',
                                      *(f'  {error}' for error in errors)])
    except coco_data.DataError as error:
        raise SystemExit(str(error)) from None
    if problem:
        raise SystemExit(problem)
    for warning in warnings:
        print_log(warning, logger='current', level=30)
