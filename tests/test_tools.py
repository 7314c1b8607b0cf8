"""tools/train.py, tools/test.py and tools/dist_train.sh on the RetinaNet demo config, on CPU.

Each tool runs as a user runs it (a subprocess in a folder holding ``data/demo``), with
``--cfg-options`` shrinking the job to two iterations on four images.
"""
import glob
import os
import os.path as osp
import re
import socket
import subprocess
import sys
import types

import pytest
import torch

from mmghost.demo import make_demo_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'retinanet_pvig-s_fpn_demo.py')
TIMEOUT = 600

# 4 train images, 2 per batch (1 per process for dist), 1 epoch = 2 iterations; an untrained
# detector scores below 0.05 and may predict zero-area boxes (how many depends on the CPU's
# kernels), so every box is kept for the evaluator.
SMALL = [
    'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
    'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
    'model.test_cfg.score_thr=0.0', 'model.test_cfg.min_bbox_size=-1',
    'default_hooks.logger.interval=1', 'randomness.seed=0',
]


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder with ``data/demo`` (4 train, 2 val images), the tools' working directory."""
    root = tmp_path_factory.mktemp('tools')
    make_demo_dataset(root / 'data' / 'demo', num_train=4, num_val=2, seed=0)
    return root


def run(cmd, cwd, extra_env=None):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [REPO_ROOT, env.get('PYTHONPATH')]))
    env.update(extra_env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, f'{" ".join(map(str, cmd))} failed:\n{proc.stdout[-6000:]}'
    return proc.stdout


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def trained(workspace):
    """tools/train.py without --work-dir, 2 iterations; returns (work_dir, checkpoint, log)."""
    log = run([sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), CONFIG,
               '--classes-from-data', '--cfg-options', 'train_dataloader.batch_size=2', *SMALL],
              cwd=workspace)
    work_dir = workspace / 'work_dirs' / 'retinanet_pvig-s_fpn_demo'
    return work_dir, work_dir / 'epoch_1.pth', log


@pytest.mark.cpu_matrix
def test_train_writes_checkpoint(trained):
    work_dir, checkpoint, log = trained
    assert checkpoint.is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    # the usual mmdet log: two training iterations, then the COCO evaluation
    assert re.search(r'Epoch\(train\)\s+\[1\]\[1/2\].*loss: \d', log), log[-3000:]
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', log), log[-3000:]
    assert 'coco/bbox_mAP' in log
    assert 'Saving checkpoint at 1 epochs' in log


def test_train_default_work_dir(trained):
    """Without --work-dir the run goes to ./work_dirs/<config name>."""
    work_dir, _, log = trained
    assert (work_dir / 'epoch_1.pth').is_file()
    # the config the run logs carries the default it chose
    assert "work_dir = './work_dirs/retinanet_pvig-s_fpn_demo'" in log, log[-3000:]


@pytest.mark.cpu_matrix
def test_test_evaluates_checkpoint(trained, workspace):
    _, checkpoint, _ = trained
    work_dir = workspace / 'work_dirs' / 'test'
    out = work_dir / 'results.pkl'
    log = run([sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), CONFIG, str(checkpoint),
               '--work-dir', str(work_dir), '--out', str(out), '--cfg-options', *SMALL],
              cwd=workspace)
    assert 'Load checkpoint from' in log
    assert re.search(r'Epoch\(test\)\s+\[1/1\].*coco/bbox_mAP: -?\d', log), log[-3000:]
    assert out.is_file()


def test_dist_train_two_cpu_processes(workspace):
    """tools/dist_train.sh CONFIG 2: torchrun, two processes, gloo (no CUDA needed)."""
    work_dir = workspace / 'work_dirs' / 'dist'
    run(['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), CONFIG, '2',
         '--work-dir', str(work_dir), '--classes-from-data', '--cfg-options', 'train_dataloader.batch_size=1', *SMALL],
        cwd=workspace, extra_env=dict(PORT=str(free_port()), OMP_NUM_THREADS='1'))
    assert (work_dir / 'epoch_1.pth').is_file()
    logs = glob.glob(str(work_dir / '*' / '*.log'))
    assert logs
    text = open(logs[0], encoding='utf-8').read()
    assert 'Distributed training: True' in text, text[:3000]
    assert re.search(r'GPU number: 2\b', text), text[:3000]  # mmengine's name for world size
    # 4 images / (2 processes x 1 image) = 2 iterations per epoch
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', text)
    assert 'coco/bbox_mAP' in text


@pytest.mark.skipif(torch.cuda.is_available(), reason='with CUDA, mmengine starts the group')
def test_cpu_distributed_frees_the_group_and_its_last_works(monkeypatch):
    """CPU distributed training: per-process BN, and the gloo group ends inside the ``with``
    block, not at interpreter exit.

    A runner's DDP model sits in reference cycles, so it (and the group its reducer holds)
    outlives ``destroy_process_group`` unless the block collects it: a gloo thread then frees
    its last tensors during interpreter finalisation and aborts a finished job.
    """
    import gc
    import weakref

    import torch.distributed as dist
    from mmengine.config import Config
    from torch.nn.parallel import DistributedDataParallel

    from mmghost.utils.runtime import cpu_distributed
    for name, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                            MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(name, value)
    cfg = Config(dict(model=dict(type='EncoderDecoder'), sync_bn='torch'))
    gc.disable()  # no automatic collection may hide a missing one
    try:
        with pytest.warns(UserWarning, match='SyncBN needs CUDA'), \
                cpu_distributed(cfg, 'pytorch') as initialised:
            assert initialised and cfg.model_wrapper_cfg['device_ids'] is None
            assert cfg.sync_bn is None  # gloo has no SyncBatchNorm: per-process BN
            runner = types.SimpleNamespace(model=DistributedDataParallel(torch.nn.Linear(2, 2)))
            runner.self = runner  # a cycle, as hooks and the runner make
            runner.model(torch.ones(1, 2)).sum().backward()  # the reducer's allreduce
            model = weakref.ref(runner.model)
            del runner
    finally:
        gc.enable()
    assert not dist.is_initialized()
    assert model() is None


def test_list_models_reads_channels_and_strides_from_the_backbones():
    out = run([sys.executable, 'tools/analysis_tools/list_models.py', '--family', 'pvig_s'],
              REPO_ROOT)
    row = next(line for line in out.splitlines() if line.startswith('pvig_s_224_gelu'))
    assert row.split()[2:4] == ['80/160/400/640', '4/8/16/32']


def test_weights_table_of_the_docs_is_the_codes():
    """docs/weights.md's table is ``list_models.py --weights --markdown``'s output."""
    out = run([sys.executable, 'tools/analysis_tools/list_models.py', '--weights', '--markdown'],
              REPO_ROOT)
    table = [line for line in out.splitlines() if line.startswith('|')]
    with open(osp.join(REPO_ROOT, 'docs', 'weights.md'), encoding='utf-8') as f:
        docs = f.read().splitlines()
    start = docs.index(table[0])
    assert docs[start:start + len(table)] == table
    assert not docs[start + len(table)].startswith('|')


@pytest.mark.parametrize('config,shape', [
    ('retinanet_pvig_s_coco.py', (800, 1333)), ('vig/yolox_pvig-s_8xb8-300e_coco.py', (640, 640)),
    ('vig/upernet_pvig-s_8xb2-160k_ade20k-512x512.py', (512, 512)),
    ('tinynet/tinynet_a_in1k.py', (192, 192))])
def test_benchmark_reads_the_test_scale(config, shape):
    from mmengine.config import Config

    from mmghost.utils.profiling import config_input_shape
    from mmghost.utils.runtime import detect_task
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', config))
    assert config_input_shape(cfg, detect_task(cfg)) == shape


def test_benchmark_times_the_predict_path(capsys):
    from tests.helpers import load_tool
    result = load_tool('tools/analysis_tools/benchmark.py').main(
        [CONFIG, '--shape', '64', '96', '--warmup', '0', '--repeats', '2', '--batch-size', '2'])
    assert len(result['times']) == 2 and result['memory'] >= 0
    out = capsys.readouterr().out
    assert 'input:   2x3x64x96 (--shape)' in out and 'img/s' in out


def test_benchmark_shape_is_h_w_or_one_number_for_a_square():
    """``--shape`` as in mmseg's / mmpretrain's get_flops.py (mmghost.utils.profiling's one
    spelling)."""
    from tests.helpers import load_tool
    parse_args = load_tool('tools/analysis_tools/benchmark.py').parse_args
    assert parse_args([CONFIG, '--shape', '64', '96']).shape == (64, 96)
    assert parse_args([CONFIG, '--shape', '64']).shape == (64, 64)
    assert parse_args([CONFIG]).shape is None
    for bad in (['--shape', '1', '2', '3'], ['--shape', '0', '5'], ['--repeats', '0']):
        with pytest.raises(SystemExit):
            parse_args([CONFIG, *bad])
