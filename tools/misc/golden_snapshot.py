"""Snapshots of what the code builds, to prove a refactor changes no behaviour.

    python tools/misc/golden_snapshot.py write DIR [--part configs models classifiers]
        [--names pvig_s_224_gelu ...]
    python tools/misc/golden_snapshot.py compare BEFORE AFTER [--rename OLD=NEW ...]

``write`` records, from the working tree:

* ``configs``: every config of configs/ merged (``Config.to_dict()``), by file name;
* ``models``: for every det / seg / demo config, the whole model's state-dict digest (keys,
  shapes, dtypes and sums of the ``torch.manual_seed(0)`` init) and the backbone's outputs on a
  fixed 97x131 input;
* ``classifiers``: the same for the official classifiers (``official_classifier_cfg``), with
  the features on a fixed 224x224 input.

``compare`` prints every difference (a config key, a state-dict key or init sum, an output) and
a last line ``DIFFERENCES: n``; its exit status is 1 when n > 0. Write BEFORE at the commit the
refactor starts from, AFTER on the result; ``--rename`` pairs configs whose file name changed.
"""
import argparse
import os
import os.path as osp
import pickle
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
import zoo  # noqa: E402  (the checkout's config lists: tools/analysis_tools/zoo.py)

PARTS = ('configs', 'models', 'classifiers')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    write = commands.add_parser('write', help='snapshot the working tree into DIR')
    write.add_argument('dir')
    write.add_argument('--part', nargs='+', choices=PARTS, default=list(PARTS))
    write.add_argument('--names', nargs='+', help='only these official classifiers')
    compare = commands.add_parser('compare', help='print the differences of two snapshots')
    compare.add_argument('before')
    compare.add_argument('after')
    compare.add_argument('--rename', nargs='+', default=[], metavar='OLD=NEW',
                         help='config files renamed between the snapshots')
    args = parser.parse_args(argv)
    if args.command == 'compare' and any('=' not in r for r in args.rename):
        parser.error(f'--rename takes OLD=NEW pairs, got {args.rename}')
    return args


def digest(module):
    """Key -> (shape, dtype, sum, sum of absolute values) of the module's state dict."""
    return {k: (tuple(v.shape), str(v.dtype), float(v.double().sum()),
                float(v.double().abs().sum())) for k, v in module.state_dict().items()}


def seeded(build):
    torch.manual_seed(0)
    return build().eval()


def fixed_input(height, width):
    return torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(1))


def snapshot_configs():
    from mmengine.config import Config

    paths = zoo.config_files('det_seg') + zoo.config_files('cls') + zoo.config_files('demo')
    return {osp.basename(p): Config.fromfile(osp.join(REPO_ROOT, p)).to_dict() for p in paths}


def snapshot_models():
    result = {}
    for path in zoo.config_files('det_seg') + zoo.config_files('demo'):
        model = seeded(lambda: zoo.load(path)[2])
        with torch.no_grad():
            outs = model.backbone(fixed_input(97, 131))
        result[osp.basename(path)] = dict(digest=digest(model), outputs=list(outs))
    return result


def snapshot_classifiers(names=None):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from mmghost.weights.official import OFFICIAL_MODELS, official_classifier_cfg
    result = {}
    for name in names or sorted(OFFICIAL_MODELS):
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            model = seeded(lambda: MODELS.build(official_classifier_cfg(name)))
        with torch.no_grad():
            feats = model.extract_feat(fixed_input(224, 224))
        result[name] = dict(digest=digest(model), outputs=list(feats))
    return result


def write(args):
    os.makedirs(args.dir, exist_ok=True)
    for part in args.part:
        data = {'configs': snapshot_configs, 'models': snapshot_models,
                'classifiers': lambda: snapshot_classifiers(args.names)}[part]()
        with open(osp.join(args.dir, f'{part}.pkl'), 'wb') as f:
            pickle.dump(data, f)
        print(f'{part}: {len(data)} entries -> {osp.join(args.dir, part)}.pkl')


def differences(a, b, path=''):
    """The differences of two nested config values, as lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        lines = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                lines.append(f'{path}.{key}: added {b[key]!r:.120}')
            elif key not in b:
                lines.append(f'{path}.{key}: removed {a[key]!r:.120}')
            else:
                lines += differences(a[key], b[key], f'{path}.{key}')
        return lines
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return [line for i, (x, y) in enumerate(zip(a, b))
                for line in differences(x, y, f'{path}[{i}]')]
    return [] if a == b else [f'{path}: {a!r:.120} -> {b!r:.120}']


def model_differences(a, b):
    if list(a['digest']) != list(b['digest']):
        return [f"state-dict keys differ: {sorted(set(a['digest']) ^ set(b['digest']))[:5]} "
                '(or their order)']
    lines = [f'seeded init differs: {k}' for k in a['digest'] if a['digest'][k] != b['digest'][k]]
    for i, (x, y) in enumerate(zip(a['outputs'], b['outputs'])):
        if x.shape != y.shape:
            lines.append(f'output {i}: shape {tuple(x.shape)} -> {tuple(y.shape)}')
        elif not torch.equal(x, y):
            lines.append(f'output {i}: max abs difference {(x - y).abs().max().item():.3g}')
    if len(a['outputs']) != len(b['outputs']):
        lines.append(f"{len(a['outputs'])} outputs -> {len(b['outputs'])}")
    return lines


def compare(args):
    rename = dict(r.split('=', 1) for r in args.rename)
    count = 0
    for part in PARTS:
        paths = [osp.join(d, f'{part}.pkl') for d in (args.before, args.after)]
        if not all(osp.exists(p) for p in paths):
            continue
        before, after = (pickle.load(open(p, 'rb')) for p in paths)
        check = differences if part == 'configs' else model_differences
        for name, old in before.items():
            new = rename.get(name, name)
            lines = [f'missing in {args.after}'] if new not in after else check(old, after[new])
            count += bool(lines)
            for line in lines:
                print(f'{part} {name}: {line}')
        for name in sorted(set(after) - {rename.get(n, n) for n in before}):
            print(f'{part} {name}: new')
    print(f'DIFFERENCES: {count}')
    return 1 if count else 0


def main(argv=None):
    args = parse_args(argv)
    return write(args) if args.command == 'write' else compare(args)


if __name__ == '__main__':
    sys.exit(main())
