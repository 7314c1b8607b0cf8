"""The model zoo of a source checkout: its configs by family (``configs/<family>/``, as mmdet's
``configs/<backbone>/``), read from the folder layout.

- ``configs/retinanet_pvig_s_coco.py``: the headline config (Pyramid ViG-S, family ``vig``);
- ``configs/<family>/``: the family's det / seg configs and its classification configs
  (``<official name>_in1k.py``), with a ``README.md`` and a ``metafile.yml``;
- ``configs/demo/``: the CPU demo configs; ``configs/_base_/``: bases, never run by themselves.
"""
import glob
import os.path as osp

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')
HEADLINE = 'configs/retinanet_pvig_s_coco.py'
HEADLINE_FAMILY = 'vig'
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
        kind (str): ``'det_seg'`` (the headline config and every family's detection /
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
    if kind == 'det_seg' and family in (None, HEADLINE_FAMILY):
        paths.append(osp.join(REPO_ROOT, HEADLINE))
    return _relative(paths)
