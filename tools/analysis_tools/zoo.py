"""The model zoo of a source checkout: its configs by family (``configs/<family>/``, as mmdet's
``configs/<backbone>/``), read from the folder layout. It lives with the tools because it reads
the checkout's configs/, README.md and docs/ (an installed mmghost has none of them): the scripts
beside it (``model_zoo.py``, ``list_models.py``) import it as ``zoo``; other tools and the tests
put this folder on ``sys.path`` first.

- ``configs/retinanet_pvig_s_coco.py``: the headline config, a one-line ``_base_`` of
  ``configs/vig/retinanet_pvig-s_fpn_1x_coco.py`` (family configs never inherit from outside
  their folder);
- ``configs/<family>/``: the family's det / seg configs and its classification configs
  (``<official name>_in1k.py``), with a ``README.md`` and a ``metafile.yml``;
- ``configs/demo/``: the CPU demo configs; ``configs/_base_/``: bases, never run by themselves.
"""
import copy
import functools
import glob
import os.path as osp
import re
from dataclasses import dataclass

import torch

from mmghost.models.backbones import FAMILIES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')
#: the headline config, a one-line ``_base_`` of its family's config (the zoo lists that one)
HEADLINE = 'configs/retinanet_pvig_s_coco.py'
HEADLINE_CONFIG = 'configs/vig/retinanet_pvig-s_fpn_1x_coco.py'
KINDS = ('det_seg', 'cls', 'demo')


def _relative(paths):
    return sorted(osp.relpath(p, REPO_ROOT) for p in paths)


def families():
    """The family folders of configs/."""
    return sorted(osp.basename(p) for p in glob.glob(osp.join(CONFIG_ROOT, '*'))
                  if osp.isdir(p) and osp.basename(p) not in ('_base_', 'demo'))


def config_files(kind, family=None):
    """Repo-relative paths of the configs of one kind, optionally of one family.

    Args:
        kind (str): ``'det_seg'`` (every family's detection /
            segmentation configs), ``'cls'`` (``<official name>_in1k.py``) or ``'demo'``.
        family (str, optional): a folder of configs/, e.g. ``'ghostnet'``.
    """
    if kind not in KINDS:
        raise ValueError(f'kind {kind!r} is not one of {KINDS}')
    if kind == 'demo':
        return _relative(glob.glob(osp.join(CONFIG_ROOT, 'demo', '*.py')))
    folders = [family] if family else families()
    paths = [p for folder in folders for p in glob.glob(osp.join(CONFIG_ROOT, folder, '*.py'))]
    paths = [p for p in paths if p.endswith('_in1k.py') == (kind == 'cls')]
    return _relative(paths)


def configs_by_checkpoint():
    """Checkpoint of ``model.backbone.init_cfg`` (``None``: random init) -> the repo-relative
    paths of the det / seg configs that start from it, in :func:`config_files` order."""
    from mmengine.config import Config
    users = {}
    for path in config_files('det_seg'):
        init_cfg = Config.fromfile(osp.join(REPO_ROOT, path)).model.backbone.get('init_cfg') or {}
        users.setdefault(init_cfg.get('checkpoint'), []).append(path)
    return users


# ---------------------------------------------------------------------------- collections
@dataclass(frozen=True)
class Collection:
    """A paper: the ``Collections`` entry of a family's metafile (from the family descriptors'
    papers, :class:`~mmghost.models.family.Paper`).

    Attributes:
        name (str): The collection name (``In Collection`` of its models).
        folder (str): The family folder of configs/ holding its configs.
        title (str): The paper's title.
        url (str): The paper's arXiv page.
        backbones (tuple[str]): The registry names of the backbones it covers.
        code (str): The family module implementing them.
    """
    name: str
    folder: str
    title: str
    url: str
    backbones: tuple
    code: str


COLLECTIONS = tuple(
    Collection(paper.collection, family.name, paper.title, paper.url, paper.backbones,
               family.module.replace('.', '/') + '.py')
    for family in FAMILIES.values() for paper in family.papers)

# Downstream figures the papers report for the setup of a config (the upstream repository
# publishes none), taken from third-party listings of the papers' tables. Never reproduced here:
# the metafiles and READMEs label them so.
_VIG_PAPER = 'the Vision GNN paper (arXiv 2206.00272)'
_LISTED = 'as listed by a third party'
REPORTED = {
    HEADLINE_CONFIG: [dict(Task='Object Detection', Dataset='COCO', Metrics={'box AP': 41.8},
                    Source=f'{_VIG_PAPER}, RetinaNet 1x, {_LISTED}')],
    'configs/vig/mask-rcnn_pvig-s_fpn_1x_coco.py': [
        dict(Task='Object Detection', Dataset='COCO', Metrics={'box AP': 42.6},
             Source=f'{_VIG_PAPER}, Mask R-CNN 1x, {_LISTED}'),
        dict(Task='Instance Segmentation', Dataset='COCO', Metrics={'mask AP': 39.4},
             Source=f'{_VIG_PAPER}, Mask R-CNN 1x, {_LISTED}')],
    'configs/pyramid_tnt/retinanet_ptnt-s_fpn_1x_coco.py': [
        dict(Task='Object Detection', Dataset='COCO', Metrics={'box AP': 42.0},
             Source=f'the PyramidTNT paper (arXiv 2201.00978), RetinaNet 1x, {_LISTED}')],
}
FLOPS_CONVENTION = ("mmengine's FLOP counter (mmengine.analysis), one multiply-add = 1 FLOP as "
                    'the upstream papers count; operators it does not know (e.g. the graph '
                    'max-relative gather of Vision GNN) count 0')


def collection_of(backbone_type):
    """The collection covering a backbone registry name (``'mmghost.GhostNet'``)."""
    for collection in COLLECTIONS:
        if backbone_type in collection.backbones:
            return collection
    raise KeyError(f'no collection covers backbone {backbone_type!r}; known: '
                   f'{[b for c in COLLECTIONS for b in c.backbones]}')


# ---------------------------------------------------------------------------- recipes
# Every det / seg config declares where its training recipe comes from, as a top-level
# ``recipe = dict(source=..., why=...)`` (the recipes of configs/_base_/recipes/ set it; a config
# that trains otherwise overrides it). ``source`` is either a stock config of an installed
# OpenMMLab package (``'mmdet::pvt/retinanet_pvt-s_fpn_1x_coco.py'``), read to compare, or a
# paper, whose statements the recipe records as ``stated`` (keys of :func:`training_facts`).
HEADS = {'retinanet': 'RetinaNet', 'mask-rcnn': 'Mask R-CNN', 'yolox': 'YOLOX',
         'upernet': 'UperNet'}


def head_of(path):
    """The head of a det / seg config from its name (``'mask-rcnn_pvig-s_fpn_1x_coco.py'``:
    ``'mask-rcnn'``), as a key of ``HEADS``."""
    head = osp.basename(path).split('_')[0]
    if head not in HEADS:
        raise ValueError(f'{path}: the name does not start with a known head {list(HEADS)}')
    return head


def training_facts(cfg, path):
    """What a config trains with, as its source can be compared: the optimizer, the parameter
    schedulers, the batch (``batch_size``: all GPUs, from ``auto_scale_lr`` or else the
    ``<gpus>xb<images>`` of the file name; ``batch_per_gpu``) and ``max_epochs`` / ``max_iters``.
    """
    scale = cfg.get('auto_scale_lr')
    if scale:
        batch = scale['base_batch_size']
    else:
        gpus, images = re.search(r'_(\d+)xb(\d+)-', osp.basename(path)).groups()
        batch = int(gpus) * int(images)
    loop = {k: v for k, v in cfg.train_cfg.items() if k in ('max_epochs', 'max_iters')}
    return dict(optimizer=cfg.optim_wrapper.optimizer.to_dict(),
                param_scheduler=[dict(s) for s in cfg.param_scheduler], batch_size=batch,
                batch_per_gpu=cfg.train_dataloader.batch_size, **loop)


@functools.lru_cache
def _stock_facts(source):
    from mmengine.config import Config

    from mmghost.apis.swap import config_file
    facts = training_facts(Config.fromfile(config_file(source)), source.split('::')[1])
    del facts['batch_per_gpu']  # the split of the batch over GPUs is free
    return facts


def source_facts(recipe):
    """What a recipe's source says, as :func:`training_facts` keys: a stock config's facts (all
    but ``batch_per_gpu``), or a paper's ``stated``."""
    if '::' in recipe['source']:
        return copy.deepcopy(_stock_facts(recipe['source']))
    return dict(recipe['stated'])


def recipe_mismatches(path):
    """How a det / seg config (repo-relative path) differs from its declared recipe source, as
    readable lines; empty when it trains as the source says."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    recipe = cfg.get('recipe')
    if not recipe or not recipe.get('source') or not recipe.get('why'):
        return [f'{path}: declares no recipe = dict(source=..., why=...)']
    ours = training_facts(cfg, path)
    return [f"{path}: {key} is {ours.get(key)!r}, {recipe['source']} says {value!r}"
            for key, value in source_facts(recipe).items() if ours.get(key) != value]


# ---------------------------------------------------------------------------- measuring
TRAINING_DATA = {'mmdet': 'COCO', 'mmseg': 'ADE20K', 'mmpretrain': 'ImageNet-1k'}
TASK_NAMES = {'mmdet': 'Object Detection', 'mmseg': 'Semantic Segmentation',
              'mmpretrain': 'Image Classification'}
# the zoo's input sizes (height, width): mmdet's 1333x800 test scale and mmseg's 512x512 crop;
# classification uses each config's evaluation crop
ZOO_INPUT = {'mmdet': (800, 1333), 'mmseg': (512, 512)}


def load(path):
    """A config of the repo (repo-relative path), its task and its model (random weights:
    ``init_cfg`` is not applied, so nothing is downloaded), built in the task's scope."""
    from mmengine.config import Config

    from mmghost.utils.runtime import build_task_model, setup_task
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    task = setup_task(cfg)
    return cfg, task, build_task_model(task, cfg.model).eval()


def zoo_input(cfg, task):
    """``(height, width)`` of the zoo's FLOPs / latency input for a config (``ZOO_INPUT``)."""
    from mmghost.utils.profiling import config_input_shape
    return ZOO_INPUT.get(task) or config_input_shape(cfg, task)


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())


class _TensorForward(torch.nn.Module):
    """``model(inputs, data_samples, mode='tensor')`` as a one-input module, for the tracing
    FLOP counter (two-stage detectors read the image metas of the data samples, as in mmdet's
    ``get_flops.py``)."""

    def __init__(self, model, data_samples):
        super().__init__()
        self.model = model
        self.data_samples = data_samples

    def forward(self, inputs):
        return self.model(inputs, self.data_samples, mode='tensor')


def count_flops(model, task, shape):
    """FLOPs (``FLOPS_CONVENTION``) of the model's tensor forward on one ``shape`` image after
    its data preprocessor (mmdet pads 800x1333 to 800x1344), and the shape it counted."""
    from mmengine.analysis import FlopAnalyzer

    from mmghost.utils.profiling import synthetic_batch
    with torch.no_grad():
        data = model.data_preprocessor(synthetic_batch(task, shape, 1), False)
        analyzer = FlopAnalyzer(_TensorForward(model, data['data_samples']),
                                inputs=(data['inputs'], ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return int(analyzer.total()), list(data['inputs'].shape)


# ---------------------------------------------------------------------------- metafiles
# measured on a machine, recorded by the tool and never compared by the tests
MEASURED_KEYS = ('inference time (ms/im)', 'Peak Memory (MiB)')


def _schedule(cfg):
    train_cfg = cfg.get('train_cfg', {})
    if 'max_epochs' in train_cfg:
        return {'Epochs': train_cfg['max_epochs']}
    if 'max_iters' in train_cfg:
        return {'Iterations': train_cfg['max_iters']}
    return {}


def _results(path, task, official):
    """The reported figures for a config, each labelled with who reports it."""
    if task == 'mmpretrain':
        weights = official.weights if official else None
        if weights is None:
            return []
        return [{'Task': TASK_NAMES[task], 'Dataset': 'ImageNet-1k',
                 'Metrics': {'Top 1 Accuracy': weights.top1},
                 'Reported By': 'upstream, with the released weights (not reproduced here)'}]
    return [{'Task': r['Task'], 'Dataset': r['Dataset'], 'Metrics': dict(r['Metrics']),
             'Reported By': f"{r['Source']} (not reproduced here)"}
            for r in REPORTED.get(path, [])]


def model_entry(path, flops=True):
    """The metafile entry of a config, from its code: parameters (whole model and backbone,
    exact), FLOPs at the zoo input (``flops=False`` leaves them out), weights and reported
    figures. Latency and memory come from :func:`measure_speed`."""
    from mmghost.weights.official import OFFICIAL_MODELS, find_official_model
    cfg, task, model = load(path)
    backbone_cfg = cfg.model.backbone
    name = osp.splitext(osp.basename(path))[0]
    official_name = name[:-len('_in1k')] if task == 'mmpretrain' else find_official_model(
        backbone_cfg)
    official = OFFICIAL_MODELS.get(official_name)
    metadata = {'Training Data': TRAINING_DATA[task], **_schedule(cfg),
                'Parameters': count_parameters(model),
                'Backbone Parameters': count_parameters(model.backbone)}
    if flops:
        metadata['FLOPs'], metadata['Input Shape'] = count_flops(model, task, zoo_input(cfg, task))
    if task != 'mmpretrain':
        init_cfg = backbone_cfg.get('init_cfg') or {}
        metadata['Pretrained'] = init_cfg.get('checkpoint')
        facts = training_facts(cfg, path)
        optimizer = facts['optimizer']
        metadata['Batch Size'] = facts['batch_size']
        metadata['Training Recipe'] = {
            'Optimizer': optimizer['type'], 'lr': optimizer['lr'],
            'Weight Decay': optimizer['weight_decay'], 'Source': cfg.recipe['source'],
            'Why': cfg.recipe['why']}
    entry = {'Name': name, 'In Collection': collection_of(backbone_cfg.type).name,
             'Config': path, 'Metadata': metadata, 'Results': _results(path, task, official)}
    if task == 'mmpretrain' and official.weights:
        entry['Weights'] = official.weights.url
    return entry


def measure_speed(path, device='cpu', warmup=1, repeats=3):
    """Latency (median of ``repeats`` after ``warmup``) and peak memory of the config's predict
    path at the zoo input, as metafile fields (mmdet's ``inference time (ms/im)`` schema)."""
    import platform
    import statistics

    from mmghost.utils.profiling import cpu_name, predict_benchmark, synthetic_batch
    cfg, task, model = load(path)
    shape = zoo_input(cfg, task)
    model = model.to(device)
    times, memory = predict_benchmark(model, synthetic_batch(task, shape, 1), device, warmup,
                                      repeats)
    hardware = (torch.cuda.get_device_name() if device == 'cuda' else
                f'{cpu_name()}, {torch.get_num_threads()} threads')
    backend = f'PyTorch {torch.__version__} ({platform.python_implementation()})'
    resolution = f'{shape[0]}x{shape[1]}'
    return {
        'inference time (ms/im)': [{
            'value': round(statistics.median(times) * 1000, 1), 'hardware': hardware,
            'backend': backend, 'batch size': 1, 'mode': 'FP32', 'resolution': resolution}],
        'Peak Memory (MiB)': [{
            'value': round(memory), 'hardware': hardware,
            'measure': 'peak allocated' if device == 'cuda' else 'peak RSS increase'}]}


def metafile(folder, entries):
    """A family folder's metafile as a dict: its collections and ``entries`` in config order."""
    collections = []
    for collection in COLLECTIONS:
        if collection.folder != folder:
            continue
        collections.append({
            'Name': collection.name,
            'Metadata': {'Architecture': [b.split('.')[-1] for b in collection.backbones],
                         'FLOPs Convention': FLOPS_CONVENTION},
            'Paper': {'URL': collection.url, 'Title': collection.title},
            'README': f'configs/{folder}/README.md',
            'Code': {'URL': collection.code}})
    return {'Collections': collections, 'Models': entries}


def metafile_path(folder):
    return osp.join(CONFIG_ROOT, folder, 'metafile.yml')


def read_metafile(folder):
    import yaml
    with open(metafile_path(folder)) as f:
        return yaml.safe_load(f)


def metafile_text(data):
    """The metafile's text: a header saying where it comes from, then ``data`` as YAML."""
    import yaml
    header = ('# Generated from the code by tools/analysis_tools/model_zoo.py: do not edit.\n'
              '# Parameters are exact; FLOPs follow each collection\'s "FLOPs Convention" at\n'
              '# "Input Shape"; Results are figures reported upstream, never reproduced here.\n')
    return header + yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True,
                                   default_flow_style=None)


# ---------------------------------------------------------------------------- README tables
BEGIN = '<!-- zoo:begin (generated by tools/analysis_tools/model_zoo.py; do not edit) -->'
END = '<!-- zoo:end -->'


def _millions(n):
    return f'{n / 1e6:.2f}M'


def _giga(n):
    return f'{n / 1e9:.2f}G'


def _measured(metadata, key):
    values = metadata.get(key)
    return f"{values[0]['value']:g}" if values else '-'


RANDOM_INIT_NOTE = ('this config starts from random weights (no downloadable ImageNet '
                    'weights) and is not expected to reach it')


def paper_figure(entry):
    """The paper's figures for a det / seg metafile entry, said to be out of reach in the same
    breath when the config starts from random weights; ``'no paper figure'`` without any."""
    figures = '; '.join(f"{k} {v} ({r['Dataset']})" for r in entry['Results']
                        for k, v in r['Metrics'].items())
    if not figures:
        return 'no paper figure'
    return figures if entry['Metadata'].get('Pretrained') else f'{figures}; {RANDOM_INIT_NOTE}'


def _link(path, page_dir):
    """``path`` (repo-relative) as a link from a page in ``page_dir`` (repo-relative)."""
    return osp.relpath(osp.join(REPO_ROOT, path), osp.join(REPO_ROOT, page_dir))


def _det_seg(data):
    return [m for m in data['Models'] if m['Metadata']['Training Data'] != 'ImageNet-1k']


def recipe_table(metafiles, page_dir):
    """The training recipes of the det / seg configs, one row per family folder, head and
    recipe: optimizer, batch and schedule, the source and why it was chosen, and the papers'
    figures. Links are relative to ``page_dir``; with one folder the family column is left out.
    """
    groups = {}
    for folder, data in sorted(metafiles.items()):
        for m in _det_seg(data):
            meta = m['Metadata']
            recipe = meta['Training Recipe']
            schedule = (f"{meta['Epochs']} epochs" if 'Epochs' in meta else
                        f"{meta['Iterations']} iterations")
            key = (folder, list(HEADS).index(head_of(m['Config'])),
                   f"{recipe['Optimizer']}, lr {recipe['lr']:g}, weight decay "
                   f"{recipe['Weight Decay']:g}", f"{meta['Batch Size']} images, {schedule}",
                   recipe['Source'], recipe['Why'])
            groups.setdefault(key, []).append(m)
    columns = ['head', 'configs', 'optimizer', 'batch, schedule', 'recipe source',
               'why this source', 'paper figure']
    with_family = len(metafiles) > 1
    if with_family:
        columns.insert(0, 'family')
    lines = ['| ' + ' | '.join(columns) + ' |', '|-' * len(columns) + '|']
    for (folder, head, optimizer, batch, source, why), models in sorted(groups.items()):
        figures = '; '.join(f"{m['Name']}: {paper_figure(m)}" for m in models if m['Results'])
        cells = [list(HEADS.values())[head],
                 ', '.join(f"[{m['Name']}]({_link(m['Config'], page_dir)})" for m in models),
                 optimizer, batch, f'`{source}`' if '::' in source else source, why,
                 figures or 'no paper figure']
        if with_family:
            cells.insert(0, f"[{folder}]({_link(f'configs/{folder}/README.md', page_dir)})")
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def family_tables(folder, data):
    """The markdown tables of a family README, from its metafile data."""
    det_seg = _det_seg(data)
    cls = [m for m in data['Models'] if m['Metadata']['Training Data'] == 'ImageNet-1k']
    page_dir = f'configs/{folder}'
    lines = []
    if det_seg:
        lines += [
            '### Detection and segmentation', '',
            'Parameters and FLOPs of the whole model; FLOPs at 1333x800 (COCO, padded to '
            '800x1344) or 512x512 (ADE20K). CPU latency: median predict time of one image '
            '(`inference time (ms/im)` in the metafile, with its machine). The reported '
            'figures come from the papers and are not reproduced here.', '',
            '| config | data | backbone init | params (backbone) | FLOPs | CPU ms | '
            'reported by the paper |',
            '|-|-|-|-|-|-|-|']
        for m in det_seg:
            meta = m['Metadata']
            init = (f"[ImageNet-1k]({meta['Pretrained']})" if meta.get('Pretrained')
                    else 'random')
            lines.append(
                f"| [{m['Name']}]({_link(m['Config'], page_dir)}) | {meta['Training Data']} | "
                f"{init} | {_millions(meta['Parameters'])} "
                f"({_millions(meta['Backbone Parameters'])}) | {_giga(meta['FLOPs'])} | "
                f"{_measured(meta, 'inference time (ms/im)')} | {paper_figure(m)} |")
        lines += ['', '### Training recipes', '',
                  'Each config declares where its recipe comes from (`recipe` in the config; '
                  'the tests compare its optimizer, schedule and batch with the source): '
                  '[docs/configs.md](../../docs/configs.md#training-recipes-and-their-sources).',
                  '', recipe_table({folder: data}, page_dir)]
    if cls:
        lines += [
            '### ImageNet-1k classification (the upstream models)', '',
            'FLOPs at each config\'s evaluation crop. Top-1 as upstream reports it with the '
            'released weights (not reproduced here).', '',
            '| model | params | FLOPs | input | top-1 (upstream) | weights | CPU ms |',
            '|-|-|-|-|-|-|-|']
        for m in cls:
            meta = m['Metadata']
            weights = f"[download]({m['Weights']})" if m.get('Weights') else 'none'
            top1 = m['Results'][0]['Metrics']['Top 1 Accuracy'] if m['Results'] else '-'
            height, width = meta['Input Shape'][2:]
            lines.append(
                f"| [{m['Name']}]({_link(m['Config'], page_dir)}) | "
                f"{_millions(meta['Parameters'])} | {_giga(meta['FLOPs'])} | "
                f"{height}x{width} | {top1} | {weights} | "
                f"{_measured(meta, 'inference time (ms/im)')} |")
        lines.append('')
    return '\n'.join(lines)


def index_table(metafiles):
    """The front page's zoo index: one row per family folder, linking its page."""
    lines = ['| family | paper | det / seg configs | ImageNet models (with weights) |',
             '|-|-|-|-|']
    for folder, data in sorted(metafiles.items()):
        papers = ', '.join(f"[{c['Name']}]({c['Paper']['URL']})" for c in data['Collections'])
        cls = [m for m in data['Models'] if m['Metadata']['Training Data'] == 'ImageNet-1k']
        det_seg = len(data['Models']) - len(cls)
        with_weights = sum(1 for m in cls if m.get('Weights'))
        lines.append(f'| [{folder}](configs/{folder}/README.md) | {papers} | {det_seg} | '
                     f'{len(cls)} ({with_weights}) |')
    return '\n'.join(lines) + '\n'


def replace_generated(text, generated, where):
    """``text`` with the part between ``BEGIN`` and ``END`` replaced by ``generated``."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f'{where} needs one {BEGIN!r} line and one {END!r} line around the '
                         'generated tables')
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    return f'{head}{BEGIN}\n{generated}{END}{tail}'
