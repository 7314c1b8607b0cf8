"""The classes of a detection run, read from its COCO-format data and checked against its config.

mmdet's ``CocoDataset`` keeps only the annotations whose category names are in the config's
``metainfo.classes`` (COCO's 80 by default) and numbers the kept ones in the order of the
annotation file's categories. A dataset whose categories are not those names trains on part of
its boxes, or on none, without a word. This module:

* reads the categories of an annotation file (:func:`coco_categories`), in file order;
* compares them with the classes a config's datasets keep (:func:`category_diff`);
* sets a class list on every dataset of the run and ``num_classes`` on every head of the model
  (:func:`set_classes`, ``tools/train.py --classes-from-data``). The heads are found by walking
  the model config, not from a list of paths: RetinaNet's and YOLOX's ``bbox_head``, Mask
  R-CNN's ``roi_head.bbox_head`` and ``roi_head.mask_head``, and any other head that declares
  ``num_classes``. The RPN is class-agnostic and keeps its own.
"""
import json
import os.path as osp

from .preflight import PHASES, _datasets, _remote

#: model config keys whose ``num_classes`` is not the dataset's (class-agnostic proposals)
CLASS_AGNOSTIC = ('rpn_head', )


class DataError(ValueError):
    """Data that a run cannot use as it is; the message says what and which file."""


def coco_categories(ann_file):
    """The category names of a COCO-format annotation file, in the file's order.

    Raises:
        DataError: the file does not parse, has no ``categories`` or repeats a name.
    """
    try:
        with open(ann_file, encoding='utf-8') as f:
            content = json.load(f)
    except (OSError, ValueError) as error:
        raise DataError(f'Cannot read the annotation file {ann_file}: {error}') from None
    categories = content.get('categories') if isinstance(content, dict) else None
    if not categories:
        raise DataError(f'{ann_file} lists no categories (COCO format: a "categories" list of '
                        '{"id": ..., "name": ...})')
    names = [category['name'] for category in categories]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f'{ann_file} names a category twice: {repeated}')
    return names


def _coco_datasets(cfg, phase):
    """``(dataloader name, dataset config)`` of the run's COCO-format datasets."""
    for name in PHASES[phase]:
        loader = cfg.get(name)
        if not loader:
            continue
        for dataset in _datasets(loader['dataset']):
            if (dataset.get('ann_file') and dataset.get('type') == 'CocoDataset'
                    and not _remote(_ann_path(dataset), dataset)):
                yield name, dataset


def _ann_path(dataset):
    return osp.join(dataset.get('data_root') or '', dataset['ann_file'])


def config_classes(dataset):
    """The classes a dataset config keeps: its ``metainfo.classes``, else its type's."""
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        from mmdet.registry import DATASETS
        classes = DATASETS.get(dataset['type']).METAINFO['classes']
    return tuple(classes)


def category_diff(cfg, phase):
    """How the categories of each COCO-format annotation file of the run differ from the
    classes its dataset keeps.

    Returns:
        list[dict]: One entry per file that differs: ``file``, ``only_in_data`` (names the
        config drops, with how many annotations each), ``only_in_config``.
    """
    differences = []
    for _, dataset in _coco_datasets(cfg, phase):
        path = _ann_path(dataset)
        with open(path, encoding='utf-8') as f:
            content = json.load(f)
        names = {c['id']: c['name'] for c in content.get('categories', [])}
        kept = set(config_classes(dataset))
        counts = {}
        for annotation in content.get('annotations', []):
            name = names.get(annotation.get('category_id'))
            counts[name] = counts.get(name, 0) + 1
        only_in_data = {name: counts.get(name, 0) for name in names.values() if name not in kept}
        only_in_config = sorted(kept - set(names.values()))
        if only_in_data or only_in_config:
            differences.append(dict(file=path, only_in_data=only_in_data,
                                    only_in_config=only_in_config))
    return list({d['file']: d for d in differences}.values())


def set_classes(cfg, classes):
    """Makes ``classes`` the classes of the run: ``metainfo.classes`` of every dataset of the
    dataloaders (through wrappers) and ``num_classes`` of every head of ``cfg.model`` that
    declares one (except :data:`CLASS_AGNOSTIC` ones).

    Returns:
        list[str]: The config keys that were set, for the log.
    """
    changed = []
    for phase in ('train', 'test'):
        for name in PHASES[phase]:
            loader = cfg.get(name)
            if not loader:
                continue
            for dataset in _datasets(loader['dataset']):
                dataset['metainfo'] = dict(dataset.get('metainfo') or {}, classes=tuple(classes))
                changed.append(f'{name} dataset metainfo.classes')
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


def classes_from_data(cfg, phase):
    """The category names of the run's COCO-format annotation files (the first file's order;
    mmdet numbers labels by it), for ``--classes-from-data``.

    Returns:
        tuple: The names, and warnings (categories without any annotation, which stay).

    Raises:
        DataError: the run has no COCO-format dataset, or its files list different categories.
    """
    files = list(dict.fromkeys(_ann_path(dataset) for _, dataset in _coco_datasets(cfg, phase)))
    if not files:
        raise DataError('--classes-from-data reads COCO-format annotation files, and this run '
                        'has no CocoDataset')
    names = coco_categories(files[0])
    for other in files[1:]:
        if coco_categories(other) != names:
            raise DataError(f'{files[0]} and {other} list different categories (or in another '
                            f'order): {names} against {coco_categories(other)}; the training and '
                            'validation files must list the same categories')
    with open(files[0], encoding='utf-8') as f:
        content = json.load(f)
    used = {annotation.get('category_id') for annotation in content.get('annotations', [])}
    empty = [c['name'] for c in content['categories'] if c['id'] not in used]
    warnings = [f'{files[0]}: no annotation of {empty}; kept as classes'] if empty else []
    return tuple(names), warnings


def _names(names, limit=10):
    more = f' ... ({len(names) - limit} more)' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


def category_message(cfg, phase, config):
    """The one message that stops a run whose data and classes disagree, or ``None``."""
    differences = category_diff(cfg, phase)
    if not differences:
        return None
    lines = [f'The classes of {config} do not match the categories of its data:']
    for difference in differences:
        lines.append(f"  {difference['file']}:")
        dropped = difference['only_in_data']
        if dropped:
            lines.append('    in the data, not in the classes (their annotations would be '
                         'dropped): ' + _names([f'{n} ({c})' for n, c in dropped.items()]))
        if difference['only_in_config']:
            lines.append('    in the classes, not in the data (the model would predict them): '
                         + _names(difference['only_in_config']))
    lines += ['Train on the categories of the data with --classes-from-data (sets '
              'metainfo.classes on every dataset',
              "  and num_classes on every head), or set them in the config's metainfo and heads."]
    return '\n'.join(lines)


def checkpoint_classes(checkpoint):
    """The classes a local checkpoint was trained with (``meta.dataset_meta.classes``, which
    mmengine's ``CheckpointHook`` saves), or ``None`` (not a local file, or no classes)."""
    if not osp.isfile(str(checkpoint)):
        return None
    from .checkpoint import read_checkpoint_file
    content = read_checkpoint_file(str(checkpoint), map_location='cpu')
    meta = content.get('meta') if isinstance(content, dict) else None
    classes = ((meta or {}).get('dataset_meta') or {}).get('classes')
    return tuple(classes) if classes else None


def run_classes(cfg, phase):
    """The classes the run's COCO-format datasets keep (the first dataset's), or ``None``."""
    first = next(iter(_coco_datasets(cfg, phase)), None)
    return config_classes(first[1]) if first else None
