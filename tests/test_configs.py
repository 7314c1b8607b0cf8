"""The detection and segmentation configs build, train one iteration and validate on CPU.

Every main config is checked for wiring (neck / head ``in_channels`` == the backbone's
``out_channels``); its demo variant runs one real training iteration and one validation pass
through mmengine's Runner (mmcv ops, CocoMetric / IoUMetric) on a tiny demo dataset.
"""
import math
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook

from mmghost.demo import DEMO_CLASSES
from mmghost.weights.official import OFFICIAL_MODELS
from mmghost.utils.preflight import check_or_exit, set_data_root
from mmghost.utils.runtime import build_runner, detect_task, setup_task
from tests.helpers import (DET_SEG_CONFIGS, assert_heads_fit_backbone, build_model,
                            keep_every_prediction, load_config)


# main config, its demo variant, the metrics its evaluator must return
CASES = {
    'retinanet': ('retinanet_pvig_s_coco.py', 'demo/retinanet_pvig-s_fpn_demo.py',
                  ['coco/bbox_mAP', 'coco/bbox_mAP_50']),
    'mask-rcnn': ('mask-rcnn_pvig-s_fpn_1x_coco.py', 'demo/mask-rcnn_pvig-s_fpn_demo.py',
                  ['coco/bbox_mAP', 'coco/segm_mAP']),
    'yolox': ('yolox_pvig-s_8xb8-300e_coco.py', 'demo/yolox_pvig-s_demo.py',
              ['coco/bbox_mAP']),
    'upernet': ('upernet_pvig-s_8xb2-160k_ade20k-512x512.py', 'demo/upernet_pvig-s_demo.py',
                ['mIoU', 'aAcc']),
}
# the demo configs' data sections and the demo dataset bases they mirror
DEMO_DATA_BASES = {
    'demo/retinanet_pvig-s_fpn_demo.py': '_base_/datasets/demo_coco_detection.py',
    'demo/mask-rcnn_pvig-s_fpn_demo.py': '_base_/datasets/demo_coco_instance.py',
    'demo/yolox_pvig-s_demo.py': '_base_/datasets/demo_coco_detection.py',
    'demo/upernet_pvig-s_demo.py': '_base_/datasets/demo_ade.py',
}


def innermost(dataset_cfg):
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


@pytest.mark.parametrize('case', sorted(CASES))
def test_main_config_wiring(case):
    cfg = load_config(CASES[case][0])
    assert cfg.custom_imports == dict(imports=['mmghost'], allow_failed_imports=False)
    assert cfg.model.backbone.type == 'mmghost.PyramidViG'
    assert cfg.model.backbone.arch == 's'
    # the official ImageNet weights (tests/test_pretrained_weights.py loads them offline)
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=OFFICIAL_MODELS['pvig_s_224_gelu'].weights.url)
    model = build_model(cfg)
    backbone = model.backbone
    assert backbone.out_strides == tuple(2 ** (i + 2) for i in backbone.out_indices)
    assert_heads_fit_backbone(cfg, model)
    if detect_task(cfg) == 'mmdet':
        assert backbone.norm_eval  # BatchNorm statistics are frozen when fine-tuning


@pytest.mark.parametrize('demo,base', sorted(DEMO_DATA_BASES.items()))
def test_demo_data_matches_base(demo, base):
    """The demo configs point at the same data as the demo dataset bases."""
    cfg, base_cfg = load_config(demo), load_config(base)
    keys = ('type', 'metainfo', 'data_root', 'ann_file', 'data_prefix', 'reduce_zero_label')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ours, theirs = innermost(cfg[loader].dataset), innermost(base_cfg[loader].dataset)
        assert {k: ours.get(k) for k in keys} == {k: theirs.get(k) for k in keys}, loader
    if detect_task(cfg) == 'mmdet':
        assert cfg.val_evaluator.ann_file == base_cfg.val_evaluator.ann_file


class Recorder(Hook):
    """The training losses, the number of predictions handed to the evaluator (boxes or
    segmentation maps) and the metrics it returned."""

    def __init__(self):
        self.losses, self.predictions, self.metrics = [], 0, None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(float(outputs['loss'].detach()))

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        for sample in outputs:
            self.predictions += (len(sample.pred_instances) if 'pred_instances' in sample
                                 else int('pred_sem_seg' in sample))

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})


def tiny(cfg, demo_root, work_dir):
    """One training iteration on 2 images, validation on 2 images, no checkpoint."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=0, persistent_workers=False)
        if name == 'train_dataloader' or detect_task(cfg) == 'mmdet':
            loader.batch_size = 2  # mmseg tests image by image (sizes differ)
        dataset = innermost(loader.dataset)
        dataset.data_root = osp.join(demo_root, 'ade' if detect_task(cfg) == 'mmseg' else 'coco')
    for name in ('val_evaluator', 'test_evaluator'):
        if 'ann_file' in cfg[name]:
            cfg[name].ann_file = osp.join(demo_root, 'coco', 'annotations', 'instances_val.json')
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        cfg.train_cfg.update(max_iters=1, val_interval=1)
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
    keep_every_prediction(cfg.model.get('test_cfg', {}))
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize('demo', sorted(DEMO_DATA_BASES))
def test_demo_classes_come_from_the_data(demo, demo_root):
    """The demo configs name no classes: the preflight takes them from the demo data (the
    categories of its annotation files, or ade/classes.txt), as tools/run_demo.py does, and
    sets them on every dataset and every head."""
    cfg = load_config(demo)
    setup_task(cfg)
    assert all(innermost(cfg[loader].dataset).get('metainfo') is None
               for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'))
    set_data_root(cfg, osp.join(demo_root, 'ade' if detect_task(cfg) == 'mmseg' else 'coco'))
    check_or_exit(cfg, 'train', demo, classes_from_data=True)
    expected = DEMO_CLASSES if detect_task(cfg) == 'mmdet' else ('background', *DEMO_CLASSES)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert innermost(cfg[loader].dataset).metainfo.classes == expected
    heads = [value for key, value in flatten(cfg.model) if key.endswith('num_classes')
             and 'rpn_head' not in key]
    assert heads and set(heads) == {len(expected)}


def flatten(node, prefix=''):
    """``(dotted key, value)`` of every leaf of a nested config dict."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from flatten(value, f'{prefix}{key}.')
        else:
            yield f'{prefix}{key}', value


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('case', sorted(CASES))
def test_demo_config_trains_and_validates(case, demo_root, tmp_path):
    _, demo, metric_keys = CASES[case]
    cfg = tiny(load_config(demo), demo_root, str(tmp_path))
    setup_task(cfg)
    check_or_exit(cfg, 'train', demo, classes_from_data=True)  # the demo configs name none
    runner = build_runner(cfg)
    backbone = runner.model.backbone
    neck_in = (runner.model.decode_head.in_channels if detect_task(cfg) == 'mmseg'
               else runner.model.neck.in_channels)
    assert list(neck_in) == list(backbone.out_channels)
    recorder = Recorder()
    runner.register_hook(recorder, priority='LOWEST')
    runner.train()
    assert len(recorder.losses) == 1
    assert math.isfinite(recorder.losses[0])
    # the evaluator saw predictions (none would leave its metrics empty)
    assert recorder.predictions > 0
    assert recorder.metrics is not None
    for key in metric_keys:
        assert key in recorder.metrics, (key, recorder.metrics)
        assert math.isfinite(recorder.metrics[key])
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())


UPERNET_CONFIGS = [name for name in DET_SEG_CONFIGS if osp.basename(name).startswith('upernet')]


@pytest.mark.parametrize('name', UPERNET_CONFIGS)
def test_upernet_shares_batchnorm_statistics_across_gpus(name):
    """mmengine converts every BatchNorm to SyncBatchNorm in a distributed run (``sync_bn``)."""
    assert load_config(name).get('sync_bn') == 'torch'


def test_upernet_backbone_batchnorm_becomes_sync_batchnorm_and_back(demo_root, tmp_path):
    """GhostNet's BatchNorm layers are what ``sync_bn`` converts; a single-process CPU run
    trains them as plain BatchNorm (mmengine reverts SyncBN): one iteration, 128x128 crops, no
    validation."""
    from mmengine.model import convert_sync_batchnorm
    from torch.nn.modules.batchnorm import _BatchNorm

    cfg = tiny(load_config('upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py'), demo_root,
               str(tmp_path))
    cfg.model.backbone.init_cfg = None
    crop = (128, 128)
    cfg.model.data_preprocessor.size = crop
    for transform in cfg.train_dataloader.dataset.pipeline:
        if transform.type == 'RandomResize':
            transform.scale = (512, 128)
        elif transform.type == 'RandomCrop':
            transform.crop_size = crop
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.train_cfg.val_interval = 2
    backbone_bns = [m for m in build_model(cfg).backbone.modules() if isinstance(m, _BatchNorm)]
    synced = convert_sync_batchnorm(build_model(cfg), cfg.sync_bn)
    assert backbone_bns and len(backbone_bns) == sum(
        isinstance(m, torch.nn.SyncBatchNorm) for m in synced.backbone.modules())

    setup_task(cfg)
    runner = build_runner(cfg)
    runner.train()
    modules = list(runner.model.modules())
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in modules)
    bns = [m for m in runner.model.backbone.modules() if isinstance(m, _BatchNorm)]
    assert len(bns) == len(backbone_bns)
    assert all(int(m.num_batches_tracked) == 1 for m in bns)  # trained, not frozen
