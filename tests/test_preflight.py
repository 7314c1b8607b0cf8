"""Data preflight of tools/train.py and tools/test.py (mmghost/utils/preflight.py) and
--data-root."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmghost.utils import preflight
from tests.helpers import REPO_ROOT, config_path, load_config

COCO_FILES = ['annotations/instances_train2017.json', 'annotations/instances_val2017.json']
COCO_DIRS = ['train2017', 'val2017']


def make_coco_layout(root):
    """An empty COCO 2017 layout: the two annotation files and the two image folders."""
    for name in COCO_DIRS:
        os.makedirs(osp.join(root, name), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for name in COCO_FILES:
        with open(osp.join(root, name), 'w') as f:
            json.dump(dict(images=[], annotations=[], categories=[]), f)


def run_tool(args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT))


@pytest.mark.parametrize('tool, phase', [('tools/train.py', 'train'), ('tools/test.py', 'test')])
def test_missing_coco_ends_with_one_message(tool, phase, tmp_path):
    """Without data/coco: one message (what, layout, how to point, the demo), exit status 1,
    no traceback, before the runner (no environment dump)."""
    args = [osp.join(REPO_ROOT, tool), osp.join(REPO_ROOT, 'configs/retinanet_pvig_s_coco.py')]
    if phase == 'test':
        args.append('checkpoint.pth')
    result = run_tool(args + ['--work-dir', str(tmp_path / 'work')], cwd=tmp_path)
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr and 'System environment' not in result.stdout
    message = result.stderr
    expected = ['annotations/instances_val2017.json', 'val2017']
    if phase == 'train':
        expected += ['annotations/instances_train2017.json', 'train2017']
    for path in expected:
        assert f'data/coco/{path}' in message, message
    for text in ['COCO 2017', '--data-root DIR', '--cfg-options', 'tools/run_demo.py']:
        assert text in message, message


def test_missing_ade20k_names_its_layout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config('upernet_pvig-s_8xb2-160k_ade20k-512x512.py')
    with pytest.raises(SystemExit) as exit_info:
        preflight.check_or_exit(cfg, 'train', 'upernet.py')
    message = str(exit_info.value)
    assert 'ADE20K 2016' in message and 'images/training' in message
    assert 'data/ade/ADEChallengeData2016/annotations/validation' in message


def test_data_root_points_datasets_and_evaluators(tmp_path, monkeypatch):
    """--data-root rewrites every dataloader's data_root and the evaluators' ann_file (joined
    at parse time), through YOLOX's MultiImageMixDataset wrapper too."""
    monkeypatch.chdir(tmp_path)
    root = str(tmp_path / 'my_coco')
    make_coco_layout(root)
    for name in ['retinanet_pvig_s_coco.py', 'yolox_pvig-s_8xb8-300e_coco.py']:
        cfg = load_config(name)
        assert preflight.missing_data(cfg, 'train')
        preflight.set_data_root(cfg, root)
        assert preflight.missing_data(cfg, 'train') == []
        assert preflight.missing_data(cfg, 'test') == []
        assert cfg.val_evaluator.ann_file == osp.join(root, COCO_FILES[1])


def test_train_and_test_take_data_root(tmp_path, monkeypatch):
    """``--data-root`` is a common option of tools/train.py and tools/test.py, applied by
    ``load_config`` before ``--cfg-options`` (which still win)."""
    from mmghost.utils.runtime import load_config as load_run_config
    from tests.helpers import load_tool
    monkeypatch.chdir(tmp_path)
    root = str(tmp_path / 'coco')
    make_coco_layout(root)
    config = config_path('retinanet_pvig_s_coco.py')
    train = load_tool('tools/train.py').parse_args([config, '--data-root', root])
    cfg = load_run_config(train)
    assert cfg.train_dataloader.dataset.data_root == root
    assert preflight.missing_data(cfg, 'train') == []
    test = load_tool('tools/test.py').parse_args(
        [config, 'x.pth', '--data-root', root, '--cfg-options',
         'test_evaluator.ann_file=elsewhere.json'])
    cfg = load_run_config(test)
    assert cfg.test_dataloader.dataset.data_root == root
    assert cfg.test_evaluator.ann_file == 'elsewhere.json'


def test_remote_and_unknown_datasets_are_not_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config('retinanet_pvig_s_coco.py')
    preflight.set_data_root(cfg, 's3://bucket/coco/')
    assert preflight.missing_data(cfg, 'train') == []
    cfg = load_config('retinanet_pvig_s_coco.py')
    cfg.val_evaluator.ann_file = 's3://bucket/coco/annotations/instances_val2017.json'
    for name in ('train_dataloader', 'val_dataloader'):
        cfg[name].dataset.type = 'VOCDataset'
    assert preflight.missing_data(cfg, 'train') == []


def test_demo_configs_pass_on_the_demo_data(demo_root, monkeypatch):
    monkeypatch.chdir(osp.dirname(osp.dirname(demo_root)))  # data/demo/ relative to it
    for name in ['demo/retinanet_pvig-s_fpn_demo.py', 'demo/upernet_pvig-s_demo.py']:
        cfg = load_config(name)
        assert preflight.missing_data(cfg, 'train') == [], config_path(name)
