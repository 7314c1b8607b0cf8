"""A segmentation run's own data: its classes (a ``classes.txt`` next to the maps, or
``--classes``), ``--reduce-zero-label`` and the suffixes, and the checks of its label maps.

An mmseg dataset is a folder of images and a folder of label maps whose pixel values are class
indices; nothing in the maps names the classes. mmseg trusts the config: a config with fewer
classes than the maps' values fails late (a CUDA device-side assert, or ``Target 7 is out of
bounds`` on a CPU), with more it trains on classes that never occur. This module:

* reads the classes of the data from ``DATA_ROOT/classes.txt`` (:data:`CLASSES_FILE`: one name
  per line, in the order of their label values: mmseg's ``metainfo.classes``) for
  ``--classes-from-data``, and compares them with the config's (:func:`class_message`);
* makes a dataset type that names its own classes (``ADE20KDataset``) a ``BaseSegDataset`` with
  the same suffixes and ``reduce_zero_label`` when other classes are set
  (:func:`plain_dataset`): mmseg accepts only a subset of a named type's classes;
* sets ``reduce_zero_label`` on the datasets and on their ``LoadAnnotations``, which mmseg
  requires to agree (:func:`set_reduce_zero_label`), and the suffixes (:func:`set_suffixes`);
* checks what the folders hold (:func:`content_problems`): images of the suffix, a map for each,
  and a sample of the maps: one channel, and no value beyond the classes.
"""
import inspect
import os
import os.path as osp

import numpy as np

from .coco_data import DataError, _names, _sample
from .preflight import PHASES, _datasets, _remote

#: the classes of a segmentation dataset, under its data root
CLASSES_FILE = 'classes.txt'
#: label map value that mmseg ignores (``ignore_index`` of the datasets and decode heads)
IGNORE_INDEX = 255


def is_seg_dataset(dataset):
    """Whether a dataset config is an mmseg segmentation dataset (a ``BaseSegDataset``)."""
    dataset_class = _dataset_class(dataset.get('type'))
    if dataset_class is None:
        return False
    from mmseg.datasets import BaseSegDataset
    return issubclass(dataset_class, BaseSegDataset)


def _dataset_class(name):
    if not isinstance(name, str):
        return None
    try:
        from mmseg.registry import DATASETS
    except ImportError:
        return None
    return DATASETS.get(name if '.' in name else f'mmseg.{name}')


def every_seg_dataset(cfg):
    """The local segmentation dataset configs of every dataloader of ``cfg`` (train and test)."""
    for phase in ('train', 'test'):
        for _, dataset in seg_datasets(cfg, phase):
            yield dataset


def seg_datasets(cfg, phase):
    """``(dataloader name, dataset config)`` of the run's local segmentation datasets."""
    for name in PHASES[phase]:
        loader = cfg.get(name)
        if not loader:
            continue
        for dataset in _datasets(loader['dataset']):
            if is_seg_dataset(dataset) and not _remote(dataset.get('data_root') or '', dataset):
                yield name, dataset


def _setting(dataset, key):
    """A dataset config's ``key``, else its type's default (``ADE20KDataset``: ``.jpg``,
    ``.png``, ``reduce_zero_label=True``; ``BaseSegDataset``: ``.jpg``, ``.png``, False)."""
    if key in dataset:
        return dataset[key]
    dataset_class = _dataset_class(dataset['type'])
    for klass in dataset_class.__mro__:
        parameter = inspect.signature(klass.__init__).parameters.get(key)
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            return parameter.default
    raise KeyError(key)


def read_classes_file(path):
    """The class names of a classes file: one per line, blank lines and ``#`` comments skipped.

    Raises:
        DataError: the file cannot be read, names no class, or names one twice.
    """
    try:
        with open(path, encoding='utf-8') as f:
            names = [line.split('#')[0].strip() for line in f]
    except OSError as error:
        raise DataError(f'Cannot read the classes file {path}: {error}') from None
    names = tuple(name for name in names if name)
    if not names:
        raise DataError(f'{path} names no class (one class name per line)')
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f'{path} names a class twice: {repeated}')
    return names


def classes_file(dataset):
    """The path of a segmentation dataset's :data:`CLASSES_FILE`."""
    return osp.join(dataset.get('data_root') or '', CLASSES_FILE)


def classes_from_data(cfg, phase):
    """The classes in the :data:`CLASSES_FILE` of the run's segmentation data.

    Raises:
        DataError: there is no such file (the message says what to write), or the datasets'
            files differ.
    """
    files = list(dict.fromkeys(classes_file(d) for _, d in seg_datasets(cfg, phase)))
    missing = [path for path in files if not osp.isfile(path)]
    if missing:
        raise DataError(
            f'--classes-from-data: label maps do not name their classes, and {missing[0]} is '
            'not there. Write it (the class of label value 0 on the first line, 1 on the '
            'second, ...; with --reduce-zero-label the class of value 1 first), or give them '
            'with --classes NAME ... (or --classes FILE)')
    found = {path: read_classes_file(path) for path in files}
    if len(set(found.values())) > 1:
        raise DataError(f'The classes files of the run differ: {found}')
    return found[files[0]]


def plain_dataset(dataset, classes):
    """Makes a dataset config of a type that names other classes than ``classes``
    (``ADE20KDataset``) a ``BaseSegDataset`` that reads the same files, so that it takes them."""
    own = (_dataset_class(dataset['type']).METAINFO or {}).get('classes')
    if not own or tuple(own) == tuple(classes):
        return
    for key in ('img_suffix', 'seg_map_suffix', 'reduce_zero_label'):
        dataset[key] = _setting(dataset, key)
    dataset['type'] = 'BaseSegDataset'


def set_reduce_zero_label(cfg, value=True):
    """``--reduce-zero-label`` (``value`` true: label value 0 is ignored and value ``i`` is class
    ``i - 1``) or ``--no-reduce-zero-label`` (false: every value is its class), on every
    segmentation dataset of the run and on the ``LoadAnnotations`` of its pipeline that set it
    (mmseg asserts that they agree)."""
    for dataset in every_seg_dataset(cfg):
        dataset['reduce_zero_label'] = value
        for transform in dataset.get('pipeline') or []:
            if transform.get('type') == 'LoadAnnotations' and 'reduce_zero_label' in transform:
                transform['reduce_zero_label'] = value


def set_suffixes(cfg, img_suffix=None, seg_map_suffix=None):
    """``--img-suffix`` / ``--seg-map-suffix`` on every segmentation dataset of the run."""
    for dataset in every_seg_dataset(cfg):
        if img_suffix:
            dataset['img_suffix'] = img_suffix
        if seg_map_suffix:
            dataset['seg_map_suffix'] = seg_map_suffix


def class_message(cfg, phase, config):
    """The message that stops a run whose classes differ from its data's
    :data:`CLASSES_FILE`, or ``None`` (no such file, or the same classes)."""
    for _, dataset in seg_datasets(cfg, phase):
        path = classes_file(dataset)
        if not osp.isfile(path):
            continue
        data, configured = read_classes_file(path), dataset_classes(dataset)
        if configured != data:
            return '\n'.join([
                f'The classes of {config} do not match {path}:',
                f'  {path} ({len(data)}): {_names(data)}',
                f'  the config ({len(configured or ())}): '
                + (_names(configured) if configured else 'none'),
                'Train on the classes of the data with --classes-from-data (sets '
                'metainfo.classes on every dataset',
                "  and num_classes on every head), or set them in the config's metainfo and "
                'heads.'])
    return None


def dataset_classes(dataset):
    """The classes a segmentation dataset config has: its ``metainfo.classes``, else its
    type's, else ``None``."""
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        classes = (_dataset_class(dataset['type']).METAINFO or {}).get('classes')
    return tuple(classes) if classes is not None else None


def _files(folder, suffix):
    """Paths under ``folder`` (recursively, as mmseg lists them) that end with ``suffix``,
    relative to it, sorted."""
    found = []
    for root, _, names in os.walk(folder):
        found += [osp.relpath(osp.join(root, name), folder) for name in names
                  if name.endswith(suffix)]
    return sorted(found)


def _suffixes(folder):
    return sorted({osp.splitext(name)[1] for name in _files(folder, '')} - {''})


def map_problems(dataset, where):
    """What is wrong with one segmentation dataset's folders: one-line messages with counts.

    Args:
        dataset (dict): The dataset config (its paths joined to its ``data_root``).
        where (str): The dataloader, for the messages.
    """
    root = dataset.get('data_root') or ''
    prefix = dataset.get('data_prefix') or {}
    image_dir = osp.join(root, prefix.get('img_path', ''))
    map_dir = osp.join(root, prefix['seg_map_path']) if 'seg_map_path' in prefix else None
    img_suffix = _setting(dataset, 'img_suffix')
    map_suffix = _setting(dataset, 'seg_map_suffix')
    if dataset.get('ann_file'):  # a split list: the maps are checked where they are loaded
        return []
    images = _files(image_dir, img_suffix)
    if not images:
        return [f'{where}: no *{img_suffix} image in {image_dir} (found {_suffixes(image_dir)}; '
                '--img-suffix sets it)']
    if map_dir is None:
        return []
    maps = [image[:-len(img_suffix)] + map_suffix for image in images]
    missing = [name for name in maps if not osp.isfile(osp.join(map_dir, name))]
    errors = []
    if missing:
        errors.append(f'{where}: {len(missing)} of {len(images)} images have no label map '
                      f'{map_dir}/<name>{map_suffix} (e.g. {missing[0]}; the maps there: '
                      f'{_suffixes(map_dir)}; --seg-map-suffix sets it)')
    classes = dataset_classes(dataset)
    if classes is None:
        errors.append(f'{where}: the dataset has no classes; give them with --classes or '
                      f'--classes-from-data ({CLASSES_FILE} under the data root)')
        return errors
    reduce = _setting(dataset, 'reduce_zero_label')
    return errors + _value_problems(
        [osp.join(map_dir, m) for m in _sample(maps) if m not in missing], len(classes), reduce,
        where)


def _value_problems(paths, num_classes, reduce_zero_label, where):
    """The label maps' channels and values against ``num_classes`` classes."""
    from PIL import Image
    colour, beyond, largest = [], [], 0
    for path in paths:
        with Image.open(path) as image:
            values = np.asarray(image)
        if values.ndim == 3 and values.shape[-1] > 1:
            colour.append(path)
            continue
        labels = values.astype(np.int64).ravel()
        labels = labels[labels != IGNORE_INDEX]
        if reduce_zero_label:
            labels = labels[labels != 0] - 1
        if labels.size and labels.max() >= num_classes:
            beyond.append(path)
            largest = max(largest, int(labels.max()))
    errors = []
    if colour:
        errors.append(f'{where}: {len(colour)} of {len(paths)} sampled label maps are colour '
                      f'images (e.g. {colour[0]}); mmseg reads one channel of class indices '
                      "(a PNG of mode 'L' or 'P')")
    if beyond:
        value = largest + 1 if reduce_zero_label else largest
        shift = (', value i is class i - 1 (--reduce-zero-label)' if reduce_zero_label else
                 ', value i is class i (--reduce-zero-label: value 0 is ignored and i is '
                 'class i - 1)')
        errors.append(f'{where}: {len(beyond)} of {len(paths)} sampled label maps hold value '
                      f'{value} (e.g. {beyond[0]}), beyond the {num_classes} classes (values '
                      f'{IGNORE_INDEX} are ignored{shift}); --classes names them')
    return errors


def content_problems(cfg, phase):
    """:func:`map_problems` of every segmentation dataset of the run (each folder once)."""
    errors, seen = [], set()
    for name, dataset in seg_datasets(cfg, phase):
        key = (dataset.get('data_root'), str(dataset.get('data_prefix')))
        if key not in seen:
            seen.add(key)
            errors += map_problems(dataset, name)
    return errors
