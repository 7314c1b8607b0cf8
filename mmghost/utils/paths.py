"""Where mmghost's configs and tools are, installed or in a checkout.

A built package (``pip wheel .``, ``pip install .``) carries ``configs/`` and ``tools/`` inside
the package, in ``mmghost/.mim/``, as mmdet does (setup.py copies them at build time); an
editable install or a checkout reads them from the repository. :func:`config_path` and
:func:`tool_path` find a file in either.
"""
import glob
import os.path as osp

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))  # mmghost/


def resource_root():
    """The folder holding ``configs/`` and ``tools/``: the repository of a checkout (it has
    setup.py beside the package; a stale ``.mim`` copy from a build there is ignored), else
    ``mmghost/.mim`` of an installed package.

    Raises:
        FileNotFoundError: neither has them (a package built without setup.py's copy step).
    """
    checkout = osp.dirname(PACKAGE_DIR)
    if osp.isfile(osp.join(checkout, 'setup.py')) and osp.isdir(osp.join(checkout, 'configs')):
        return checkout
    installed = osp.join(PACKAGE_DIR, '.mim')
    if osp.isdir(osp.join(installed, 'configs')):
        return installed
    raise FileNotFoundError(f'mmghost at {PACKAGE_DIR} has no configs: neither '
                            f'{osp.join(PACKAGE_DIR, ".mim", "configs")} nor a checkout\'s '
                            f'configs/ beside the package')


def _find(kind, name):
    root = osp.join(resource_root(), kind)
    direct = osp.join(root, name)
    if osp.isfile(direct):
        return direct
    found = sorted(glob.glob(osp.join(root, '**', osp.basename(name)), recursive=True))
    if len(found) == 1:
        return found[0]
    if not found:
        raise FileNotFoundError(f'No {kind[:-1]} {name!r} in {root}')
    raise ValueError(f'{name!r} names {len(found)} files in {root}: '
                     f'{[osp.relpath(p, root) for p in found]}; give the path under {kind}/')


def config_path(name):
    """The path of one of mmghost's configs, by its path under ``configs/``
    (``'vig/retinanet_pvig-ti_fpn_1x_coco.py'``) or its unique file name
    (``'retinanet_pvig_s_coco.py'``), in the installed package or the checkout.

    Raises:
        FileNotFoundError: no such config. ValueError: the file name is not unique.
    """
    return _find('configs', name)


def tool_path(name):
    """The path of one of mmghost's tools (``'train.py'``, ``'deployment/pytorch2onnx.py'``),
    as :func:`config_path` finds configs."""
    return _find('tools', name)
