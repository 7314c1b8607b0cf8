"""Swap an mmghost backbone into an existing mmdet / mmseg config.

:func:`plan_swap` reads the source config, finds the strides its neck (mmdet) or heads (mmseg)
consume by running the source backbone once, picks the official model's ``out_indices`` with
those strides (an isotropic model gets ``mmghost.SimplePyramid`` in front of the neck) and lists
every change, each with the reason: the backbone and its official weights, the channels of every
neck / head input, the family's normalisation, ``model.pretrained=None`` for mmseg, the family's
optimizer and ``custom_imports``. :func:`swap_backbone` applies them to a ``Config``;
``tools/swap_backbone.py`` writes them as a short config inheriting the source.
"""
import copy
import importlib
import math
import os.path as osp

import torch

from ..models.backbones import FAMILIES
from ..models.family import IMAGENET_NORM, SIGNED_NORM
from ..utils.coco_data import loads_masks
from ..utils.config_text import Change
from ..utils.runtime import build_task_model

# the normalisation each backbone type's weights were trained with, RGB (its classification
# configs' too), and the no-weight-decay keys of the transformer and graph families (their
# configs' paramwise_cfg): from the family descriptors
FAMILY_OF_TYPE = {t: family for family in FAMILIES.values() for t in family.types}
NORMALISATION = {t: family.normalisation for t, family in FAMILY_OF_TYPE.items()}
NO_DECAY_KEYS = {t: family.no_decay_keys for t, family in FAMILY_OF_TYPE.items()
                 if family.no_decay_keys}
# (task, backbone type) -> the AdamW a swapped transformer or graph backbone trains with, and
# its source. Detection: the Vision GNN paper's baseline, mmdet's PVT RetinaNet (weight decay
# 1e-4, as the Pyramid ViG configs); the transformers, mmdet's Swin-T Mask R-CNN (weight decay
# 0.05, as the PyramidTNT paper states). Segmentation: mmseg's Swin-T UperNet.
_PVT = (dict(type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.0001),
        "mmdet's PVT RetinaNet 1x")
_SWIN_DET = (dict(type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05),
             "mmdet's Swin-T Mask R-CNN 1x")
_SWIN_SEG = (dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
             "mmseg's Swin-T UperNet 160k")
ADAMW = {**{('mmdet', t): _PVT for t in ('mmghost.PyramidViG', 'mmghost.ViG')},
         **{('mmdet', t): _SWIN_DET for t in ('mmghost.TNT', 'mmghost.PyramidTNT',
                                              'mmghost.AugViT')},
         **{('mmseg', t): _SWIN_SEG for t in NO_DECAY_KEYS}}
NECKS = ('FPN', 'PAFPN', 'YOLOXPAFPN', 'ChannelMapper', 'CSPNeXtPAFPN')
SEG_HEADS = ('UPerHead', 'FCNHead', 'ASPPHead', 'DepthwiseSeparableASPPHead', 'PSPHead',
             'FPNHead', 'SegformerHead')
PROBE_SIZE = 256  # divisible by every stride up to 64


def config_file(source):
    """A config path, or ``package::path`` for a config shipped inside an installed OpenMMLab
    package (``'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'``), as a file path."""
    if '::' not in source:
        if not osp.isfile(source):
            raise FileNotFoundError(f'config {source!r} not found')
        return source
    package, path = source.split('::', 1)
    if package == 'mmghost':  # installed (mmghost/.mim) or a checkout
        from ..utils.paths import config_path
        return config_path(path)
    try:
        root = osp.dirname(importlib.import_module(package).__file__)
    except ImportError as error:
        raise FileNotFoundError(f'{source!r}: package {package!r} is not installed') from error
    found = osp.join(root, '.mim', 'configs', path)
    if not osp.isfile(found):
        raise FileNotFoundError(f'{source!r}: no config {path!r} in {package} ({found})')
    return found


def output_strides(task, backbone_cfg, in_channels=3):
    """The strides of a backbone's outputs, measured on a ``PROBE_SIZE`` square input."""
    cfg = dict(copy.deepcopy(backbone_cfg), init_cfg=None)
    cfg.pop('pretrained', None)
    backbone = build_task_model(task, cfg)
    backbone.eval()  # some backbones' train() (mmdet's ResNet) returns None
    with torch.no_grad():
        outs = backbone(torch.zeros(1, in_channels, PROBE_SIZE, PROBE_SIZE))
    return [PROBE_SIZE // out.shape[-1] for out in outs]


def _number(value):
    return int(value) if value == int(value) else value


def _type(cfg):
    return cfg['type'].split('.')[-1]


def _check_supported(task, model):
    """A neck reads the backbone (mmdet; mmseg's Semantic FPN); otherwise mmseg's heads do."""
    if model.get('neck') or task == 'mmdet':
        necks = model.neck if isinstance(model.neck, list) else [model.neck]
        if _type(necks[0]) not in NECKS:
            raise ValueError(
                f'neck {necks[0]["type"]!r} is not supported by swap_backbone (supported: '
                f'{list(NECKS)}); set model.neck.in_channels yourself to the backbone\'s '
                'out_channels (printed by swap_backbone with --dry-run)')
        return
    for key in ('decode_head', 'auxiliary_head'):
        heads = model.get(key) or []
        for head in heads if isinstance(heads, list) else [heads]:
            if _type(head) not in SEG_HEADS:
                raise ValueError(
                    f'model.{key} {head["type"]!r} is not supported by swap_backbone (supported: '
                    f'{list(SEG_HEADS)}); set its in_channels (and in_index) yourself from the '
                    "backbone's out_channels")


def _backbone_plan(task, name, strides, in_channels, pretrained, overrides):
    """The new backbone config, its output channels, for an isotropic model the
    SimplePyramid scale factors producing ``strides``, the strides, and what input sides should
    be a multiple of (the backbone's ``input_divisor`` and the strides consumed)."""
    from mmghost.weights.official import OFFICIAL_MODELS, official_backbone_cfg
    if name not in OFFICIAL_MODELS:
        raise ValueError(f'{name!r} is not an official model; choose from '
                         f'{sorted(OFFICIAL_MODELS)}')
    weights = OFFICIAL_MODELS[name].weights
    init_cfg = (dict(type='Pretrained', checkpoint=weights.url) if pretrained and weights
                else None)
    chosen = overrides.pop('out_indices', None)
    probe = build_task_model(task, official_backbone_cfg(name, init_cfg=None, **overrides))
    stage_strides = list(probe.stage_strides)
    if len(set(strides)) < len(strides):  # a dilated source (mmseg's r50-d8: 4/8/8/8)
        pyramid = sorted(s for s in set(stage_strides) if s >= strides[0])
        strides = pyramid[:len(strides)] if len(pyramid) >= len(strides) else strides
    if len(set(stage_strides)) == 1:  # isotropic: one stride-16 map, rescaled
        scales = tuple(_number(stage_strides[0] / s) for s in strides)
        out_indices = (-1, )
    else:
        missing = [s for s in strides if s not in stage_strides]
        if missing:
            raise ValueError(f'{name} has no output at stride {missing} (its stages: strides '
                             f'{stage_strides}); the source consumes strides {strides}')
        # the last stage of each stride: the deepest features (e.g. GhostNet's final 1x1 conv)
        out_indices = tuple(max(i for i, s in enumerate(stage_strides) if s == stride)
                            for stride in strides)
        scales = None
        if chosen is not None:  # the user's choice, if it gives the same strides
            given = [stage_strides[i] for i in chosen]
            if given != strides:
                raise ValueError(f'out_indices {tuple(chosen)} of {name} give strides {given}; '
                                 f'the source consumes strides {strides} (e.g. out_indices '
                                 f'{out_indices})')
            out_indices = tuple(chosen)
    cfg = official_backbone_cfg(name, out_indices=out_indices, init_cfg=init_cfg, **overrides)
    if in_channels != 3:
        cfg['in_channels'] = in_channels
    backbone = build_task_model(task, dict(cfg, init_cfg=None))
    return (cfg, list(backbone.out_channels), scales, strides,
            math.lcm(backbone.input_divisor, *strides))


def plan_swap(cfg, name, pretrained=True, **backbone_overrides):
    """The changes that put the official model ``name`` into the config ``cfg``.

    Args:
        cfg (mmengine.Config): An mmdet or mmseg config (loaded with ``Config.fromfile``).
        name (str): An official model name (``mmghost.OFFICIAL_MODELS``).
        pretrained (bool): Start from the official ImageNet weights (its URL).
        **backbone_overrides: Backbone arguments to set (``frozen_stages``, ``with_cp``, ...).

    Returns:
        tuple[list[Change], dict]: The changes, and a report: the source and new strides and
        channels.

    Raises:
        ValueError: the config is not mmdet / mmseg, its neck or heads are not supported, or the
            model has no output at a stride the source consumes.
    """
    from mmghost.utils.runtime import setup_task
    task = setup_task(cfg)
    if task not in ('mmdet', 'mmseg'):
        raise ValueError(f'swap_backbone works on mmdet and mmseg configs; this one is {task}')
    model = cfg.model
    _check_supported(task, model)
    in_channels = model.backbone.get('in_channels', 3)
    source_strides = output_strides(task, model.backbone, in_channels)
    backbone, channels, scales, strides, divisor = _backbone_plan(
        task, name, source_strides, in_channels, pretrained, backbone_overrides)
    where = ('as the source backbone' if strides == source_strides else
             f'(the source is dilated: strides {source_strides})')
    changes = [Change('model.backbone', dict(_delete_=True, **backbone),
                      f'{name}, outputs at strides {strides} {where}'
                      + ('' if backbone.get('init_cfg') else ', random init'))]
    if scales:  # an isotropic model: SimplePyramid makes the strides the source consumes
        changes += _pyramid_changes(task, model, channels[0], scales)
    elif model.get('neck'):
        changes.append(Change('model.neck.in_channels', channels,
                              "= the backbone's out_channels"))
    else:
        changes += _seg_head_changes(model, channels)
    if task == 'mmseg' and model.get('pretrained') is not None:
        changes.append(Change('model.pretrained', None,
                              'the backbone loads its own weights (init_cfg)'))
    changes.append(_preprocessor_change(task, model, backbone['type'], name, in_channels,
                                        divisor))
    changes += _optimizer_changes(task, cfg, backbone['type'])
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    changes.append(Change('custom_imports',
                          dict(imports=imports + [i for i in ['mmghost'] if i not in imports],
                               allow_failed_imports=False), 'registers the mmghost backbones'))
    report = dict(task=task, strides=strides, out_indices=backbone['out_indices'],
                  channels=channels, pyramid_scales=scales, input_divisor=divisor)
    return changes, report


def _preprocessor_change(task, model, backbone_type, name, in_channels, divisor):
    """The family's normalisation for the RGB channels; channels beyond three (``in_channels``
    > 3) keep the source's values where it has one per channel, else mean 0 and std 1. An mmdet
    batch is padded to a multiple of ``divisor`` where the source's ``pad_size_divisor`` is
    not one already (DETR's is 1), so that every output is exactly ``1 / stride`` of it."""
    norm = NORMALISATION.get(backbone_type, IMAGENET_NORM)
    why = f'{name} is trained on RGB ' + ('scaled to [-1, 1]' if norm is SIGNED_NORM else
                                          'with the ImageNet mean / std')
    source = model.get('data_preprocessor', {})
    source_divisor = source.get('pad_size_divisor', 1)
    padding = {}
    if task == 'mmdet' and source_divisor % divisor:
        padding['pad_size_divisor'] = math.lcm(source_divisor, divisor)
        why += (f'; batches padded to a multiple of {padding["pad_size_divisor"]} (the '
                "backbone's input_divisor and the strides consumed)")
    if in_channels == 3:
        return Change('model.data_preprocessor', dict(norm, bgr_to_rgb=True, **padding), why)
    extra = in_channels - 3
    has_own = len(source.get('mean') or []) == in_channels
    mean = norm['mean'][:in_channels] + (source['mean'][3:] if has_own else [0.] * extra)
    std = norm['std'][:in_channels] + (source['std'][3:] if has_own else [1.] * extra)
    value = dict(mean=mean, std=std, bgr_to_rgb=in_channels >= 3, **padding)
    if task == 'mmdet':  # mmengine's preprocessor takes 1 or 3 values
        value['type'] = 'mmghost.MultiChannelDetDataPreprocessor'
    return Change('model.data_preprocessor', value,
                  f'{why}; {in_channels} input channels (extra ones: '
                  + ('the source\'s values)' if has_own else 'mean 0, std 1: set your data\'s)'))


def _pyramid_changes(task, model, channels, scales):
    pyramid = dict(type='mmghost.SimplePyramid', in_channels=channels, scale_factors=scales)
    if task == 'mmdet':
        neck = model.neck[-1] if isinstance(model.neck, list) else model.neck
        width = neck['out_channels'] if isinstance(neck.get('out_channels'), int) else 256
        pyramid['out_channels'] = width
        return [Change('model.neck', [pyramid, dict(neck, in_channels=[width] * len(scales))],
                       'SimplePyramid turns the stride-16 map into the strides the source '
                       'neck consumes')]
    pyramid['out_channels'] = 256
    return [Change('model.neck', pyramid, 'SimplePyramid turns the stride-16 map into the '
                   'strides the heads consume')] + _seg_head_changes(model, [256] * len(scales))


def _seg_head_changes(model, channels):
    changes = []
    for key in ('decode_head', 'auxiliary_head'):
        heads = model.get(key)
        if not heads:
            continue
        updated = [_seg_head(head, channels) for head in
                   (heads if isinstance(heads, list) else [heads])]
        changes.append(Change(f'model.{key}', updated if isinstance(heads, list) else updated[0],
                              "in_channels = the backbone's out_channels at in_index"))
    return changes


def _seg_head(head, channels):
    index = head.get('in_index', -1)
    updated = dict(head, in_channels=([channels[i] for i in index] if isinstance(index, list)
                                      else channels[index]))
    if 'c1_in_channels' in head:  # DepthwiseSeparableASPPHead's low-level input: stride 4
        updated['c1_in_channels'] = channels[0]
    return updated


def _optimizer_changes(task, cfg, backbone_type):
    if backbone_type not in NO_DECAY_KEYS:
        return []
    optimizer, source = ADAMW[task, backbone_type]
    paramwise = FAMILY_OF_TYPE[backbone_type].paramwise_cfg
    return [Change('optim_wrapper', dict(_delete_=True, type='OptimWrapper',
                                         optimizer=optimizer, paramwise_cfg=paramwise,
                                         **({'clip_grad': cfg.optim_wrapper['clip_grad']}
                                            if cfg.optim_wrapper.get('clip_grad') else {})),
                   f'AdamW as {source}, without decay on norms and embeddings')]


def swap_backbone(cfg, name, pretrained=True, **backbone_overrides):
    """``cfg`` (an mmdet / mmseg ``Config``) with the official model ``name`` as its backbone:
    :func:`plan_swap`'s changes applied to a copy."""
    from mmengine.config import Config
    changes, _ = plan_swap(cfg, name, pretrained, **backbone_overrides)
    swapped = Config(copy.deepcopy(cfg.to_dict()))
    for change in changes:
        swapped.merge_from_dict({change.key: copy.deepcopy(change.value)})
    return swapped


# ---------------------------------------------------------------------------- validation
def _synthetic_batch(task, with_masks, in_channels=3, size=(256, 320)):
    """Two random images with ground truth (boxes and labels, and masks ``with_masks``, for
    mmdet; a label map for mmseg), as a dataloader delivers them."""
    height, width = size
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (in_channels, height, width), dtype=torch.uint8,
                            generator=generator) for _ in range(2)]
    meta = dict(img_shape=size, ori_shape=size, pad_shape=size, scale_factor=(1., 1.))
    samples = []
    if task == 'mmdet':
        from mmdet.structures import DetDataSample
        from mmdet.structures.mask import BitmapMasks
        from mmengine.structures import InstanceData
        for _ in range(2):
            corners = torch.rand(3, 2, generator=generator) * torch.tensor([width, height]) * 0.6
            boxes = torch.cat([corners, corners + torch.tensor([width, height]) * 0.3], dim=1)
            masks = torch.zeros(3, height, width, dtype=torch.uint8)
            for mask, (x1, y1, x2, y2) in zip(masks, boxes.long().tolist()):
                mask[y1:y2, x1:x2] = 1
            sample = DetDataSample(metainfo=meta)
            sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.tensor([0, 1, 2]))
            if with_masks:
                sample.gt_instances.masks = BitmapMasks(masks.numpy(), height, width)
            samples.append(sample)
    else:
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        for _ in range(2):
            sample = SegDataSample(metainfo=meta)
            sample.gt_sem_seg = PixelData(
                data=torch.randint(0, 4, (1, height, width), generator=generator))
            samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def check_training_step(task, cfg):
    """Builds the model of ``cfg`` (random init, no download) and runs one loss-mode training
    step on two synthetic images: anchors, strides, losses and the backward pass are exercised.

    Returns:
        dict: The losses, each a float.

    Raises:
        RuntimeError: the step failed or a loss is not finite; the message names the config
            parts involved.
    """
    import logging

    from mmengine.logging import MMLogger
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    preprocessor = model_cfg.get('data_preprocessor', {})
    preprocessor.pop('batch_augments', None)  # needs the Runner's iteration count
    if task == 'mmseg':
        preprocessor['size'] = (256, 320)
    model = build_task_model(task, model_cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every parameter
    try:
        model.init_weights()  # the heads' bias priors; the backbone stays random (no download)
    finally:
        logger.setLevel(level)
    model.train()
    try:
        batch = _synthetic_batch(task, loads_masks(cfg.get('train_dataloader', {})),
                                 model_cfg.backbone.get('in_channels', 3))
        data = model.data_preprocessor(batch, True)
        losses = model.loss(data['inputs'], data['data_samples'])
        total, log_vars = model.parse_losses(losses)
        total.backward()
    except Exception as error:
        raise RuntimeError(f'one training step of the swapped model failed: {error}') from error
    values = {k: float(v.detach()) if torch.is_tensor(v) else float(v)
              for k, v in log_vars.items()}
    if not all(math.isfinite(v) for v in values.values()):
        raise RuntimeError(f'the swapped model gives non-finite losses: {values}')
    return values
