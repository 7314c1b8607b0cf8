"""A detection run's COCO-format data: its annotation files read once, their categories against
the config's classes, ``--classes-from-data``, and the checks of their content.

mmdet's ``CocoDataset`` keeps only the annotations whose category names are in the config's
``metainfo.classes`` (COCO's 80 by default) and numbers the kept ones in the order of the
annotation file's categories. A dataset whose categories are not those names trains on part of
its boxes, or on none, without a word. This module:

* reads the categories of an annotation file (:func:`coco_categories`), in file order;
* compares them with the classes a config's datasets keep (:func:`category_diff`);
* gives the classes of ``--classes-from-data`` (:func:`classes_from_data`: the categories, in
  the file's order) and of ``--classes`` (:func:`subset_classes`: some of them, in the file's
  order), which :func:`mmghost.utils.preflight.set_classes` sets on the run;
* checks what the files hold (:func:`content_problems`): images, annotations, boxes inside their
  images, masks where the pipeline loads them, and a sample of the image files.
"""
import functools
import json
import os
import os.path as osp

from .preflight import PHASES, _datasets, _remote

#: how many image files of each annotation file are opened (the first and the last half)
IMAGE_SAMPLE = 20


class DataError(ValueError):
    """Data that a run cannot use as it is; the message says what and which file."""


def read_annotations(ann_file):
    """The content of a COCO-format annotation file (read once per version of the file).

    Raises:
        DataError: the file does not parse, lacks the ``images`` / ``annotations`` /
            ``categories`` lists, or names a category twice.
    """
    try:
        return _read(ann_file, os.stat(ann_file).st_mtime_ns)
    except OSError as error:
        raise DataError(f'Cannot read the annotation file {ann_file}: {error}') from None


@functools.lru_cache(maxsize=8)
def _read(ann_file, mtime):
    try:
        with open(ann_file, encoding='utf-8') as f:
            content = json.load(f)
    except (OSError, ValueError) as error:
        raise DataError(f'Cannot read the annotation file {ann_file}: {error}') from None
    if not isinstance(content, dict) or not content.get('categories'):
        raise DataError(f'{ann_file} lists no categories (COCO format: a "categories" list of '
                        '{"id": ..., "name": ...})')
    for key in ('images', 'annotations'):
        if not isinstance(content.get(key), list):
            raise DataError(f'{ann_file} has no "{key}" list (COCO format)')
    names = [category['name'] for category in content['categories']]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f'{ann_file} names a category twice: {repeated}')
    return content


def coco_categories(ann_file):
    """The category names of a COCO-format annotation file, in the file's order.

    Raises:
        DataError: see :func:`read_annotations`.
    """
    return [category['name'] for category in read_annotations(ann_file)['categories']]


def annotation_counts(content):
    """Category name -> number of annotations, for every category of the file (0 included)."""
    names = {c['id']: c['name'] for c in content['categories']}
    counts = dict.fromkeys(names.values(), 0)
    for annotation in content['annotations']:
        name = names.get(annotation.get('category_id'))
        if name is not None:
            counts[name] += 1
    return counts


def coco_files(cfg, phase):
    """``(dataloader name, annotation file, dataset config)`` of the run's COCO-format
    datasets, each local annotation file once (the first dataset that reads it)."""
    seen = set()
    for name in PHASES[phase]:
        loader = cfg.get(name)
        if not loader:
            continue
        for dataset in _datasets(loader['dataset']):
            if not dataset.get('ann_file') or dataset.get('type') != 'CocoDataset':
                continue
            path = _ann_path(dataset)
            if path not in seen and not _remote(path, dataset):
                seen.add(path)
                yield name, path, dataset


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
    for _, path, dataset in coco_files(cfg, phase):
        counts = annotation_counts(read_annotations(path))
        kept = set(config_classes(dataset))
        only_in_data = {name: count for name, count in counts.items() if name not in kept}
        only_in_config = sorted(kept - set(counts))
        if only_in_data or only_in_config:
            differences.append(dict(file=path, only_in_data=only_in_data,
                                    only_in_config=only_in_config))
    return differences


def classes_from_data(cfg, phase):
    """The category names of the run's COCO-format annotation files (the first file's order;
    mmdet numbers labels by it), for ``--classes-from-data``.

    Returns:
        tuple: The names, and warnings (categories without any annotation, which stay).

    Raises:
        DataError: the run has no COCO-format dataset, or its files list different categories.
    """
    files = [path for _, path, _ in coco_files(cfg, phase)]
    if not files:
        raise DataError('--classes-from-data reads COCO-format annotation files, and this run '
                        'has no CocoDataset')
    names = coco_categories(files[0])
    for other in files[1:]:
        if coco_categories(other) != names:
            raise DataError(f'{files[0]} and {other} list different categories (or in another '
                            f'order): {names} against {coco_categories(other)}; the training and '
                            'validation files must list the same categories')
    counts = annotation_counts(read_annotations(files[0]))
    empty = [name for name, count in counts.items() if not count]
    warnings = [f'{files[0]}: no annotation of {empty}; kept as classes'] if empty else []
    return tuple(names), warnings


def subset_classes(cfg, phase, names):
    """``--classes`` on COCO-format data: the categories to train on, put in the order of the
    annotation files (mmdet numbers the labels by it).

    Returns:
        tuple: The names, and warnings (the order changed; the annotations each file drops).

    Raises:
        DataError: a name is not a category of every annotation file (the valid ones named).
    """
    files = [path for _, path, _ in coco_files(cfg, phase)]
    kept = tuple(name for name in coco_categories(files[0]) if name in names)
    warnings = []
    if list(kept) != list(names) and set(kept) == set(names):
        warnings.append(f'--classes: in the order of the categories of {files[0]}, by which '
                        f'mmdet numbers the labels: {list(kept)}')
    for path in files:
        categories = coco_categories(path)
        unknown = [name for name in names if name not in categories]
        if unknown:
            raise DataError(f'--classes: {unknown} are not categories of {path}; its '
                            f'categories: {_names(categories, 30)}')
        counts = annotation_counts(read_annotations(path))
        dropped = [f'{name} ({count})' for name, count in counts.items() if name not in kept]
        if dropped:
            warnings.append(f'{path}: --classes drops the annotations of {_names(dropped)}')
    return kept, warnings


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
    from ..weights.checkpoint import read_checkpoint_file
    content = read_checkpoint_file(str(checkpoint), map_location='cpu')
    meta = content.get('meta') if isinstance(content, dict) else None
    classes = ((meta or {}).get('dataset_meta') or {}).get('classes')
    return tuple(classes) if classes else None


def loads_masks(node):
    """Whether a config part loads instance masks (``LoadAnnotations(with_mask=True)``)."""
    if isinstance(node, dict):
        if node.get('type') == 'LoadAnnotations' and node.get('with_mask'):
            return True
        return any(loads_masks(value) for value in node.values())
    if isinstance(node, (list, tuple)):
        return any(loads_masks(value) for value in node)
    return False


def _image_size(path):
    """``(width, height)`` of an image file as decoded, EXIF orientation applied."""
    from PIL import Image
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)  # EXIF Orientation
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _sample(items):
    half = IMAGE_SAMPLE // 2
    return items if len(items) <= IMAGE_SAMPLE else items[:half] + items[-half:]


def file_problems(content, ann_file, image_dir, kept, training, masks):
    """What is wrong with one annotation file and its images: ``(errors, warnings)``, each a
    list of one-line messages with counts.

    Args:
        content (dict): The file's content (:func:`read_annotations`).
        ann_file (str): Its path, for the messages.
        image_dir (str): The folder its ``file_name`` s are relative to.
        kept (set[str]): The classes the dataset keeps.
        training (bool): A training set: it needs annotated images.
        masks (bool): The pipeline loads masks: annotations need ``segmentation``.
    """
    errors, warnings = [], []
    images = content['images']
    if not images:
        return [f'{ann_file} holds no image'], []
    by_id = {image['id']: image for image in images}
    names = {c['id']: c['name'] for c in content['categories']}
    usable = [a for a in content['annotations'] if names.get(a.get('category_id')) in kept
              and not a.get('iscrowd')]
    if training and not {a['image_id'] for a in usable}:
        errors.append(f'{ann_file}: no image has an annotation of the classes {sorted(kept)}: '
                      'nothing to train on')
    unknown = sum(a.get('category_id') not in names for a in content['annotations'])
    if unknown:
        errors.append(f'{ann_file}: {unknown} annotations have a category_id that no category '
                      'has')
    ids = sorted(names)
    if ids != list(range(1, len(ids) + 1)):
        warnings.append(f'{ann_file}: category ids {ids} are not 1..{len(ids)}; fine: mmdet '
                        'numbers the classes by the order of the categories')
    degenerate = outside = 0
    for annotation in usable:
        x, y, w, h = annotation['bbox']
        image = by_id.get(annotation['image_id'], {})
        if w <= 0 or h <= 0:
            degenerate += 1
        elif x < -1 or y < -1 or x + w > image.get('width', x + w) + 1 or \
                y + h > image.get('height', y + h) + 1:
            outside += 1
    if degenerate:
        warnings.append(f'{ann_file}: {degenerate} boxes have no area (width or height <= 0); '
                        'mmdet skips them')
    if outside:
        warnings.append(f'{ann_file}: {outside} boxes reach outside their image (by more than '
                        '1 px); they train unclipped')
    if masks:
        bare = sum(not a.get('segmentation') for a in usable)
        if bare:
            errors.append(f'{ann_file}: {bare} of {len(usable)} annotations have no '
                          '"segmentation", which the config (Mask R-CNN) trains on')
    sample = _sample(images)
    missing = [image for image in sample
               if not osp.isfile(osp.join(image_dir, image['file_name']))]
    if missing:
        errors.append(f'{ann_file}: {len(missing)} of {len(sample)} sampled images are not in '
                      f'{image_dir} (e.g. {missing[0]["file_name"]}); --img-dirs names the folder')
    resized = [image['file_name'] for image in sample if image not in missing and
               'width' in image and _image_size(osp.join(image_dir, image['file_name'])) !=
               (image['width'], image['height'])]
    if resized:
        warnings.append(f'{ann_file}: {len(resized)} of {len(sample)} sampled images are not '
                        f'the size the file gives them (EXIF rotation applied; e.g. '
                        f'{resized[0]}): their boxes may not match')
    return errors, warnings


def content_problems(cfg, phase):
    """:func:`file_problems` of every COCO-format annotation file of the run (each once)."""
    errors, warnings = [], []
    for name, path, dataset in coco_files(cfg, phase):
        image_dir = osp.join(dataset.get('data_root') or '',
                             (dataset.get('data_prefix') or {}).get('img', ''))
        found = file_problems(read_annotations(path), path, image_dir,
                              set(config_classes(dataset)), name == 'train_dataloader',
                              loads_masks(dataset.get('pipeline')))
        errors += found[0]
        warnings += found[1]
    return errors, warnings
