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
