"""Config variants of the four heads: every Pyramid ViG size and isotropic ViG-S (through
SimplePyramid). Each is checked for wiring; one head per backbone (conftest.TRAINED_HEAD) runs
one training step (loss + backward) on two images of the built-in demo data, through the demo
config's data pipeline."""
import pytest
import torch

from mmghost.runtime import detect_task
from tests.conftest import (HEADS, assert_heads_fit_backbone, build_config_model,
                            config_training_step)

VIG_CONFIGS = [head.format('vig-s_simple-pyramid') for head in HEADS]
PVIG_STEM_CHANNELS = {'ti': 48, 'm': 96, 'b': 128}


@pytest.mark.parametrize('arch', sorted(PVIG_STEM_CHANNELS))
@pytest.mark.parametrize('head', HEADS)
def test_pyramid_vig_size_variant(head, arch, demo_root):
    name = head.format(f'pvig-{arch}')
    cfg, model = build_config_model(name)
    backbone = model.backbone
    assert type(backbone).__name__ == 'PyramidViG'
    assert backbone.stage_channels[0] == PVIG_STEM_CHANNELS[arch]
    assert_heads_fit_backbone(cfg, model)
    config_training_step(model, name, demo_root)


@pytest.mark.parametrize('name', VIG_CONFIGS)
def test_vig_config_wiring_and_one_training_step(name, demo_root):
    cfg, model = build_config_model(name)
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
    config_training_step(model, name, demo_root)
