"""What the tests share: paths, config loading, model builders and assertions.

Fixtures are in ``conftest.py``; everything a test imports is here.
"""
import importlib
import importlib.util
import math
import os
import os.path as osp
import sys

import torch

REFERENCE_DIR = os.path.join(os.path.dirname(__file__), 'data', 'reference')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The four head configs of every backbone: HEADS[i].format('ghostnet-1.0x') etc.
HEADS = ['retinanet_{}_fpn_1x_coco.py', 'mask-rcnn_{}_fpn_1x_coco.py',
         'yolox_{}_8xb8-300e_coco.py', 'upernet_{}_8xb2-160k_ade20k-512x512.py']


def load_reference_module():
    spec = importlib.util.spec_from_file_location(
        'make_reference', os.path.join(REFERENCE_DIR, 'make_reference.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
# the checkout's model zoo (tools/analysis_tools/zoo.py), as the scripts beside it import it
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
import zoo  # noqa: E402


def _configs(kind):
    return [osp.relpath(p, 'configs') for p in zoo.config_files(kind)]


# paths relative to configs/: the classification configs (<family>/<official name>_in1k.py),
# the demo configs, and the detection / segmentation configs (the headline one and those of the
# family folders)
CLS_CONFIGS = _configs('cls')
DEMO_CONFIGS = _configs('demo')
DET_SEG_CONFIGS = _configs('det_seg')


def config_path(name):
    """``name`` relative to configs/, or the unique config file of that name in configs/ or one
    of its family folders (``'mask-rcnn_ghostnet-1.0x_fpn_1x_coco.py'``)."""
    if '/' in name or osp.isfile(osp.join(CONFIG_DIR, name)):  # the headline is at the top
        return osp.join(CONFIG_DIR, name)
    found = [p for p in DET_SEG_CONFIGS + CLS_CONFIGS + DEMO_CONFIGS if osp.basename(p) == name]
    assert len(found) == 1, f'{name}: {len(found)} configs of that name ({found})'
    return osp.join(CONFIG_DIR, found[0])


def load_config(name):
    """A config of the repo's configs/ folder (see ``config_path``)."""
    from mmengine.config import Config
    return Config.fromfile(config_path(name))


def load_tool(path):
    """A script of the repo (e.g. ``'tools/misc/check_weights.py'``) as a module, to call its
    ``main(argv)`` in-process."""
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(f'mmghost_tool_{name}', osp.join(REPO_ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_imagenet(root):
    """Two JPEGs in mmpretrain's ImageNet layout (``val/`` + ``meta/val.txt``), non-square, under
    ``root``; returns it as a str."""
    import numpy as np
    from PIL import Image
    os.makedirs(osp.join(root, 'val'))
    os.makedirs(osp.join(root, 'meta'))
    rng = np.random.default_rng(0)
    lines = []
    for i, size in enumerate([(300, 260), (257, 331)]):
        name = f'ILSVRC2012_val_{i:08d}.JPEG'
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(
            osp.join(root, 'val', name))
        lines.append(f'{name} {i}')
    with open(osp.join(root, 'meta', 'val.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return str(root)


def build_model(cfg):
    """The config's model, built in its task's registry (mmdet, mmseg or mmpretrain); the
    default scope is left as it was, so tests of other tasks are unaffected."""
    from mmghost.utils.runtime import build_task_model, setup_task
    return build_task_model(setup_task(cfg), cfg.model)


def build_classifier(name, **backbone_overrides):
    """``official_classifier_cfg(name)`` built by mmpretrain, whatever the default scope."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from mmghost.weights.official import official_classifier_cfg
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(official_classifier_cfg(name, **backbone_overrides))


def assert_heads_fit_backbone(cfg, model):
    """The necks take the backbone's outputs (a SimplePyramid its last, and the next neck its
    maps); an mmseg model's decode and auxiliary heads take what the necks give."""
    from torch import nn

    from mmghost.models.necks import SimplePyramid
    from mmghost.utils.runtime import detect_task
    channels = list(model.backbone.out_channels)
    necks = getattr(model, 'neck', None)
    for neck in (necks if isinstance(necks, nn.Sequential) else [necks] if necks else []):
        if isinstance(neck, SimplePyramid):
            assert neck.in_channels == channels[-1]
            channels = [neck.out_channels] * len(neck.scale_factors)
        else:
            assert list(neck.in_channels) == channels
            return  # FPN and the like: the heads take their outputs
    if detect_task(cfg) == 'mmseg':
        assert list(model.decode_head.in_channels) == channels
        aux = model.auxiliary_head
        assert aux.in_channels == channels[aux.in_index]


def randomised_timm(name):
    """timm's model ``name`` (seeded random init, eval) with random BatchNorm affine weights and
    running statistics, so that a wrong BN mapping cannot pass an equality test."""
    import timm
    from torch.nn.modules.batchnorm import _BatchNorm
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.running_mean.normal_(0, 0.2)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.normal_(1, 0.2)
                module.bias.normal_(0, 0.2)
    return model.eval()


def assert_with_cp_matches(build, x):
    """``build(with_cp)`` -> backbone. In training mode, with and without gradient
    checkpointing, the outputs and every parameter's gradient are the same (stochastic depth
    draws seeded alike, as checkpointing recomputes them)."""
    results = []
    for with_cp in (False, True):
        torch.manual_seed(0)
        model = build(with_cp).train()
        torch.manual_seed(1)
        outs = model(x)
        sum(o.pow(2).mean() for o in outs).backward()
        results.append(([o.detach() for o in outs],
                        {n: p.grad for n, p in model.named_parameters()}))
    (outs_a, grads_a), (outs_b, grads_b) = results
    for a, b in zip(outs_a, outs_b):
        torch.testing.assert_close(a, b)
    assert grads_a.keys() == grads_b.keys()
    for name, grad in grads_a.items():
        torch.testing.assert_close(grads_b[name], grad, msg=name)


def build_config_model(name):
    """A config of configs/ and its model; mmseg models pad to the demo crop (160x160)."""
    from mmghost.utils.runtime import detect_task
    cfg = load_config(name)
    if detect_task(cfg) == 'mmseg':
        cfg.model.data_preprocessor.size = (160, 160)  # pad to the demo crop, not 512x512
    return cfg, build_model(cfg)


def keep_every_prediction(test_cfg):
    """Switches off every threshold of a detector's test_cfg (nested: ``rpn``, ``rcnn``) that an
    untrained model's outputs would have to cross: scores (``score_thr`` -> 0) and proposal sizes
    (``min_bbox_size`` -> -1, mmdet's "no filter"). After one iteration the RPN may propose only
    zero-area boxes; whether any survives a size filter depends on the CPU's kernels and thread
    count, so a test that relies on it passes on one machine and fails on another."""
    for key, value in test_cfg.items():
        if isinstance(value, dict):
            keep_every_prediction(value)
        elif key == 'score_thr':
            test_cfg[key] = 0.
        elif key == 'min_bbox_size':
            test_cfg[key] = -1


# the demo config whose training data pipeline feeds each head
DEMO_DATA = {'retinanet': 'retinanet_pvig-s_fpn_demo.py', 'yolox': 'retinanet_pvig-s_fpn_demo.py',
             'mask-rcnn': 'mask-rcnn_pvig-s_fpn_demo.py', 'upernet': 'upernet_pvig-s_demo.py'}


def demo_batch(name, demo_root):
    """Two training samples of the demo data, collated as the Runner's dataloader does."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS

    from mmghost.utils.preflight import check_or_exit, set_data_root
    from mmghost.utils.runtime import setup_task
    config = osp.join('demo', DEMO_DATA[name.split('_')[0]])
    demo = load_config(config)
    task = setup_task(demo)
    set_data_root(demo, osp.join(demo_root, 'ade' if task == 'mmseg' else 'coco'))
    check_or_exit(demo, 'train', config, classes_from_data=True)  # the demo configs name none
    dataset = DATASETS.build(demo.train_dataloader.dataset)
    return pseudo_collate([dataset[0], dataset[1]])


# The det/seg config tests build every config and check its wiring; the training step, the
# slow part, runs in one head per backbone tag (the config name's second field), the heads
# spread so that each trains with three or four backbones. The demo configs train all four
# heads through the Runner (tests/test_configs.py): their backbone, Pyramid ViG-S, has no
# sampled head here (None).
TRAINED_HEAD = {
    'ghostnet-1.0x': 'retinanet', 'wavemlp-t': 'retinanet', 'pvig-ti': 'retinanet',
    'ghostnetv2-1.0x': 'mask-rcnn', 'tnt-s': 'mask-rcnn', 'pvig-m': 'mask-rcnn',
    'tinynet-a': 'yolox', 'ptnt-s': 'yolox', 'vig-s': 'yolox',
    'g-ghost-regnetx-040': 'upernet', 'wavemlp-s': 'upernet', 'augvit-s': 'upernet',
    'pvig-b': 'upernet', 'pvig-s': None,
}


def config_training_step(model, name, demo_root):
    """``one_training_step`` if ``name`` is its backbone's sampled head (``TRAINED_HEAD``)."""
    head, tag = osp.basename(name).split('_')[:2]
    assert tag in TRAINED_HEAD, f'{name}: add its backbone tag {tag!r} to TRAINED_HEAD'
    if TRAINED_HEAD[tag] == head:
        one_training_step(model, name, demo_root)


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


RELEASES_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'releases')
