"""The synthetic demo dataset: determinism, COCO / ADE validity and consistency, caching."""
import json
import os
import runpy
import sys

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from mmghost.demo import DEMO_CLASSES, DEMO_PALETTE, make_demo_dataset

# pycocotools' own numpy-2 deprecation noise, raised inside annToMask.
pytestmark = pytest.mark.filterwarnings('ignore:__array__ implementation:DeprecationWarning')

NUM_TRAIN, NUM_VAL = 12, 4
SPLITS = (('train', 'training', 'train_ann_file', NUM_TRAIN),
          ('val', 'validation', 'val_ann_file', NUM_VAL))
TIGHT_BOX_TOLERANCE = 2
OLD_MTIME_NS = 1_000_000_000 * 10**9  # 2001: any rewrite moves a file's mtime past this


def _files(root):
    """Maps each file's path relative to ``root`` to its bytes."""
    contents = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                contents[os.path.relpath(path, root)] = f.read()
    return contents


def _age_all_files(root):
    for relative in _files(root):
        os.utime(os.path.join(root, relative), ns=(OLD_MTIME_NS, OLD_MTIME_NS))


def _mtimes(root):
    return {relative: os.stat(os.path.join(root, relative)).st_mtime_ns
            for relative in _files(root)}


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    return make_demo_dataset(root, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=0)


def test_layout_and_exports(dataset):
    assert len(DEMO_PALETTE) == len(DEMO_CLASSES)
    for coco_split, ade_split, ann_key, num_images in SPLITS:
        assert os.path.isfile(dataset[ann_key])
        coco_images = sorted(os.listdir(os.path.join(dataset['coco_root'], coco_split)))
        assert len(coco_images) == num_images
        ade_images = sorted(os.listdir(os.path.join(dataset['ade_root'], 'images', ade_split)))
        ade_labels = sorted(os.listdir(os.path.join(dataset['ade_root'], 'annotations', ade_split)))
        assert ade_images == coco_images
        assert ade_labels == [name.replace('.jpg', '.png') for name in coco_images]


def test_same_parameters_give_identical_bytes(dataset, tmp_path):
    again = make_demo_dataset(tmp_path, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=0)
    assert _files(again['root']) == _files(dataset['root'])


def test_different_seed_gives_different_data(dataset, tmp_path):
    other = make_demo_dataset(tmp_path, num_train=NUM_TRAIN, num_val=NUM_VAL, seed=1)
    ours, theirs = _files(dataset['root']), _files(other['root'])
    assert ours.keys() == theirs.keys()
    differing = [name for name in ours if name.endswith('.jpg') and ours[name] != theirs[name]]
    assert len(differing) == 2 * (NUM_TRAIN + NUM_VAL)


@pytest.mark.parametrize('coco_split, ade_split, ann_key, num_images', SPLITS)
def test_coco_annotations_are_valid_and_tight(dataset, coco_split, ade_split, ann_key,
                                              num_images):
    coco = COCO(dataset[ann_key])
    assert [coco.cats[i]['name'] for i in sorted(coco.cats)] == list(DEMO_CLASSES)
    assert sorted(coco.cats) == list(range(1, len(DEMO_CLASSES) + 1))
    assert len(coco.imgs) == num_images
    assert len(coco.anns) >= num_images  # every image has 1-4 shapes
    for image_info in coco.imgs.values():
        height, width = image_info['height'], image_info['width']
        assert height % 32 == 0 and width % 32 == 0
        path = os.path.join(dataset['coco_root'], coco_split, image_info['file_name'])
        with Image.open(path) as image:
            assert image.mode == 'RGB' and image.size == (width, height)

    for ann in coco.anns.values():
        image_info = coco.imgs[ann['image_id']]
        x, y, w, h = ann['bbox']
        assert ann['iscrowd'] == 0 and w > 0 and h > 0
        assert 0 <= x and 0 <= y and x + w <= image_info['width'] and y + h <= image_info['height']
        mask = coco.annToMask(ann).astype(bool)
        assert 0 < mask.sum() <= ann['area']
        # The polygon runs through boundary pixel centres, so its raster is the visible mask
        # minus part of its rim (a little more at sharp corners): the box hugs the raster to
        # within TIGHT_BOX_TOLERANCE pixels on every side.
        ys, xs = np.nonzero(mask)
        assert x <= xs.min() <= x + TIGHT_BOX_TOLERANCE
        assert y <= ys.min() <= y + TIGHT_BOX_TOLERANCE
        assert xs.max() + 1 <= x + w <= xs.max() + 1 + TIGHT_BOX_TOLERANCE
        assert ys.max() + 1 <= y + h <= ys.max() + 1 + TIGHT_BOX_TOLERANCE


@pytest.mark.parametrize('coco_split, ade_split, ann_key, num_images', SPLITS)
def test_label_maps_match_coco_masks(dataset, coco_split, ade_split, ann_key, num_images):
    coco = COCO(dataset[ann_key])
    for image_id, image_info in coco.imgs.items():
        stem = os.path.splitext(image_info['file_name'])[0]
        with Image.open(os.path.join(dataset['ade_root'], 'annotations', ade_split,
                                     f'{stem}.png')) as label_image:
            assert label_image.mode == 'L'
            labels = np.array(label_image)
        assert labels.shape == (image_info['height'], image_info['width'])
        assert labels.max() <= len(DEMO_CLASSES)

        class_area = np.zeros(len(DEMO_CLASSES) + 1, np.int64)
        for ann in coco.imgToAnns[image_id]:
            mask = coco.annToMask(ann).astype(bool)
            assert np.all(labels[mask] == ann['category_id'])
            class_area[ann['category_id']] += ann['area']
        # Visible masks are disjoint and none is dropped, so the areas add up to the label map.
        assert np.array_equal(class_area[1:], np.bincount(labels.ravel(),
                                                          minlength=len(class_area))[1:])


def test_same_parameters_reuse_existing_files(tmp_path):
    make_demo_dataset(tmp_path, num_train=2, num_val=1, seed=0)
    _age_all_files(tmp_path)
    make_demo_dataset(tmp_path, num_train=2, num_val=1, seed=0)
    assert set(_mtimes(tmp_path).values()) == {OLD_MTIME_NS}


def test_overwrite_rewrites_identical_files(tmp_path):
    make_demo_dataset(tmp_path, num_train=2, num_val=1, seed=0)
    before = _files(tmp_path)
    _age_all_files(tmp_path)
    make_demo_dataset(tmp_path, num_train=2, num_val=1, seed=0, overwrite=True)
    assert OLD_MTIME_NS not in set(_mtimes(tmp_path).values())
    assert _files(tmp_path) == before


def test_changed_parameters_regenerate_without_stale_files(tmp_path):
    make_demo_dataset(tmp_path, num_train=3, num_val=2, seed=0)
    paths = make_demo_dataset(tmp_path, num_train=2, num_val=1, seed=0)
    assert len(os.listdir(os.path.join(paths['coco_root'], 'train'))) == 2
    assert len(os.listdir(os.path.join(paths['ade_root'], 'annotations', 'validation'))) == 1
    with open(os.path.join(tmp_path, 'meta.json')) as f:
        meta = json.load(f)
    assert (meta['num_train'], meta['num_val'], meta['complete']) == (2, 1, True)


def test_refuses_to_replace_folders_it_did_not_write(tmp_path):
    (tmp_path / 'coco').mkdir()
    with pytest.raises(FileExistsError, match='overwrite=True'):
        make_demo_dataset(tmp_path, num_train=1, num_val=1)
    make_demo_dataset(tmp_path, num_train=1, num_val=1, overwrite=True)


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_train=0), 'num_train must be an integer >= 1'),
    (dict(num_train=2.5), 'num_train must be an integer >= 1'),
    (dict(num_val=-1), 'num_val must be an integer >= 1'),
    (dict(num_val=True), 'num_val must be an integer >= 1'),
    (dict(seed=-3), 'seed must be a non-negative integer'),
    (dict(seed='0'), 'seed must be a non-negative integer'),
])
def test_bad_arguments_raise(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_demo_dataset(tmp_path, **kwargs)
    assert not os.listdir(tmp_path)  # nothing written before validation


def test_command_line_tool(tmp_path, monkeypatch, capsys):
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'tools',
                          'make_demo_data.py')
    monkeypatch.setattr(sys, 'argv', [script, '--root', str(tmp_path), '--num-train', '2',
                                      '--num-val', '1', '--seed', '5'])
    runpy.run_path(script, run_name='__main__')
    summary = capsys.readouterr().out
    assert str(tmp_path) in summary and 'train 2 images' in summary and 'val 1 images' in summary


def test_ade_classes_file_names_each_label_value(dataset):
    """``ade/classes.txt``: the class of value 0 (background), then the shapes, as
    ``--classes-from-data`` reads it."""
    from mmghost.utils.seg_data import read_classes_file
    assert read_classes_file(dataset['ade_classes_file']) == ('background', *DEMO_CLASSES)
