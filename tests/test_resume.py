"""Bit-exact resume (``mmghost.engine.BitExactResumeHook``, on in the default runtimes).

The end-to-end test trains the RetinaNet demo config straight for 3 epochs, and again killed with
SIGKILL in epoch 2 (after the epoch-1 checkpoint) then resumed with ``tools/train.py --resume``:
the final weights and the logged losses must be identical. The unit tests cover the RNG helpers
and the seeded training loader.
"""
import json
import os
import os.path as osp
import pickle
import random
import signal
import subprocess
import sys
import types

import numpy as np
import pytest
import torch
from mmdet.datasets.samplers import AspectRatioBatchSampler
from mmengine.dataset import DefaultSampler
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from torch.utils.data import DataLoader, Dataset

from mmghost.demo import make_demo_dataset
from mmghost.engine import (BitExactResumeHook, EpochSampleIndex, PerSampleSeededDataset,
                            global_rng_state, isolated_rng, restore_global_rng_state,
                            seed_global_rngs, seeded_train_dataloader)
from tests.helpers import load_config

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'retinanet_pvig-s_fpn_demo.py')
TIMEOUT = 300

# 4 train images in batches of 2 = 2 iterations per epoch, 3 epochs, a checkpoint and a
# validation after each (validation draws random numbers between epochs in a straight run only).
# Persistent workers and stochastic depth are what a resume used to lose: the workers' RNG
# streams and the main process's torch RNG. Pyramid ViG-Ti on quarter-size images keeps an
# iteration short.
TINY = [
    'train_cfg.max_epochs=3', 'train_cfg.val_interval=1',
    'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=3',
    'default_hooks.logger.interval=1', 'randomness.seed=0',
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=2',
    'train_dataloader.persistent_workers=True',
    'train_dataloader.dataset.pipeline.2.scale_factor=0.25',  # pipeline[2] is the Resize
    'model.backbone.arch=ti', 'model.neck.in_channels=[96,240,384]',
    'model.backbone.drop_path_rate=0.1',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'model.test_cfg.score_thr=0.0',
]
# The demo config plus a hook that SIGKILLs the training after the first iteration of epoch 2
# (a default hook: merged with the config's hooks, where custom_hooks would replace them).
KILLED_CONFIG = """_base_ = [{config!r}]
custom_imports = dict(imports=['mmghost', 'tests.test_resume'], allow_failed_imports=False)
default_hooks = dict(sigkill=dict(type='SigkillHook', epoch=1, batch_idx=0))
"""


@HOOKS.register_module()
class SigkillHook(Hook):
    """Kills its own process with SIGKILL after iteration ``batch_idx`` of epoch ``epoch``
    (0-based), once every other hook has seen that iteration."""

    priority = 'LOWEST'

    def __init__(self, epoch, batch_idx):
        self.epoch, self.batch_idx = epoch, batch_idx

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.epoch == self.epoch and batch_idx == self.batch_idx:
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder with ``data/demo`` (4 train, 2 val images), the training's working directory."""
    root = tmp_path_factory.mktemp('resume')
    make_demo_dataset(root / 'data' / 'demo', num_train=4, num_val=2, seed=0)
    return root


def train(workspace, work_dir, config=CONFIG, args=(), options=()):
    """``tools/train.py`` in a subprocess; returns it (finished or killed)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')  # 2 threads on 2 busy cores are slower than 1
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [REPO_ROOT, env.get('PYTHONPATH')]))
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), str(config),
           '--work-dir', str(work_dir), '--classes-from-data', *args, '--cfg-options', *TINY,
           *options]
    return subprocess.run(cmd, cwd=workspace, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)


def logged_losses(run_dir):
    """``{step: {loss*/grad_norm: value}}`` of a run's ``vis_data/scalars.json``."""
    losses = {}
    with open(osp.join(run_dir, 'vis_data', 'scalars.json'), encoding='utf-8') as f:
        for entry in map(json.loads, f):
            if 'loss' in entry:
                losses[entry['step']] = {key: value for key, value in entry.items()
                                         if key.startswith('loss') or key == 'grad_norm'}
    return losses


def run_dirs(work_dir):
    """The timestamped run folders of a work dir, oldest first."""
    return sorted(str(path) for path in work_dir.iterdir() if (path / 'vis_data').is_dir())


def straight_and_resumed(workspace, options=()):
    """Trains straight, and killed then resumed, with extra ``--cfg-options``; returns the two
    final state dicts and logged losses."""
    straight_dir, resumed_dir = workspace / 'straight', workspace / 'resumed'
    proc = train(workspace, straight_dir, options=options)
    assert proc.returncode == 0, proc.stdout[-6000:]

    killed_config = workspace / 'killed_config.py'
    killed_config.write_text(KILLED_CONFIG.format(config=CONFIG))
    proc = train(workspace, resumed_dir, config=killed_config, options=options)
    assert proc.returncode == -signal.SIGKILL, proc.stdout[-6000:]
    assert (resumed_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    assert not (resumed_dir / 'epoch_2.pth').exists()

    proc = train(workspace, resumed_dir, args=['--resume'], options=options)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert 'resumed epoch: 1, iter: 2' in proc.stdout, proc.stdout[-6000:]

    weights = [torch.load(work_dir / 'epoch_3.pth', map_location='cpu')['state_dict']
               for work_dir in (straight_dir, resumed_dir)]
    losses = [logged_losses(run_dirs(straight_dir)[-1]), logged_losses(run_dirs(resumed_dir)[-1])]
    return weights, losses


@pytest.mark.cpu_matrix
def test_killed_and_resumed_training_ends_bit_identical(workspace):
    (straight, resumed), (straight_losses, resumed_losses) = straight_and_resumed(workspace)
    assert straight.keys() == resumed.keys()
    different = [name for name in straight if not torch.equal(straight[name], resumed[name])]
    assert not different, f'{len(different)} of {len(straight)} tensors differ: {different[:5]}'
    assert sorted(straight_losses) == [1, 2, 3, 4, 5, 6]
    assert sorted(resumed_losses) == [3, 4, 5, 6]  # epochs 2 and 3
    assert {step: straight_losses[step] for step in resumed_losses} == resumed_losses


def test_default_runtimes_switch_the_hook_on():
    for name in ('demo/retinanet_pvig-s_fpn_demo.py', 'yolox_pvig-s_8xb8-300e_coco.py',
                 'mask-rcnn_pvig-s_fpn_1x_coco.py', 'wavemlp/WaveMLP_S_in1k.py'):
        assert load_config(name).default_hooks.bit_exact_resume == dict(
            type='BitExactResumeHook'), name
    for name in ('demo/upernet_pvig-s_demo.py', 'upernet_pvig-s_8xb2-160k_ade20k-512x512.py'):
        assert dict(type='BitExactResumeHook') in load_config(name).custom_hooks, name


def draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def test_global_rng_state_round_trip():
    state = global_rng_state()
    first = draws()
    restore_global_rng_state(state)
    assert draws() == first
    with pytest.raises(KeyError, match='numpy'):
        restore_global_rng_state({'random': state['random'], 'torch': state['torch']})


def test_isolated_rng_depends_on_the_key_only_and_restores_the_caller():
    torch.manual_seed(1), np.random.seed(1), random.seed(1)
    expected_next = (draws(), draws())[1]
    torch.manual_seed(1), np.random.seed(1), random.seed(1)
    draws()
    with isolated_rng(0, (1, 5, 3)):
        inside = draws()
    assert draws() == expected_next  # the caller's streams did not move
    assert len(set(inside)) == 3  # python, numpy and torch are seeded apart
    with isolated_rng(0, (1, 5, 3)):
        assert draws() == inside
    for seed, key in ((0, (1, 6, 3)), (0, (1, 5, 4)), (1, (1, 5, 3))):
        with isolated_rng(seed, key):
            assert draws() != inside
    seed_global_rngs(0, (1, 5, 3), all_torch_devices=False)
    assert draws() == inside
    with pytest.raises(ValueError, match='non-negative'):
        seed_global_rngs(-1, (0,))
    with pytest.raises(ValueError, match='non-negative'):
        seed_global_rngs(0, (0, -2))


def test_epoch_sample_index_is_an_int_that_keeps_its_epoch_when_pickled():
    index = pickle.loads(pickle.dumps(EpochSampleIndex(7, epoch=3)))
    assert isinstance(index, int) and index == 7 and index.epoch == 3
    with pytest.raises(ValueError, match='epoch'):
        EpochSampleIndex(7, epoch=-1)


class RandomlyAugmented(Dataset):
    """Samples drawn from all three global RNGs, with mmdet's ``get_data_info`` (aspect ratio)."""

    def __len__(self):
        return 6

    def get_data_info(self, index):
        return dict(width=10, height=10 + index % 2 * 2)  # odd indices are portrait

    def __getitem__(self, index):
        return index, random.random(), float(np.random.rand()), float(torch.rand(()))


def seeded_batches(num_workers, epochs, batch_sampler):
    """Batches of a seeded loader over :class:`RandomlyAugmented`, one list per epoch."""
    dataset = RandomlyAugmented()
    sampler = DefaultSampler(dataset, shuffle=True, seed=0)
    if batch_sampler:
        loader = DataLoader(dataset, batch_sampler=AspectRatioBatchSampler(sampler, 2),
                            num_workers=num_workers, persistent_workers=num_workers > 0)
    else:
        loader = DataLoader(dataset, batch_size=2, sampler=sampler, num_workers=num_workers,
                            persistent_workers=num_workers > 0)
    loader, tagging_sampler = seeded_train_dataloader(loader, seed=0)
    batches = []
    for epoch in epochs:
        tagging_sampler.epoch = epoch  # as BitExactResumeHook and DistSamplerSeedHook do
        tagging_sampler.set_epoch(epoch)  # the wrapped sampler's
        batches.append([[float(value) for value in column] for batch in loader for column in batch])
    return batches


@pytest.mark.parametrize('batch_sampler', [False, True], ids=['sampler', 'aspect-ratio'])
def test_seeded_loader_depends_on_epoch_and_index_only(batch_sampler):
    epoch_0, epoch_1 = seeded_batches(0, [0, 1], batch_sampler)
    assert epoch_0 != epoch_1
    # other workers, or a fresh loader that starts at epoch 1 (a resume): the same batches
    assert seeded_batches(2, [0, 1], batch_sampler) == [epoch_0, epoch_1]
    assert seeded_batches(0, [1], batch_sampler) == [epoch_1]


def test_seeded_dataset_refuses_untagged_indices_and_bad_seeds():
    with pytest.raises(TypeError, match='EpochSampleIndex'):
        PerSampleSeededDataset(RandomlyAugmented(), seed=0)[1]
    with pytest.raises(ValueError, match='seed'):
        PerSampleSeededDataset(RandomlyAugmented(), seed=-1)
    with pytest.raises(TypeError, match='enable'):
        BitExactResumeHook(enable='no')


def test_hook_leaves_iteration_based_training_alone():
    messages = []
    runner = types.SimpleNamespace(train_loop=object(), seed=0, iter=0,
                                   logger=types.SimpleNamespace(info=messages.append))
    hook = BitExactResumeHook()
    hook.before_train(runner)
    assert 'not epoch-based' in messages[0]
    state = global_rng_state()
    first = draws()
    restore_global_rng_state(state)
    hook.before_train_iter(runner, 0)
    assert draws() == first
