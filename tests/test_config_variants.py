"""Config variants of the four heads: every Pyramid ViG size and isotropic ViG-S (through
SimplePyramid). Each is checked for wiring and runs one loss + backward pass on random data."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmghost.runtime import detect_task, setup_task
from tests.conftest import REPO_ROOT

HEADS = ['retinanet_{}_fpn_1x_coco.py', 'mask-rcnn_{}_fpn_1x_coco.py',
         'yolox_{}_8xb8-300e_coco.py', 'upernet_{}_8xb2-160k_ade20k-512x512.py']
VIG_CONFIGS = [head.format('vig-s_simple-pyramid') for head in HEADS]
PVIG_STEM_CHANNELS = {'ti': 48, 'm': 96, 'b': 128}


def build(name):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', name))
    task = setup_task(cfg)
    if task == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmdet.registry import MODELS
    return cfg, MODELS.build(cfg.model)


def seg_batch(size, num_classes):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    samples = []
    for i in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes, (1, *size), generator=torch.Generator().manual_seed(i)))
        samples.append(sample)
    images = [torch.randint(0, 256, (3, *size), generator=torch.Generator().manual_seed(9 + i),
                            dtype=torch.uint8) for i in range(2)]
    return dict(inputs=images, data_samples=samples)


def one_training_step(cfg, model, name):
    """Loss + backward on two random 128x128 images: finite, and it reaches every backbone
    parameter."""
    if detect_task(cfg) == 'mmseg':
        batch = seg_batch((128, 128), model.decode_head.num_classes)
    else:
        from mmdet.testing import demo_mm_inputs
        batch = demo_mm_inputs(2, [(3, 128, 128)] * 2, num_classes=80,
                               with_mask='mask' in name)
    model.train()
    data = model.data_preprocessor(batch, False)
    total, _ = model.parse_losses(model.loss(data['inputs'], data['data_samples']))
    assert math.isfinite(float(total))
    total.backward()
    assert all(p.grad is not None for p in model.backbone.parameters())


@pytest.mark.parametrize('arch', sorted(PVIG_STEM_CHANNELS))
@pytest.mark.parametrize('head', HEADS)
def test_pyramid_vig_size_variant(head, arch):
    name = head.format(f'pvig-{arch}')
    cfg, model = build(name)
    backbone = model.backbone
    assert type(backbone).__name__ == 'PyramidViG'
    assert backbone.stage_channels[0] == PVIG_STEM_CHANNELS[arch]
    if detect_task(cfg) == 'mmseg':
        assert list(model.decode_head.in_channels) == list(backbone.out_channels)
        aux = model.auxiliary_head
        assert aux.in_channels == backbone.stage_channels[aux.in_index]
    else:
        assert list(model.neck.in_channels) == list(backbone.out_channels)
    one_training_step(cfg, model, name)


@pytest.mark.parametrize('name', VIG_CONFIGS)
def test_vig_config_wiring_and_one_training_step(name):
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
    one_training_step(cfg, model, name)
