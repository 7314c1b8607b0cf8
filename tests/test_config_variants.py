"""Config variants of the four heads: every Pyramid ViG size and isotropic ViG-S (through
SimplePyramid). Each is checked for wiring and runs one training step (loss + backward) on two
images of the built-in demo data, through the demo config's data pipeline."""
import math
import os.path as osp

import pytest
import torch

from mmghost.runtime import detect_task, setup_task
from tests.conftest import assert_heads_fit_backbone, build_model, load_config

HEADS = ['retinanet_{}_fpn_1x_coco.py', 'mask-rcnn_{}_fpn_1x_coco.py',
         'yolox_{}_8xb8-300e_coco.py', 'upernet_{}_8xb2-160k_ade20k-512x512.py']
VIG_CONFIGS = [head.format('vig-s_simple-pyramid') for head in HEADS]
PVIG_STEM_CHANNELS = {'ti': 48, 'm': 96, 'b': 128}


def build(name):
    cfg = load_config(name)
    if detect_task(cfg) == 'mmseg':
        cfg.model.data_preprocessor.size = (160, 160)  # pad to the demo crop, not 512x512
    return cfg, build_model(cfg)


# the demo config whose training data pipeline feeds each head
DEMO_DATA = {'retinanet': 'retinanet_pvig-s_demo.py', 'yolox': 'retinanet_pvig-s_demo.py',
             'mask-rcnn': 'mask-rcnn_pvig-s_fpn_demo.py', 'upernet': 'upernet_pvig-s_demo.py'}


def demo_batch(name, demo_root):
    """Two training samples of the demo data, collated as the Runner's dataloader does."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS
    demo = load_config(osp.join('demo', DEMO_DATA[name.split('_')[0]]))
    task = setup_task(demo)
    dataset_cfg = demo.train_dataloader.dataset
    dataset_cfg.data_root = osp.join(demo_root, 'ade' if task == 'mmseg' else 'coco')
    dataset = DATASETS.build(dataset_cfg)
    return pseudo_collate([dataset[0], dataset[1]])


def one_training_step(model, name, demo_root):
    """Loss + backward on two demo images: finite, and it reaches every backbone parameter."""
    batch = demo_batch(name, demo_root)
    model.train()
    # YOLOX's batch augment (BatchSyncRandomResize) needs the Runner's iteration count
    data = model.data_preprocessor(batch, training=not name.startswith('yolox'))
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert math.isfinite(float(total))
    total.backward()
    assert all(p.grad is not None for p in model.backbone.parameters())


@pytest.mark.parametrize('arch', sorted(PVIG_STEM_CHANNELS))
@pytest.mark.parametrize('head', HEADS)
def test_pyramid_vig_size_variant(head, arch, demo_root):
    name = head.format(f'pvig-{arch}')
    cfg, model = build(name)
    backbone = model.backbone
    assert type(backbone).__name__ == 'PyramidViG'
    assert backbone.stage_channels[0] == PVIG_STEM_CHANNELS[arch]
    assert_heads_fit_backbone(cfg, model)
    one_training_step(model, name, demo_root)


@pytest.mark.parametrize('name', VIG_CONFIGS)
def test_vig_config_wiring_and_one_training_step(name, demo_root):
    cfg, model = build(name)
    backbone = model.backbone
    assert type(backbone).__name__ == 'ViG' and backbone.out_strides == (16, )
    pyramid = model.neck[0] if isinstance(model.neck, torch.nn.Sequential) else model.neck
    assert type(pyramid).__name__ == 'SimplePyramid'
    pyramid_cfg = cfg.model.neck[0] if isinstance(cfg.model.neck, list) else cfg.model.neck
    assert pyramid_cfg['in_channels'] == backbone.out_channels[-1]
    num_scales = len(pyramid.scale_factors)
    if detect_task(cfg) == 'mmseg':
        assert list(model.decode_head.in_channels) == [pyramid.out_channels] * num_scales
    else:
        assert list(model.neck[1].in_channels) == [pyramid.out_channels] * num_scales
    one_training_step(model, name, demo_root)
