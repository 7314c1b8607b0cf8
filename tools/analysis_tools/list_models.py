"""Lists every official model mmghost converts, read from the built backbones at runtime.

    python tools/analysis_tools/list_models.py [--family ghostnet] [--markdown]

For each upstream name: the backbone config, its stages' channels and strides (what
``out_indices`` selects from; the blocks of an isotropic model), and the parameter counts of
the backbone and of the mmpretrain classifier with the upstream head.
"""
import argparse

import mmghost
from mmghost.official import official_classifier_cfg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', help='only names containing this text')
    parser.add_argument('--markdown', action='store_true', help='print a markdown table')
    return parser.parse_args()


def joined(values):
    """'24/40/112/160', or '384 x12' for the blocks of an isotropic model."""
    if len(values) > 4 and len(set(values)) == 1:
        return f'{values[0]} x{len(values)}'
    return '/'.join(map(str, values))


def count(model):
    return sum(p.numel() for p in model.parameters()) / 1e6


def main():
    args = parse_args()
    from mmpretrain.registry import MODELS as CLS_MODELS
    header = ['name', 'backbone', 'stage channels', 'stage strides', 'backbone M',
              'classifier M']
    rows = []
    for name in sorted(mmghost.OFFICIAL_MODELS):
        if args.family and args.family.lower() not in name.lower():
            continue
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
    if args.markdown:
        print('| ' + ' | '.join(header) + ' |')
        print('|' + '-|' * len(header))
        for row in rows:
            print('| ' + ' | '.join(f'`{c}`' if i < 2 else c for i, c in enumerate(row)) + ' |')
        return
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == '__main__':
    main()
