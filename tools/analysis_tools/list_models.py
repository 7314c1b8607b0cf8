"""Lists every official model mmghost converts, read from the built backbones at runtime.

    python tools/analysis_tools/list_models.py [--family ghostnet] [--markdown]
    python tools/analysis_tools/list_models.py --weights [--markdown]

For each upstream name: the backbone config, its stages' channels and strides (what
``out_indices`` selects from; the blocks of an isotropic model), and the parameter counts of
the backbone and of the mmpretrain classifier with the upstream head.

With ``--weights``: the released ImageNet-1k checkpoint of each name (URL, top-1 as upstream
reports it) or why there is none, what the file holds beyond the official state dict (its
recorded quirks) and where that is known from, and the det / seg configs of ``configs/`` that
start from it.
"""
import argparse
import os.path as osp

import mmghost
from mmghost.weights.official import official_classifier_cfg
from zoo import configs_by_checkpoint  # beside this script


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', help='only names containing this text')
    parser.add_argument('--markdown', action='store_true', help='print a markdown table')
    parser.add_argument('--weights', action='store_true',
                        help='the released weights and the configs that start from them')
    return parser.parse_args()


def joined(values):
    """'24/40/112/160', or '384 x12' for the blocks of an isotropic model."""
    if len(values) > 4 and len(set(values)) == 1:
        return f'{values[0]} x{len(values)}'
    return '/'.join(map(str, values))


def count(model):
    return sum(p.numel() for p in model.parameters()) / 1e6


def weights_rows(names, markdown=False):
    """name, top-1, URL (or why there is none; a link in markdown), what the file holds (its
    quirks; evidence), configs using it."""
    users = configs_by_checkpoint()
    rows = []
    for name in names:
        entry = mmghost.OFFICIAL_MODELS[name]
        weights = entry.weights
        if weights is None:
            rows.append([name, '-', f'none: {entry.no_weights}', '', ''])
            continue
        top1 = f'{weights.top1}' + (f' ({weights.note})' if weights.note else '')
        link = f'[{osp.basename(weights.url)}]({weights.url})' if markdown else weights.url
        holds = ' + '.join(('state dict', *weights.quirks)) + f' ({weights.evidence})'
        rows.append([name, top1, link, holds,
                     ', '.join(osp.basename(p) for p in users.get(weights.url, []))])
    return ['name', 'top-1 (upstream)', 'weights', 'the file holds', 'configs'], rows


def model_rows(names):
    """name, backbone config, stage channels / strides, parameter counts."""
    from mmpretrain.registry import MODELS as CLS_MODELS
    header = ['name', 'backbone', 'stage channels', 'stage strides', 'backbone M',
              'classifier M']
    rows = []
    for name in names:
        cfg = mmghost.official_backbone_cfg(name)
        backbone = mmghost.MODELS.build(cfg)
        entry = mmghost.OFFICIAL_MODELS[name]
        classifier = (f'{count(CLS_MODELS.build(official_classifier_cfg(name))):.2f}'
                      if entry.classifier else '-')
        arguments = ', '.join(f'{k}={v!r}' for k, v in cfg.items() if k != 'type')
        rows.append([name, f"{cfg['type'].split('.')[-1]}({arguments})",
                     joined(backbone.stage_channels), joined(backbone.stage_strides),
                     f'{count(backbone):.2f}',
                     classifier])
    return header, rows


def main():
    args = parse_args()
    names = [name for name in sorted(mmghost.OFFICIAL_MODELS)
             if not args.family or args.family.lower() in name.lower()]
    header, rows = weights_rows(names, args.markdown) if args.weights else model_rows(names)
    if args.markdown:
        code_columns = 1 if args.weights else 2
        print('| ' + ' | '.join(header) + ' |')
        print('|' + '-|' * len(header))
        for row in rows:
            print('| ' + ' | '.join(f'`{c}`' if i < code_columns else c
                                    for i, c in enumerate(row)) + ' |')
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == '__main__':
    main()
