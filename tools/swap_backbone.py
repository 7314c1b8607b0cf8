"""Swaps an mmghost backbone into an existing mmdet / mmseg config and writes the result.

    python tools/swap_backbone.py SRC_CONFIG BACKBONE -o OUT_CONFIG [--out-indices I ...]
        [--no-pretrained] [--backbone-options k=v ...] [--cfg-options k=v ...] [--dry-run]

SRC_CONFIG is a path or ``package::path`` for a config inside an installed package
(``mmdet::retinanet/retinanet_r50_fpn_1x_coco.py``); BACKBONE an official model name
(``pvig_s_224_gelu``, ``ghostnetv2_1.0x``; ``tools/analysis_tools/list_models.py`` lists them).
The strides the source's neck (mmdet) or heads (mmseg) consume are measured on the source
backbone; the model's ``out_indices`` give the same strides (an isotropic model gets
``mmghost.SimplePyramid`` in front of the neck), and every neck / head input gets the
backbone's channels. Before writing, the swapped model runs one training step (loss and
backward) on synthetic data, so a mismatch fails here, not at iteration 1. OUT_CONFIG inherits
SRC_CONFIG through ``_base_`` and overrides only what changes, one comment per change.
"""
import argparse
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmghost.utils import config_text
from mmghost.apis.swap import check_training_step, config_file, plan_swap


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='config path, or package::path (mmdet::..., mmseg::...)')
    parser.add_argument('backbone', help='official model name, e.g. pvig_s_224_gelu')
    parser.add_argument('-o', '--out', help='the config to write (required unless --dry-run)')
    parser.add_argument('--out-indices', type=int, nargs='+',
                        help='backbone outputs to use (default: the last stage of each stride '
                             'the source consumes); they must give the same strides')
    parser.add_argument('--no-pretrained', action='store_true',
                        help='random init instead of the official ImageNet weights')
    parser.add_argument('--backbone-options', nargs='+', action=DictAction, default={},
                        help='backbone arguments, e.g. frozen_stages=1 with_cp=True')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='changes to the source config before swapping (e.g. the number '
                             'of input channels: model.backbone.in_channels=4)')
    parser.add_argument('--dry-run', action='store_true',
                        help='check and print the plan, write nothing')
    args = parser.parse_args(argv)
    if not args.out and not args.dry_run:
        parser.error('-o OUT_CONFIG is required (or --dry-run)')
    return args


def render(source, base, backbone, changes):
    """The swapped config's text: ``_base_`` = the source (as ``base``), then each change with
    its reason."""
    return config_text.render(
        [f'{backbone} in place of the backbone of {source}',
         '(written by tools/swap_backbone.py; each change says why).'], base, changes)


def print_table(report):
    """The channels and strides of the swap, one row per backbone output."""
    print(f"{report['task']}: the source's neck / heads consume strides {report['strides']}")
    scales = report['pyramid_scales']
    if scales:
        print(f"backbone out_indices {report['out_indices']}: {report['channels'][0]} channels "
              f"at stride 16 -> SimplePyramid scales {scales}")
        return
    print('output  out_index  stride  channels')
    for i, (index, stride, channels) in enumerate(
            zip(report['out_indices'], report['strides'], report['channels'])):
        print(f'{i:>6}  {index:>9}  {stride:>6}  {channels:>8}')


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    cfg = Config.fromfile(config_file(args.source))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    overrides = dict(args.backbone_options)
    if args.out_indices:
        overrides['out_indices'] = tuple(args.out_indices)
    changes, report = plan_swap(cfg, args.backbone, not args.no_pretrained, **overrides)
    print_table(report)
    base = config_text.base_path(args.source, args.out)
    text = render(args.source, base, args.backbone, changes)
    swapped = Config.fromstring(text.replace(f'_base_ = {base!r}', ''), '.py')
    merged = Config(cfg.to_dict())
    merged.merge_from_dict(swapped.to_dict())
    losses = check_training_step(report['task'], merged)
    print('one training step: ' + ', '.join(f'{k} {v:.4g}' for k, v in losses.items()))
    if config_text.write_config(text, args.out, args.dry_run):
        print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
