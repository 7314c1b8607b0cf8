"""Shared plumbing of ``tools/train.py`` and ``tools/test.py``.

The tools run mmdet and mmseg configs alike. What they need beyond mmengine's ``Runner``:

* :func:`detect_task` / :func:`setup_task`: the config's ``default_scope`` names the downstream
  package (``mmdet``, ``mmseg`` or ``mmpretrain``); its modules are registered and its scope made
  the default before the runner is built.
* :func:`setup_cpu_distributed`: mmengine 0.10's ``init_dist`` calls ``torch.cuda.set_device``
  and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``, so ``--launcher pytorch`` fails on a
  machine without CUDA. Without CUDA, this initialises a gloo process group from the launcher's
  environment variables (``Runner.setup_env`` skips ``init_dist`` once a group exists) and asks
  for a device-less ``MMDistributedDataParallel``.
* :func:`build_runner`, :func:`default_work_dir`, :func:`enable_visualization`.
"""
import argparse
import contextlib
import copy
import datetime
import gc
import importlib
import os
import os.path as osp
import subprocess
import warnings

import torch
import torch.distributed as torch_dist

#: ``default_scope`` -> package whose ``utils.register_all_modules`` registers its modules.
TASK_PACKAGES = ('mmdet', 'mmseg', 'mmpretrain')


def detect_task(cfg):
    """The downstream package a config is written for: ``'mmdet'``, ``'mmseg'`` or
    ``'mmpretrain'``, read from its ``default_scope``.

    Raises:
        ValueError: the config has no ``default_scope`` or names another package.
    """
    scope = cfg.get('default_scope', None)
    if scope in TASK_PACKAGES:
        return scope
    raise ValueError(
        f"Cannot tell the task of this config: default_scope is {scope!r}; set "
        f"default_scope to one of {list(TASK_PACKAGES)} (detection and instance segmentation: "
        "'mmdet', semantic segmentation: 'mmseg', classification: 'mmpretrain')")


def setup_task(cfg):
    """Registers the task package's modules, makes its scope the default and imports mmghost.

    Returns:
        str: The task (see :func:`detect_task`).
    """
    task = detect_task(cfg)
    importlib.import_module(f'{task}.utils').register_all_modules(init_default_scope=False)
    from mmengine.registry import init_default_scope
    init_default_scope(task)
    importlib.import_module('mmghost')  # aliases into mmdet/mmseg MODELS, checkpoint loading
    if task == 'mmdet':
        # mmdet's tools do this too: fewer torch.compile recompilations (DYNAMO_CACHE_SIZE_LIMIT)
        from mmdet.utils import setup_cache_size_limit_of_dynamo
        setup_cache_size_limit_of_dynamo()
    return task


def build_task_model(task, model_cfg):
    """``model_cfg`` built by the task package's ``MODELS`` registry (``'mmdet'``, ``'mmseg'``
    or ``'mmpretrain'``) with the task as the default scope, which is restored afterwards.
    The config is copied: builders may change what they are given."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope(task):
        registry = importlib.import_module(f'{task}.registry').MODELS
        return registry.build(copy.deepcopy(model_cfg))


def add_data_arguments(parser, data_root=True):
    """Adds the flags that point a config at the user's data and give it its classes:
    ``--data-root`` (unless ``data_root`` is false: a tool that takes it positionally),
    ``--ann-files``, ``--img-dirs``, ``--classes-from-data``, ``--classes``,
    ``--reduce-zero-label``, ``--img-suffix`` and ``--seg-map-suffix``; applied by
    :func:`apply_data_arguments` and :func:`mmghost.utils.preflight.check_or_exit`."""
    from mmengine.config import DictAction
    data = parser.add_argument_group(
        'your own data', 'point the config at a dataset and give it the classes of the data '
        '(docs/own_data.md)')
    if data_root:
        data.add_argument(
            '--data-root', help="the dataset folder (e.g. COCO's, which holds annotations/ "
            "and train2017/): the data_root of every dataloader, and the evaluators' ann_file")
    data.add_argument(
        '--ann-files', nargs='+', action=DictAction, metavar='SPLIT=FILE',
        help='the annotation file of each split (train, val, test; val sets test too) under '
        'the data root, for COCO-format data in another layout than COCO 2017\'s, e.g. '
        'train=annotations/train.json val=annotations/val.json')
    data.add_argument(
        '--img-dirs', nargs='+', action=DictAction, metavar='SPLIT=DIR',
        help='the image folder of each split of COCO-format data under the data root, e.g. '
        'train=images/ val=images/')
    data.add_argument(
        '--classes-from-data', action='store_true',
        help="the classes of the data become the classes of the run: the categories of the "
        "COCO-format annotation files, or the names in the segmentation data's classes.txt "
        "(one per line, in label order); they are set as metainfo.classes of every dataset and "
        "num_classes of every head (without it, data whose classes differ from the config's "
        "stops the run)")
    data.add_argument(
        '--classes', nargs='+', metavar='NAME',
        help='the classes to train on, as names or one file of them (one per line): some of '
        'the categories of COCO-format data (the others are dropped), or the classes of the '
        'label values of segmentation maps; set as --classes-from-data does')
    data.add_argument(
        '--reduce-zero-label', action=argparse.BooleanOptionalAction, default=None,
        help="segmentation maps: value 0 is ignored and value i is class i - 1 (as ADE20K's; "
        "--no-reduce-zero-label: value 0 is a class; default: the config's)")
    data.add_argument('--img-suffix', help='segmentation data: the images\' suffix (.jpg)')
    data.add_argument('--seg-map-suffix',
                      help='segmentation data: the label maps\' suffix (.png)')


def apply_data_arguments(cfg, args):
    """:func:`add_data_arguments`' paths and settings on ``cfg``: ``--data-root``
    (:func:`mmghost.utils.preflight.set_data_root`), ``--ann-files`` / ``--img-dirs``
    (:func:`mmghost.utils.preflight.set_split_paths`), ``--reduce-zero-label`` and the suffixes
    (:mod:`mmghost.utils.seg_data`); a flag the tool lacks is skipped. The classes are the
    preflight's."""
    from mmghost.utils.preflight import set_data_root, set_split_paths
    from mmghost.utils.seg_data import set_reduce_zero_label, set_suffixes
    flags = {key: getattr(args, key, None) for key in (
        'data_root', 'ann_files', 'img_dirs', 'reduce_zero_label', 'img_suffix',
        'seg_map_suffix')}
    if flags['data_root'] is not None:
        set_data_root(cfg, flags['data_root'])
    try:
        set_split_paths(cfg, flags['ann_files'], flags['img_dirs'])
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if flags['reduce_zero_label'] is not None:
        set_reduce_zero_label(cfg, flags['reduce_zero_label'])
    if flags['img_suffix'] or flags['seg_map_suffix']:
        set_suffixes(cfg, flags['img_suffix'], flags['seg_map_suffix'])


def add_common_arguments(parser):
    """Adds what tools/train.py and tools/test.py share: ``--work-dir``, the data flags
    (``--data-root``, ``--ann-files``, ``--img-dirs``, ``--classes-from-data``, ``--classes``,
    ``--reduce-zero-label``, ``--img-suffix``, ``--seg-map-suffix``), ``--cfg-options``,
    ``--launcher`` and ``--local-rank`` (mmdet's spelling and help)."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir', help='the dir to save logs, models and metrics')
    add_data_arguments(parser)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override some settings in the used config, the key-value pair in xxx=yyy '
        'format will be merged into config file. If the value to be overwritten is a list, '
        'it should be like key="[a,b]" or key=a,b It also allows nested list/tuple values, '
        'e.g. key="[(a,b),(c,d)]" Note that the quotation marks are necessary and that no '
        'white space is allowed.')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args):
    """The config of ``args.config`` with the common arguments applied.

    Sets ``LOCAL_RANK`` from ``--local-rank`` when the launcher did not, the launcher, the data
    flags (:func:`apply_data_arguments`), the ``--cfg-options`` and the work dir (CLI > config >
    ``./work_dirs/<config name>``).
    """
    from mmengine.config import Config
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    apply_data_arguments(cfg, args)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    return cfg


def default_work_dir(config_path):
    """``./work_dirs/<config file name without extension>`` (the OpenMMLab default)."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _env_from_mpi():
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('The environment variable MASTER_ADDR is not set')
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']


def _env_from_slurm(port=None):
    node_list = os.environ['SLURM_NODELIST']
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


@contextlib.contextmanager
def cpu_distributed(cfg, launcher):
    """:func:`setup_cpu_distributed` for the duration of a ``with`` block, then tears down the
    gloo group it initialised while the interpreter is whole.

    A gloo worker thread that still holds a tensor owned by Python when the interpreter
    finalises aborts the process ("terminate called without an active exception") after its
    work is done. The runner's DDP reducer keeps the group, and the works of its last
    collectives, alive past ``destroy_process_group`` until the garbage collector frees the
    runner's reference cycles, so they are freed first. After a block that succeeded, a barrier
    lets every rank finish its last collective before any rank tears down.
    """
    initialised = setup_cpu_distributed(cfg, launcher)
    succeeded = False
    try:
        yield initialised
        succeeded = True
    finally:
        if initialised and torch_dist.is_initialized():
            gc.collect()
            if succeeded:
                torch_dist.barrier()
            torch_dist.destroy_process_group()


def setup_cpu_distributed(cfg, launcher):
    """Starts CPU (gloo) distributed training when there is a launcher but no CUDA device.

    Does nothing (returns False) for ``launcher='none'``, when CUDA is available (mmengine's own
    ``init_dist`` handles that) or when a process group already exists. Otherwise it fills the
    torch.distributed environment variables for ``slurm``/``mpi`` launchers (``pytorch``, i.e.
    torchrun, sets them itself), initialises a gloo process group (timeout from
    ``env_cfg.dist_cfg.timeout`` if set) and sets ``cfg.model_wrapper_cfg`` to a
    ``MMDistributedDataParallel`` with ``device_ids=None`` (CPU module), keeping any other
    wrapper options of the config. SyncBN layers in ``cfg.model`` become BN (torch syncs CUDA
    tensors only).

    Returns:
        bool: Whether the gloo group was initialised here.
    """
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}) or {})
    if launcher == 'mpi':
        _env_from_mpi()
    elif launcher == 'slurm':
        _env_from_slurm(dist_cfg.get('port'))
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher!r}')
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    torch_dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                                  world_size=int(os.environ['WORLD_SIZE']), **kwargs)
    env_cfg = dict(cfg.get('env_cfg', None) or {})
    env_cfg['dist_cfg'] = dict(dist_cfg, backend='gloo')  # what is really used, for the log
    cfg.env_cfg = env_cfg

    # torch's SyncBatchNorm only syncs CUDA tensors (a CPU input raises ValueError in training)
    if _replace_sync_bn(cfg.model) or cfg.get('sync_bn', None):
        cfg.sync_bn = None
        warnings.warn('CPU distributed training: SyncBN needs CUDA, using per-process BN')

    wrapper = dict(cfg.get('model_wrapper_cfg', None) or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    # mmengine fills device_ids=[LOCAL_RANK] only where the config leaves it out; a CPU module
    # needs None. broadcast_buffers/find_unused_parameters as mmengine's default wrapper.
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    return True


def _replace_sync_bn(node):
    """Turns every ``type='SyncBN'`` (or ``'MMSyncBN'``) norm config in ``node`` into BN."""
    replaced = False
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN', 'TorchSyncBN'):
            node['type'] = 'BN'
            replaced = True
        for value in node.values():
            replaced = _replace_sync_bn(value) or replaced
    elif isinstance(node, (list, tuple)):
        for value in node:
            replaced = _replace_sync_bn(value) or replaced
    return replaced


def build_runner(cfg):
    """``Runner.from_cfg(cfg)``, or the registered ``cfg.runner_type`` runner if set."""
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


def enable_visualization(cfg, task, show=False, show_dir=None, wait_time=2.):
    """Turns the config's visualization hook on for testing, as mmdet's / mmseg's test tools.

    Every test image is painted: mmdet writes them to ``work_dir/<timestamp>/<show_dir>``,
    mmseg to ``<show_dir>/vis_data/vis_image`` (each package's own convention).
    """
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise RuntimeError('--show/--show-dir need a visualization hook in default_hooks, '
                           "e.g. visualization=dict(type='DetVisualizationHook')")
    hook = hooks['visualization']
    hook['draw'] = True
    if show:
        hook['show'] = True
        hook['wait_time'] = wait_time
    if show_dir:
        if task == 'mmseg':
            cfg.visualizer['save_dir'] = show_dir
            hook['interval'] = 1  # every image, as mmdet's test_out_dir (mmseg: every 50th)
        else:
            hook['test_out_dir'] = show_dir
    return cfg
