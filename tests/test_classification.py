"""The mmpretrain classification configs (configs/<family>/<official name>_in1k.py).

Every config is checked against ``official_classifier_cfg`` of the name in its file name and
runs its own eval pipeline on a tiny ImageNet-layout folder (the first of each backbone
class also classifies the result); where the reference kit has the
variant, the converted official weights (``--classifier``) reproduce the official logits.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

import mmghost
from mmghost.weights.official import convert_official, official_classifier_cfg
from tests.helpers import (CLS_CONFIGS, REFERENCE_DIR, REPO_ROOT, build_model, load_config,
                            make_imagenet)

CONFIGS = CLS_CONFIGS
with open(osp.join(REFERENCE_DIR, 'index.json')) as f:
    REFERENCE_INDEX = {v['variant']: v for v in json.load(f)['variants']}


def official_name(config):
    return osp.basename(config)[:-len('_in1k.py')]


def plain(obj):
    """Config values as JSON-like data (tuples -> lists), for comparison."""
    return json.loads(json.dumps(obj))


def backbone_type(config):
    return mmghost.OFFICIAL_MODELS[official_name(config)].backbone['type']


# the first config of each backbone class also classifies the pipeline's output (the others
# run the same model code; building and running all 46 classifiers took 35 s)
CLASSIFIED = {backbone_type(config): config for config in reversed(CONFIGS)}


def with_reference_logits():
    return [c for c in CONFIGS
            if osp.exists(osp.join(REFERENCE_DIR, f'{official_name(c)}.npz'))]


@pytest.fixture(scope='module')
def imagenet_root(tmp_path_factory):
    return make_imagenet(tmp_path_factory.mktemp('imagenet'))


def test_every_config_is_named_after_an_official_model():
    assert CONFIGS, 'no classification configs found'
    unknown = [c for c in CONFIGS if official_name(c) not in mmghost.OFFICIAL_MODELS]
    assert not unknown, f'{unknown}: file names must be <official name>_in1k.py'


@pytest.mark.parametrize('config', CONFIGS)
def test_config_is_the_official_classifier_and_runs_its_eval_pipeline(config, imagenet_root):
    cfg = load_config(config)
    name = official_name(config)
    model_cfg = plain(cfg.model.to_dict())
    preprocessor = model_cfg.pop('data_preprocessor')
    assert model_cfg == plain(official_classifier_cfg(name))
    if name in REFERENCE_INDEX:  # the upstream normalisation, in 0..255
        norm = REFERENCE_INDEX[name]['normalization']
        assert np.allclose(preprocessor['mean'], np.array(norm['mean']) * 255)
        assert np.allclose(preprocessor['std'], np.array(norm['std']) * 255)
    assert preprocessor['to_rgb'] is True

    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = imagenet_root
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(dataset_cfg)
        batch = pseudo_collate([dataset[0], dataset[1]])
    crop = cfg.test_pipeline[-2]['crop_size']
    assert tuple(batch['inputs'][0].shape) == (3, crop, crop)
    if CLASSIFIED[backbone_type(config)] != config:
        return
    model = build_model(cfg).eval()
    with torch.no_grad():
        samples = model.test_step(batch)
    assert [int(s.gt_label) for s in samples] == [0, 1]
    assert all(s.pred_score.shape == (1000, ) for s in samples)


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('config', with_reference_logits())
def test_converted_official_classifier_gives_official_logits(config, reference,
                                                             official_state_dict):
    name = official_name(config)
    model = build_model(load_config(config))
    model.load_state_dict(convert_official(name, official_state_dict(name), classifier=True),
                          strict=True)
    model.eval().double()
    input_size = REFERENCE_INDEX[name]['input_size'][1:]
    with torch.no_grad():
        logits = model(reference.reference_input(2, tuple(input_size)).double(), mode='tensor')
    ref = reference.load_reference(os.path.join(REFERENCE_DIR, f'{name}.npz'))
    result = reference.compare_to_reference(ref, 'f64.logits', logits)
    assert result['ok'], result


def test_converter_tool_writes_a_classifier_checkpoint_for_tools_test(
        tmp_path, official_state_dict, imagenet_root):
    """official2mmghost.py --classifier, then tools/test.py with it: top-1/top-5 printed."""
    name = 'pvig_s_224_gelu'
    src, dst = tmp_path / 'official.pth', tmp_path / 'classifier.pth'
    torch.save(official_state_dict(name), src)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    convert = subprocess.run(
        [sys.executable, 'tools/model_converters/official2mmghost.py', str(src), str(dst),
         '--model', name, '--classifier'], cwd=REPO_ROOT, env=env, capture_output=True,
        text=True)
    assert convert.returncode == 0, convert.stderr[-3000:]
    test = subprocess.run(
        [sys.executable, 'tools/test.py', f'configs/vig/{name}_in1k.py', str(dst),
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         f'test_dataloader.dataset.data_root={imagenet_root}', 'test_dataloader.batch_size=2',
         'test_dataloader.num_workers=0'],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert test.returncode == 0, (test.stdout + test.stderr)[-4000:]
    assert 'accuracy/top1' in test.stdout + test.stderr
