"""A user's COCO-format data: its categories against the config's classes (the preflight stops a
run that would drop annotations or predict classes the data lacks) and ``--classes-from-data``
(the data's categories become every dataset's classes and every head's ``num_classes``)."""
import json
import os
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmghost.coco_data import (DataError, category_diff, category_message, classes_from_data,
                             coco_categories, set_classes)
from mmghost.demo import make_demo_dataset
from mmghost.preflight import set_data_root, set_split_paths
from tests.conftest import REPO_ROOT, config_path, load_config

DEMO_CONFIG = config_path('demo/retinanet_pvig-s_fpn_demo.py')
# the demo's shapes renamed: names that are not COCO's, ids from 7, and a fourth category
# without any annotation
RENAMED = {'circle': 'apple', 'square': 'pear', 'triangle': 'quince'}
EMPTY = 'medlar'


def rename_categories(ann_file, names, first_id=7, empty=None):
    """The annotation file with its categories renamed (``names``: old -> new; an old name
    missing from ``names`` keeps its name), their ids moved to start at ``first_id`` (so not
    contiguous from 1), and optionally a category ``empty`` that no annotation uses."""
    with open(ann_file) as f:
        content = json.load(f)
    new_id = {c['id']: first_id + i for i, c in enumerate(content['categories'])}
    for category in content['categories']:
        category['id'] = new_id[category['id']]
        category['name'] = names.get(category['name'], category['name'])
    if empty:
        content['categories'].append(dict(id=first_id + 10, name=empty, supercategory='fruit'))
    for annotation in content['annotations']:
        annotation['category_id'] = new_id[annotation['category_id']]
    with open(ann_file, 'w') as f:
        json.dump(content, f)


@pytest.fixture(scope='module')
def fruit(tmp_path_factory):
    """Demo images in the demo's COCO layout, with fruit categories (ids 7-9, 17 empty)."""
    root = tmp_path_factory.mktemp('fruit')
    make_demo_dataset(root, num_train=6, num_val=2, seed=0)  # every shape in training
    for split in ('train', 'val'):
        rename_categories(root / 'coco' / 'annotations' / f'instances_{split}.json', RENAMED,
                          empty=EMPTY)
    return root / 'coco'


def demo_config_on(data_root):
    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_root(cfg, str(data_root))
    return cfg


def test_categories_are_read_in_file_order(fruit):
    assert coco_categories(fruit / 'annotations' / 'instances_train.json') == [
        'apple', 'pear', 'quince', EMPTY]


@pytest.mark.parametrize('content,message', [
    ('{"images": [', 'Cannot read the annotation file'),
    ('{"images": [], "annotations": []}', 'lists no categories'),
    ('{"images": [], "categories": [{"id": 1, "name": "a"}]}', 'has no "annotations" list'),
    ('{"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}, '
     '{"id": 2, "name": "a"}]}', r"names a category twice: \['a'\]"),
])
def test_unusable_annotation_files_are_named(tmp_path, content, message):
    path = tmp_path / 'instances.json'
    path.write_text(content)
    with pytest.raises(DataError, match=message) as error:
        coco_categories(path)
    assert str(path) in str(error.value)


def test_diff_names_what_would_be_dropped_and_what_the_data_lacks(fruit):
    differences = category_diff(demo_config_on(fruit), 'train')
    assert [d['file'] for d in differences] == [
        str(fruit / 'annotations' / f'instances_{split}.json') for split in ('train', 'val')]
    train = differences[0]
    assert list(train['only_in_data']) == ['apple', 'pear', 'quince', EMPTY]
    assert train['only_in_data'][EMPTY] == 0 and train['only_in_data']['apple'] > 0
    assert train['only_in_config'] == ['circle', 'square', 'triangle']
    text = category_message(demo_config_on(fruit), 'train', 'demo.py')
    assert 'their annotations would be dropped): apple (' in text
    assert 'not in the data (the model would predict them): circle, square, triangle' in text
    assert '--classes-from-data' in text


def test_a_coco_config_on_coco_names_has_no_diff(tmp_path):
    make_demo_dataset(tmp_path, num_train=2, num_val=2, seed=0)
    assert category_diff(demo_config_on(tmp_path / 'coco'), 'train') == []


@pytest.mark.parametrize('config,heads', [
    ('retinanet_pvig_s_coco.py', ['model.bbox_head.num_classes']),
    ('mask-rcnn_pvig-s_fpn_1x_coco.py',
     ['model.roi_head.bbox_head.num_classes', 'model.roi_head.mask_head.num_classes']),
    ('yolox_pvig-s_8xb8-300e_coco.py', ['model.bbox_head.num_classes']),
])
def test_classes_reach_every_dataset_and_every_head_but_the_rpn(config, heads):
    cfg = load_config(config)
    if 'rpn_head' in cfg.model:  # class-agnostic proposals, even where the config says so
        cfg.model.rpn_head.num_classes = 1
    changed = set_classes(cfg, ('apple', 'pear'))
    assert [c for c in changed if c.startswith('model.')] == heads
    for head in heads:
        node = cfg
        for key in head.split('.')[:-1]:
            node = node[key]
        assert node['num_classes'] == 2
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        while 'dataset' in dataset:  # YOLOX's MultiImageMixDataset
            dataset = dataset.dataset
        assert dataset.metainfo['classes'] == ('apple', 'pear')
    if 'rpn_head' in cfg.model:
        assert cfg.model.rpn_head.num_classes == 1


def test_classes_from_data_keep_the_empty_category_with_a_warning(fruit):
    classes, warnings = classes_from_data(demo_config_on(fruit), 'train')
    assert classes == ('apple', 'pear', 'quince', EMPTY)
    assert warnings == [f"{fruit / 'annotations' / 'instances_train.json'}: no annotation of "
                        f"['{EMPTY}']; kept as classes"]


def test_training_and_validation_files_must_list_the_same_categories(tmp_path):
    make_demo_dataset(tmp_path, num_train=2, num_val=2, seed=0)
    rename_categories(tmp_path / 'coco' / 'annotations' / 'instances_val.json', {'circle': 'fig'})
    with pytest.raises(DataError, match='list different categories'):
        classes_from_data(demo_config_on(tmp_path / 'coco'), 'train')


def export_layout(coco_root, root):
    """The demo's COCO files as a labelling tool exports them: ``images/{train,val}/`` and
    ``annotations/{train,val}.json``; returns the ``--ann-files`` / ``--img-dirs`` flags."""
    (root / 'annotations').mkdir(parents=True)
    (root / 'images').mkdir()
    for split in ('train', 'val'):
        (coco_root / split).rename(root / 'images' / split)
        (coco_root / 'annotations' / f'instances_{split}.json').rename(
            root / 'annotations' / f'{split}.json')
    return ['--ann-files', 'train=annotations/train.json', 'val=annotations/val.json',
            '--img-dirs', 'train=images/train/', 'val=images/val/']


def test_split_paths_follow_the_flags_and_refuse_unknown_splits(fruit):
    cfg = demo_config_on('/data/fruit')
    set_split_paths(cfg, dict(train='annotations/train.json', val='annotations/val.json'),
                    dict(train='images/', val='images/'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        split = 'train' if loader.startswith('train') else 'val'
        assert cfg[loader].dataset.ann_file == f'annotations/{split}.json'
        assert cfg[loader].dataset.data_prefix.img == 'images/'
    assert cfg.val_evaluator.ann_file == cfg.test_evaluator.ann_file == \
        '/data/fruit/annotations/val.json'
    with pytest.raises(ValueError, match=r"--img-dirs: unknown split \['valid'\]; give "
                                         r"SPLIT=PATH with SPLIT one of \['train', 'val', "):
        set_split_paths(cfg, img_dirs=dict(valid='images/'))


def train(data_root, work_dir, *flags):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    return subprocess.run(
        [sys.executable, 'tools/train.py', DEMO_CONFIG, '--data-root', str(data_root),
         '--work-dir', str(work_dir), *flags, '--cfg-options', 'train_cfg.max_epochs=1',
         'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False', 'model.test_cfg.score_thr=0.0',
         'model.test_cfg.min_bbox_size=-1', 'default_hooks.logger.interval=1'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_partial_overlap_stops_without_the_flag_and_trains_with_it(tmp_path):
    """An export's layout (``--ann-files``, ``--img-dirs``) whose categories keep two of the
    config's three names: without the flag the run would train on those two and drop the
    third's boxes, so it stops before the runner; with ``--classes-from-data`` it trains on
    all three and evaluates, and tools/test.py evaluates the checkpoint with the classes it was
    trained with."""
    make_demo_dataset(tmp_path, num_train=4, num_val=2, seed=0)
    for split in ('train', 'val'):
        rename_categories(tmp_path / 'coco' / 'annotations' / f'instances_{split}.json',
                          {'triangle': 'quince'})
    data = tmp_path / 'export'
    layout = export_layout(tmp_path / 'coco', data)
    stopped = train(data, tmp_path / 'stopped', *layout)
    assert stopped.returncode == 1, stopped.stderr[-3000:]
    assert 'Traceback' not in stopped.stderr
    assert re.search(r'in the data, not in the classes \(their annotations would be dropped\): '
                     r'quince \(\d+\)', stopped.stderr), stopped.stderr[-3000:]
    trained = train(data, tmp_path / 'trained', *layout, '--classes-from-data')
    output = trained.stdout + trained.stderr
    assert trained.returncode == 0, output[-4000:]
    assert "--classes-from-data: 3 classes ['circle', 'square', 'quince']" in output
    assert 'sampled images' not in output  # every image is where, and the size, it should be
    assert re.search(r'Epoch\(val\).*coco/bbox_mAP: -?\d', output), output[-3000:]
    # tools/test.py takes the classes from the checkpoint's meta.dataset_meta
    checkpoint = tmp_path / 'trained' / 'epoch_1.pth'
    tested = subprocess.run(
        [sys.executable, 'tools/test.py', DEMO_CONFIG, str(checkpoint), '--data-root',
         str(data), *layout, '--work-dir', str(tmp_path / 'tested'), '--cfg-options',
         'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
         'model.test_cfg.score_thr=0.0', 'model.test_cfg.min_bbox_size=-1'],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=REPO_ROOT), capture_output=True,
        text=True, timeout=600)
    output = tested.stdout + tested.stderr
    assert tested.returncode == 0, output[-4000:]
    assert f"the classes of {checkpoint} (meta.dataset_meta): 3 classes" in output
    assert re.search(r'Epoch\(test\).*coco/bbox_mAP: -?\d', output), output[-3000:]


# ---------------------------------------------------------------------------- bad data
def content(**changes):
    """Two 100x80 images (``a.jpg``, ``b.jpg``), a box each, categories 1 and 2."""
    base = dict(
        images=[dict(id=1, file_name='a.jpg', width=100, height=80),
                dict(id=2, file_name='b.jpg', width=100, height=80)],
        annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20], iscrowd=0,
                          segmentation=[[10, 10, 30, 10, 30, 30]]),
                     dict(id=2, image_id=2, category_id=2, bbox=[50, 40, 30, 30], iscrowd=0,
                          segmentation=[[50, 40, 80, 40, 80, 70]])],
        categories=[dict(id=1, name='apple'), dict(id=2, name='pear')])
    base.update(changes)
    return base


@pytest.fixture
def image_dir(tmp_path):
    from PIL import Image
    for name in ('a.jpg', 'b.jpg'):
        Image.new('RGB', (100, 80)).save(tmp_path / name)
    return tmp_path


def problems(image_dir, data, kept=('apple', 'pear'), training=True, masks=False):
    from mmghost.coco_data import file_problems
    return file_problems(data, 'ann.json', str(image_dir), set(kept), training, masks)


def test_good_data_has_no_problem(image_dir):
    assert problems(image_dir, content(), masks=True) == ([], [])


@pytest.mark.parametrize('data,kept,masks,error', [
    (content(images=[]), ('apple', 'pear'), False, 'ann.json holds no image'),
    (content(), ('fig', ), False, r"no image has an annotation of the classes \['fig'\]: "
                                  'nothing to train on'),
    (content(annotations=[dict(id=1, image_id=1, category_id=5, bbox=[1, 1, 5, 5]),
                          dict(id=2, image_id=2, category_id=2, bbox=[1, 1, 5, 5])]),
     ('apple', 'pear'), False, '1 annotations have a category_id that no category has'),
    (content(annotations=[dict(id=1, image_id=1, category_id=1, bbox=[1, 1, 5, 5]),
                          dict(id=2, image_id=2, category_id=2, bbox=[1, 1, 5, 5],
                               segmentation=[[1, 1, 5, 1, 5, 5]])]),
     ('apple', 'pear'), True, r'1 of 2 annotations have no "segmentation", which the config '
                              r'\(Mask R-CNN\) trains on'),
])
def test_data_that_cannot_train_is_an_error(image_dir, data, kept, masks, error):
    errors, _ = problems(image_dir, data, kept, masks=masks)
    assert len(errors) == 1 and re.search(error, errors[0]), errors


def test_missing_image_files_are_counted(image_dir):
    (image_dir / 'b.jpg').unlink()
    errors, _ = problems(image_dir, content())
    assert errors == [f'ann.json: 1 of 2 sampled images are not in {image_dir} (e.g. b.jpg); '
                      '--img-dirs names the folder']


@pytest.mark.parametrize('changes,warning', [
    (dict(categories=[dict(id=7, name='apple'), dict(id=9, name='pear')],
          annotations=[dict(id=1, image_id=1, category_id=7, bbox=[1, 1, 5, 5])]),
     r'category ids \[7, 9\] are not 1..2; fine'),
    (dict(annotations=[dict(id=1, image_id=1, category_id=1, bbox=[90, 70, 20, 20]),
                       dict(id=2, image_id=2, category_id=1, bbox=[-5, 0, 20, 20])]),
     '2 boxes reach outside their image'),
    (dict(annotations=[dict(id=1, image_id=1, category_id=1, bbox=[1, 1, 5, 5]),
                       dict(id=2, image_id=2, category_id=1, bbox=[1, 1, 0, 5])]),
     '1 boxes have no area'),
])
def test_data_that_trains_oddly_is_a_warning(image_dir, changes, warning):
    errors, warnings = problems(image_dir, content(**changes))
    assert errors == [] and len(warnings) == 1 and re.search(warning, warnings[0]), warnings


def test_exif_rotated_images_are_flagged(image_dir):
    from PIL import Image
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when decoded: 80x100
    Image.new('RGB', (100, 80)).save(image_dir / 'a.jpg', exif=exif)
    _, warnings = problems(image_dir, content())
    assert warnings == ['ann.json: 1 of 2 sampled images are not the size the file gives them '
                        '(EXIF rotation applied; e.g. a.jpg): their boxes may not match']


def test_the_preflight_stops_on_unusable_content(tmp_path):
    from mmghost.preflight import check_or_exit
    make_demo_dataset(tmp_path, num_train=2, num_val=2, seed=0)
    for image in (tmp_path / 'coco' / 'train').iterdir():
        image.unlink()
    with pytest.raises(SystemExit, match=r'The data of demo.py cannot be used as it is:\n  .*'
                                         r'instances_train.json: 2 of 2 sampled images are not'):
        check_or_exit(demo_config_on(tmp_path / 'coco'), 'train', 'demo.py')


# ---------------------------------------------------------------------------- adapted config
def test_adapted_config_carries_paths_classes_and_heads(tmp_path, fruit):
    """``tools/misc/adapt_dataset.py``: Mask R-CNN on an export's layout with its own classes;
    the written config inherits the source, loads, and passes the preflight as it is."""
    import shutil

    from mmghost.preflight import check_or_exit
    from tests.conftest import load_tool
    data = tmp_path / 'export'
    shutil.copytree(fruit, tmp_path / 'coco')
    layout = export_layout(tmp_path / 'coco', data)
    out = tmp_path / 'configs' / 'mask-rcnn_fruit.py'
    tool = load_tool('tools/misc/adapt_dataset.py')
    source = config_path('demo/mask-rcnn_pvig-s_fpn_demo.py')
    assert tool.main([source, str(data), '-o', str(out), *layout, '--classes-from-data']) == 0
    text = out.read_text()
    assert "_base_ = '" + os.path.relpath(source, out.parent) + "'" in text
    assert '# num_classes = the 4 classes of the data' in text
    cfg = Config.fromfile(out)
    assert cfg.model.roi_head.bbox_head.num_classes == cfg.model.roi_head.mask_head.num_classes \
        == 4
    assert cfg.train_dataloader.dataset.metainfo.classes == ('apple', 'pear', 'quince', EMPTY)
    assert cfg.train_dataloader.dataset.ann_file == 'annotations/train.json'
    assert cfg.val_evaluator.ann_file == str(data / 'annotations' / 'val.json')
    check_or_exit(cfg, 'train', str(out))  # no flag needed any more
