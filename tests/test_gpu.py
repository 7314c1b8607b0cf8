"""CUDA checks (skipped without a GPU): the same numbers on GPU as on CPU for every family,
detection-size input, the detectors and UperNet through the Runner (mmcv's CUDA ops: RoIAlign,
NMS), SyncBN under torchrun. ``tools/misc/gpu_check.sh`` runs them on a lent machine."""
import pytest
import torch

from mmghost.models.backbones import PyramidViG
from mmghost.weights.official import SMALLEST_MODELS, official_backbone_cfg

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')


@pytest.mark.parametrize('family', sorted(SMALLEST_MODELS))
def test_every_family_on_gpu_equals_cpu_in_float64(family):
    """The smallest model of each family, seeded BatchNorm statistics, eval mode, at an odd size
    (another aspect ratio, batch 2): CUDA float64 equals CPU float64."""
    from mmghost.utils.profiling import randomize_batchnorm_
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(official_backbone_cfg(SMALLEST_MODELS[family][0], init_cfg=None))
    randomize_batchnorm_(model)
    assert_cuda_equals_cpu_in_float64(model, (2, 3, 161, 227))


def assert_cuda_equals_cpu_in_float64(model, shape):
    """The eval-mode float64 outputs of ``model`` on CUDA equal those on CPU."""
    model = model.eval().double()
    x = torch.randn(*shape, dtype=torch.float64)
    with torch.no_grad():
        expected = model(x)
        actual = model.cuda()(x.cuda())
    for a, e in zip(actual, expected):
        torch.testing.assert_close(a.cpu(), e, rtol=1e-7, atol=1e-9 * e.abs().max().item())


@pytest.mark.parametrize('demo', ['mask-rcnn_pvig-s_fpn_demo.py', 'yolox_pvig-s_demo.py',
                                  'upernet_pvig-s_demo.py'])
def test_demo_config_trains_and_predicts_on_gpu(demo, demo_root, tmp_path):
    """One training iteration and a validation (predict) pass through the Runner on CUDA: the
    Mask R-CNN demo (mmcv's RoIAlign and NMS), YOLOX and UperNet."""
    import math
    import os.path as osp

    from mmghost.utils.preflight import check_or_exit, set_data_root
    from mmghost.utils.runtime import build_runner, setup_task
    from tests.helpers import keep_every_prediction, load_config
    cfg = load_config(f'demo/{demo}')
    segmentation = setup_task(cfg) == 'mmseg'
    set_data_root(cfg, osp.join(demo_root, 'ade' if segmentation else 'coco') + '/')
    check_or_exit(cfg, 'train', demo, classes_from_data=True)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = 2
    if segmentation:
        cfg.train_cfg.update(max_iters=1, val_interval=1)
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
    keep_every_prediction(cfg.model.get('test_cfg', {}))
    cfg.default_hooks.checkpoint = None
    cfg.update(work_dir=str(tmp_path), launcher='none')
    runner = build_runner(cfg)
    assert next(runner.model.parameters()).is_cuda
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert all(math.isfinite(v) for v in losses)
    metrics = runner.val_loop.run()
    key = 'mIoU' if segmentation else 'coco/bbox_mAP'
    assert key in metrics and math.isfinite(metrics[key]), metrics


def test_gpu_outputs_equal_cpu_outputs_in_float64():
    assert_cuda_equals_cpu_in_float64(PyramidViG(arch='s'), (2, 3, 224, 320))


def test_gpu_training_step_at_detection_size():
    model = PyramidViG(arch='s', with_cp=True).cuda().train()
    outs = model(torch.randn(2, 3, 800, 1216, device='cuda'))
    sum(o.mean() for o in outs).backward()
    assert [o.shape[-2:] for o in outs] == [(200, 304), (100, 152), (50, 76), (25, 38)]
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_model_zoo_measures_gpu_latency():
    """``tools/analysis_tools/model_zoo.py --speed cuda``'s measurement of one config."""
    from tests.helpers import zoo
    measured = zoo.measure_speed('configs/tinynet/tinynet_e_in1k.py', device='cuda', warmup=1,
                                 repeats=2)
    [latency] = measured['inference time (ms/im)']
    assert latency['value'] > 0 and latency['hardware'] == torch.cuda.get_device_name()
    assert measured['Peak Memory (MiB)'][0]['measure'] == 'peak allocated'


def test_compiled_backbone_on_gpu_equals_eager():
    """``torch.compile`` (inductor, CUDA kernels) of Pyramid ViG-Ti at two sizes, in float64
    (float32 neighbour near-ties could swap a neighbour)."""
    model = PyramidViG(arch='ti').cuda().eval().double()
    compiled = torch.compile(model)
    for shape in [(1, 3, 224, 224), (2, 3, 256, 320)]:
        x = torch.randn(*shape, device='cuda', dtype=torch.float64)
        with torch.no_grad():
            for a, e in zip(compiled(x), model(x)):
                torch.testing.assert_close(a, e, rtol=1e-7, atol=1e-9 * e.abs().max().item())


SYNC_BN_WORKER = '''
import os, sys
import torch, torch.distributed as dist
from mmengine.config import Config
from mmengine.model import convert_sync_batchnorm
from mmghost.utils.runtime import build_task_model, setup_task
dist.init_process_group('nccl')
rank = dist.get_rank()
torch.cuda.set_device(rank)
cfg = Config.fromfile(sys.argv[1])
cfg.model.backbone.init_cfg = None
torch.manual_seed(0)
model = build_task_model(setup_task(cfg), cfg.model).backbone
model = convert_sync_batchnorm(model, cfg.sync_bn).cuda().train()
torch.manual_seed(1)
batch = torch.randn(4, 3, 128, 128, device='cuda')
model(batch[2 * rank:2 * rank + 2])  # each GPU sees 2 of the 4 images
stats = torch.cat([m.running_mean for m in model.modules()
                   if isinstance(m, torch.nn.SyncBatchNorm)])
gathered = [torch.empty_like(stats) for _ in range(dist.get_world_size())]
dist.all_gather(gathered, stats)
if rank == 0:
    torch.save(dict(synced=gathered), os.environ['OUT_FILE'])
dist.destroy_process_group()
'''


UPERNET_GHOSTNET = 'configs/ghostnet/upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py'


def sync_bn_running_means(tmp_path, nproc):
    """The worker under ``torchrun --nproc_per_node=nproc`` on the UperNet GhostNet config:
    each process's SyncBatchNorm running means, gathered."""
    import os
    import os.path as osp
    import subprocess
    import sys
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    script = tmp_path / 'worker.py'
    script.write_text(SYNC_BN_WORKER)
    out = tmp_path / 'stats.pth'
    subprocess.run([sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}',
                    str(script), osp.join(repo, UPERNET_GHOSTNET)], check=True, cwd=repo,
                   env=dict(os.environ, OUT_FILE=str(out), PYTHONPATH=repo))
    return torch.load(out)['synced']


def test_upernet_sync_bn_under_torchrun_on_one_gpu(tmp_path):
    """``torchrun --nproc_per_node=1`` on CUDA (nccl) with the UperNet GhostNet config's
    ``sync_bn``: SyncBatchNorm runs, and its statistics are the 2 images' own."""
    [stats] = sync_bn_running_means(tmp_path, 1)
    assert stats.is_cuda and torch.isfinite(stats).all() and stats.abs().sum() > 0


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason='SyncBN across GPUs needs two')
def test_upernet_sync_bn_shares_backbone_statistics_across_gpus(tmp_path):
    """torchrun, 2 GPUs, the UperNet GhostNet config's ``sync_bn``: each GPU sees 2 images and
    both end with the same BatchNorm running means, those of all 4 images."""
    from torch.nn.modules.batchnorm import _BatchNorm
    synced = sync_bn_running_means(tmp_path, 2)
    torch.testing.assert_close(synced[0], synced[1])

    from tests.helpers import build_model, load_config
    cfg = load_config(UPERNET_GHOSTNET.split('configs/', 1)[1])
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = build_model(cfg).backbone.cuda().train()
    torch.manual_seed(1)
    model(torch.randn(4, 3, 128, 128, device='cuda'))  # one GPU, all 4 images, plain BN
    whole = torch.cat([m.running_mean for m in model.modules() if isinstance(m, _BatchNorm)])
    torch.testing.assert_close(synced[0].cpu(), whole.cpu(), rtol=1e-4, atol=1e-5)
