import importlib.util
import json
import os

import pytest
import torch

REFERENCE_DIR = os.path.join(os.path.dirname(__file__), 'data', 'reference')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_reference_module():
    spec = importlib.util.spec_from_file_location(
        'make_reference', os.path.join(REFERENCE_DIR, 'make_reference.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_config(name):
    """A config of the repo's configs/ folder."""
    from mmengine.config import Config
    return Config.fromfile(os.path.join(REPO_ROOT, 'configs', name))


def build_model(cfg):
    """The config's model, built in its task's registry (mmdet or mmseg)."""
    from mmghost.runtime import setup_task
    if setup_task(cfg) == 'mmseg':
        from mmseg.registry import MODELS
    else:
        from mmdet.registry import MODELS
    return MODELS.build(cfg.model)


def assert_heads_fit_backbone(cfg, model):
    """The neck (mmdet) or decode/auxiliary heads (mmseg) take the backbone's outputs."""
    from mmghost.runtime import detect_task
    backbone = model.backbone
    if detect_task(cfg) == 'mmseg':
        assert list(model.decode_head.in_channels) == list(backbone.out_channels)
        aux = model.auxiliary_head
        assert aux.in_channels == backbone.stage_channels[aux.in_index]
    else:
        assert list(model.neck.in_channels) == list(backbone.out_channels)


@pytest.fixture(scope='session')
def reference():
    """The official-output reference kit (copied from shared/reference)."""
    return _load_reference_module()


@pytest.fixture(scope='session')
def official_state_dict(reference):
    """``official_state_dict(variant)``: the deterministic official-format weights."""
    cache = {}

    def build(variant):
        if variant not in cache:
            with open(os.path.join(REFERENCE_DIR, f'{variant}.manifest.json')) as f:
                cache[variant] = reference.deterministic_state_dict(json.load(f))
        return {k: v.clone() for k, v in cache[variant].items()}

    return build


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory):
    """A tiny built-in demo dataset (2 train + 2 val images), COCO and ADE layouts."""
    from mmghost.demo import make_demo_dataset
    root = tmp_path_factory.mktemp('demo') / 'data' / 'demo'
    make_demo_dataset(root, num_train=2, num_val=2, seed=0)
    return str(root)


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)
