"""Checks mmghost against the official code's recorded outputs (tests/data/reference).

    python tools/misc/check_official.py VARIANT [--taps stage1,stage2] [--f64]
    python tools/misc/check_official.py --list

The reference kit holds, per variant, the outputs of the official (upstream) model for a fixed
input and deterministic official-format weights (``make_reference.deterministic_state_dict``).
This tool writes those weights as an official checkpoint file, builds the backbone of
``official_backbone_cfg(VARIANT)`` with ``init_cfg=dict(type='Pretrained', checkpoint=FILE)``
(converted on the fly, as a config loads the release), runs the reference input and compares
every recorded tap with the kit's comparator: float64 where the kit marks float32 unreliable
(Vision GNN's neighbour near-ties), or everywhere with ``--f64``. One line per tap, then a
summary line; exit status 0 when every tap is equal.
"""
import argparse
import importlib.util
import json
import os.path as osp
import sys
import tempfile

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REFERENCE_DIR = osp.join(REPO_ROOT, 'tests', 'data', 'reference')
try:
    import mmghost
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, REPO_ROOT)
    import mmghost


def reference_kit():
    spec = importlib.util.spec_from_file_location(
        'make_reference', osp.join(REFERENCE_DIR, 'make_reference.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def variants():
    with open(osp.join(REFERENCE_DIR, 'index.json')) as f:
        return {v['variant']: v for v in json.load(f)['variants']}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('variant', nargs='?', help='an official model name of the kit')
    parser.add_argument('--taps', help='comma-separated taps (default: every stage tap)')
    parser.add_argument('--f64', action='store_true', help='compare in float64 everywhere')
    parser.add_argument('--list', action='store_true', help='list the kit\'s variants')
    args = parser.parse_args(argv)
    if not args.list and args.variant not in variants():
        parser.error(f'variant {args.variant!r} is not in the reference kit; choose from '
                     f'{sorted(variants())}')
    return args


def run_backbone(variant, entry, kit, float64):
    """The backbone loaded from the official-format deterministic weights, run on the kit's
    input: its outputs as a list."""
    with open(osp.join(REFERENCE_DIR, f'{variant}.manifest.json')) as f:
        state_dict = kit.deterministic_state_dict(json.load(f))
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, f'{variant}_official.pth')
        torch.save(state_dict, path)
        cfg = dict(mmghost.official_backbone_cfg(variant),
                   init_cfg=dict(type='Pretrained', checkpoint=path))
        model = mmghost.MODELS.build(cfg)
        model.init_weights()
    _, height, width = entry['input_size']
    x = kit.reference_input(2, (height, width))
    model = model.eval()
    if float64:
        model, x = model.double(), x.double()
    with torch.no_grad():
        outs = model(x)
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


def compare(variant, taps=None, f64=False):
    """``[(tap, comparison dict)]``, whether float64 was used."""
    kit = reference_kit()
    entry = variants()[variant]
    recorded = {t['name']: t for t in entry['taps']}
    wanted = taps or [t for t in recorded if t.startswith('stage')]
    isotropic = not wanted
    if isotropic:
        wanted = ['final_tokens']
    float64 = f64 or any(not recorded[t]['f32_reliable'] for t in wanted if t in recorded)
    outs = run_backbone(variant, entry, kit, float64)
    reference = kit.load_reference(osp.join(REFERENCE_DIR, f'{variant}.npz'))
    prefix = 'f64.' if float64 else ''
    if isotropic:  # the last block's tokens, with or without the final norm
        candidates = [t for t in ('final_tokens', 'final_tokens_norm') if t in recorded]
        results = [(t, kit.compare_to_reference(reference, prefix + t, outs[-1]))
                   for t in candidates]
        equal = [r for r in results if r[1].get('ok')]
        return (equal or results)[:1], float64
    if len(outs) < len(wanted):
        raise RuntimeError(f'{variant}: {len(outs)} outputs for the taps {wanted}')
    return [(t, kit.compare_to_reference(reference, prefix + t, out))
            for t, out in zip(wanted, outs)], float64


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, entry in sorted(variants().items()):
            print(name, ' '.join(t['name'] for t in entry['taps']))
        return 0
    results, float64 = compare(args.variant, args.taps.split(',') if args.taps else None,
                               args.f64)
    for tap, result in results:
        print(('ok   ' if result.get('ok') else 'FAIL ') + tap, json.dumps(result))
    differ = [tap for tap, result in results if not result.get('ok')]
    print(f'{args.variant}: {len(results) - len(differ)}/{len(results)} taps equal to official'
          + (' (float64)' if float64 else '') + (f'; differ: {",".join(differ)}' if differ else ''))
    return 1 if differ else 0


if __name__ == '__main__':
    sys.exit(main())
