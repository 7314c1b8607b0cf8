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

from mmghost.utils.coco_data import (DataError, category_diff, category_message, classes_from_data,
                             coco_categories)
from mmghost.demo import DEMO_CLASSES, make_demo_dataset
from mmghost.utils.preflight import set_classes, set_data_root, set_split_paths
from tests.helpers import REPO_ROOT, config_path, load_config

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


def demo_config_on(data_root, classes=DEMO_CLASSES):
    """The RetinaNet demo config on ``data_root``, with ``classes`` (the shapes: a config
    written for the demo data; ``None``: the config's own, COCO's 80)."""
    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_root(cfg, str(data_root))
    if classes is not None:
        set_classes(cfg, classes)
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


def test_a_config_on_its_own_names_has_no_diff(tmp_path):
    make_demo_dataset(tmp_path, num_train=2, num_val=2, seed=0)
    assert category_diff(demo_config_on(tmp_path / 'coco'), 'train') == []


def test_a_coco_config_on_the_shapes_data_stops_with_the_diff(demo_root):
    """The headline config (COCO's 80 classes) pointed at the demo's shapes: every shape would
    be dropped; the message counts them and names the COCO classes the data lacks."""
    cfg = load_config('retinanet_pvig_s_coco.py')
    set_data_root(cfg, os.path.join(demo_root, 'coco') + '/')
    set_split_paths(cfg, dict(train='annotations/instances_train.json',
                              val='annotations/instances_val.json'),
                    dict(train='train/', val='val/'))
    text = category_message(cfg, 'train', 'retinanet_pvig_s_coco.py')
    train = os.path.join(demo_root, 'coco', 'annotations', 'instances_train.json')
    assert text.startswith('The classes of retinanet_pvig_s_coco.py do not match the categories '
                           f'of its data:\n  {train}:\n    in the data, not in the classes '
                           '(their annotations would be dropped): circle (')
    assert re.search(r'not in the data \(the model would predict them\): airplane, apple, '
                     r'backpack, .* \(70 more\)', text)


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
    """An export's layout (``--ann-files``, ``--img-dirs``) whose categories are two of the
    config's COCO names and one other: without the flag the run would train on the two and
    drop the third's boxes, so it stops before the runner; with ``--classes-from-data`` it
    trains on all three and evaluates, and tools/test.py evaluates the checkpoint with the
    classes it was trained with."""
    make_demo_dataset(tmp_path, num_train=4, num_val=2, seed=0)
    for split in ('train', 'val'):
        rename_categories(tmp_path / 'coco' / 'annotations' / f'instances_{split}.json',
                          {'circle': 'apple', 'square': 'orange', 'triangle': 'quince'})
    data = tmp_path / 'export'
    layout = export_layout(tmp_path / 'coco', data)
    stopped = train(data, tmp_path / 'stopped', *layout)
    assert stopped.returncode == 1, stopped.stderr[-3000:]
    assert 'Traceback' not in stopped.stderr
    assert re.search(r'in the data, not in the classes \(their annotations would be dropped\): '
                     r'quince \(\d+\)\n', stopped.stderr), stopped.stderr[-3000:]
    trained = train(data, tmp_path / 'trained', *layout, '--classes-from-data')
    output = trained.stdout + trained.stderr
    assert trained.returncode == 0, output[-4000:]
    assert "--classes-from-data: 3 classes ['apple', 'orange', 'quince']" in output
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
    from mmghost.utils.coco_data import file_problems
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
    from mmghost.utils.preflight import check_or_exit
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

    from mmghost.utils.preflight import check_or_exit
    from tests.helpers import load_tool
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


def one_iteration(config, work_dir):
    """Trains ``config`` (a file) for one iteration of two images and validates it, in this
    process; returns the validation metrics."""
    from mmengine.hooks import Hook

    from mmghost.utils.runtime import build_runner, setup_task
    from tests.helpers import keep_every_prediction
    cfg = Config.fromfile(config)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = 2
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        cfg.train_cfg.update(max_iters=1, val_interval=1)
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
        dataset = cfg.train_dataloader.dataset
        while 'dataset' in dataset:  # YOLOX's MultiImageMixDataset
            dataset = dataset.dataset
        dataset.indices = 2  # two images: one iteration
    keep_every_prediction(cfg.model.get('test_cfg', {}))
    cfg.default_hooks.checkpoint = None
    cfg.update(work_dir=str(work_dir), launcher='none')

    class KeepMetrics(Hook):
        def after_val_epoch(self, runner, metrics=None):
            self.metrics = metrics

    setup_task(cfg)
    runner = build_runner(cfg)
    keeper = KeepMetrics()
    runner.register_hook(keeper, priority='LOWEST')
    runner.train()
    return keeper.metrics


@pytest.mark.parametrize('demo,metric', [
    ('retinanet_pvig-s_fpn_demo.py', 'coco/bbox_mAP'),
    ('mask-rcnn_pvig-s_fpn_demo.py', 'coco/segm_mAP'),
    ('yolox_pvig-s_demo.py', 'coco/bbox_mAP'),
])
def test_adapted_configs_train_and_evaluate(demo, metric, fruit, tmp_path):
    """An export with names that are not COCO's, ids from 7 and a category without any
    annotation: the adapted config of each detector trains one iteration and evaluates."""
    from tests.helpers import load_tool
    out = tmp_path / f'{demo[:-3]}_fruit.py'
    tool = load_tool('tools/misc/adapt_dataset.py')
    assert tool.main([config_path(f'demo/{demo}'), str(fruit), '-o', str(out),
                      '--classes-from-data']) == 0
    metrics = one_iteration(out, tmp_path / 'work')
    assert metric in metrics and metrics[metric] >= 0, metrics


# ---------------------------------------------------------------------------- --classes
def test_explicit_classes_are_a_subset_in_file_order(fruit):
    from mmghost.utils.preflight import check_or_exit
    cfg = demo_config_on(fruit, classes=None)
    check_or_exit(cfg, 'train', 'demo.py', classes=['pear', 'apple'])  # no stop: a choice
    assert cfg.train_dataloader.dataset.metainfo.classes == ('apple', 'pear')
    assert cfg.model.bbox_head.num_classes == 2
    with pytest.raises(SystemExit, match=r"--classes: \['fig'\] are not categories of .*"
                                         r"train.json; its categories: apple, pear, quince, "):
        check_or_exit(demo_config_on(fruit, classes=None), 'train', 'demo.py',
                      classes=['apple', 'fig'])


def test_explicit_classes_say_what_they_drop(fruit):
    from mmghost.utils.coco_data import subset_classes
    kept, warnings = subset_classes(demo_config_on(fruit), 'train', ('pear', 'apple'))
    assert kept == ('apple', 'pear')
    train = fruit / 'annotations' / 'instances_train.json'
    assert warnings[0] == (f'--classes: in the order of the categories of {train}, by which '
                           "mmdet numbers the labels: ['apple', 'pear']")
    assert re.fullmatch(rf'{train}: --classes drops the annotations of quince \(\d+\), '
                        rf'{EMPTY} \(0\)', warnings[1])


def test_classes_argument_takes_names_or_a_file(tmp_path):
    from mmghost.utils.preflight import classes_argument
    path = tmp_path / 'classes.txt'
    path.write_text('# fruit\napple\n\npear  # the green ones\n')
    assert classes_argument([str(path)]) == ('apple', 'pear')
    assert classes_argument(['apple']) == ('apple', )
    assert classes_argument(None) is None
    with pytest.raises(DataError, match=r"--classes names a class twice: \['a'\]"):
        classes_argument(['a', 'b', 'a'])
    path.write_text('# none\n')
    with pytest.raises(DataError, match='names no class'):
        classes_argument([str(path)])


# ---------------------------------------------------------------------------- segmentation
SEG_CONFIG = config_path('demo/upernet_pvig-s_demo.py')
#: five classes on the label values 1-5; 0 is "unlabelled" (--reduce-zero-label)
FIVE = ('road', 'grass', 'water', 'roof', 'tree')


@pytest.fixture(scope='module')
def five(tmp_path_factory):
    """The demo's ADE-style maps (values 0-3) made a five-class set with 0 unlabelled: a band of
    value 4 and one of 5 painted on every map, and ``classes.txt`` naming values 1-5."""
    import numpy as np
    from PIL import Image
    root = tmp_path_factory.mktemp('five')
    make_demo_dataset(root, num_train=4, num_val=2, seed=0)
    ade = root / 'ade'
    for path in (ade / 'annotations').rglob('*.png'):
        labels = np.array(Image.open(path))
        labels[:8] = 4
        labels[-8:] = 5
        Image.fromarray(labels, mode='L').save(path)
    (ade / 'classes.txt').write_text('\n'.join(FIVE) + '\n')
    return ade


def seg_config_on(data_root, *flags):
    """The UperNet demo config on ``data_root`` with the data flags of tools/train.py."""
    import argparse

    from mmghost.utils.runtime import add_data_arguments, apply_data_arguments
    parser = argparse.ArgumentParser()
    add_data_arguments(parser)
    args = parser.parse_args(['--data-root', str(data_root), *flags])
    cfg = Config.fromfile(SEG_CONFIG)
    apply_data_arguments(cfg, args)
    return cfg, args


def seg_check(data_root, *flags):
    from mmghost.utils.preflight import check_or_exit
    cfg, args = seg_config_on(data_root, *flags)
    check_or_exit(cfg, 'train', 'upernet.py', args.classes_from_data, classes=args.classes)
    return cfg


def test_five_classes_with_reduce_zero_label_train_and_evaluate(five, tmp_path):
    """``adapt_dataset.py`` with ``--reduce-zero-label --classes-from-data`` writes the UperNet
    config of the five-class set; it trains one iteration and evaluates (mIoU)."""
    from tests.helpers import load_tool
    out = tmp_path / 'upernet_five.py'
    tool = load_tool('tools/misc/adapt_dataset.py')
    assert tool.main([SEG_CONFIG, str(five), '-o', str(out), '--reduce-zero-label',
                      '--classes-from-data']) == 0
    cfg = Config.fromfile(out)
    assert cfg.model.decode_head.num_classes == cfg.model.auxiliary_head.num_classes == 5
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.metainfo.classes == FIVE and dataset.reduce_zero_label is True
        assert [t.reduce_zero_label for t in dataset.pipeline
                if t.type == 'LoadAnnotations'] == [True]
    metrics = one_iteration(out, tmp_path / 'work')
    assert 0 <= metrics['mIoU'] <= 100, metrics


def test_label_values_beyond_the_classes_stop_the_run(five):
    """Without --reduce-zero-label, value 5 of five classes is out of range (mmseg would fail
    in the loss); the message counts the maps and names the flag."""
    with pytest.raises(SystemExit) as stop:
        seg_check(five, '--classes', *FIVE)
    assert re.search(r'train_dataloader: 4 of 4 sampled label maps hold value 5 \(e.g. .*\.png\)'
                     r', beyond the 5 classes \(values 255 are ignored, value i is class i '
                     r'\(--reduce-zero-label: value 0 is ignored', str(stop.value)), stop.value
    seg_check(five, '--classes', *FIVE, '--reduce-zero-label')  # passes


def test_segmentation_classes_mismatch_stops_and_from_data_fixes_it(five):
    with pytest.raises(SystemExit, match=r'The classes of upernet.py do not match .*classes.txt:'
                                         r"\n  .*classes.txt \(5\): road, grass, water, roof, "
                                         r"tree\n  the config \(0\): none"):
        seg_check(five, '--reduce-zero-label')
    cfg = seg_check(five, '--reduce-zero-label', '--classes-from-data')
    assert cfg.val_dataloader.dataset.metainfo.classes == FIVE


def test_segmentation_folders_that_cannot_train_are_errors(tmp_path):
    """Maps missing, colour maps, another image suffix, and no classes file: one message each,
    with counts and the flag that fixes it."""
    from PIL import Image
    make_demo_dataset(tmp_path, num_train=4, num_val=2, seed=0)
    ade = tmp_path / 'ade'
    (ade / 'classes.txt').unlink()
    with pytest.raises(SystemExit, match=r'--classes-from-data: label maps do not name their '
                                         r'classes, and .*classes.txt is not there'):
        seg_check(ade, '--classes-from-data')
    maps = sorted((ade / 'annotations' / 'training').glob('*.png'))
    maps[0].unlink()
    Image.open(maps[1]).convert('RGB').save(maps[1])
    with pytest.raises(SystemExit) as stop:
        seg_check(ade, '--classes', 'background', 'circle', 'square', 'triangle')
    message = str(stop.value)
    assert 'train_dataloader: 1 of 4 images have no label map' in message
    assert re.search(r'train_dataloader: 1 of 3 sampled label maps are colour images .*'
                     r"\(a PNG of mode 'L' or 'P'\)", message), message
    with pytest.raises(SystemExit, match=r"no \*\.png image in .*training \(found \['\.jpg'\]; "
                                         '--img-suffix sets it'):
        seg_check(ade, '--classes', 'a', 'b', 'c', 'd', '--img-suffix', '.png')


def test_a_named_segmentation_type_takes_other_classes_as_a_plain_one():
    """ADE20KDataset accepts only a subset of its 150 classes; set_classes makes it a
    BaseSegDataset that reads the same files (suffixes, reduce_zero_label)."""
    cfg = load_config('upernet_pvig-s_8xb2-160k_ade20k-512x512.py')
    set_classes(cfg, FIVE)
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.img_suffix, dataset.seg_map_suffix,
            dataset.reduce_zero_label) == ('BaseSegDataset', '.jpg', '.png', True)
    assert cfg.model.decode_head.num_classes == 5


def test_no_reduce_zero_label_makes_value_zero_a_class():
    """The ADE20K configs reduce the zero label (ADE20KDataset's default); data whose value 0
    is a class turns it off, on the datasets and on their LoadAnnotations."""
    import argparse

    from mmghost.utils.runtime import apply_data_arguments
    cfg, _ = seg_config_on('/data/streets', '--no-reduce-zero-label')
    assert cfg.train_dataloader.dataset.reduce_zero_label is False
    cfg = load_config('upernet_pvig-s_8xb2-160k_ade20k-512x512.py')
    apply_data_arguments(cfg, argparse.Namespace(reduce_zero_label=False))
    dataset = cfg.train_dataloader.dataset
    assert dataset.reduce_zero_label is False
    assert all(t.get('reduce_zero_label', False) is False for t in dataset.pipeline
               if t.type == 'LoadAnnotations')
