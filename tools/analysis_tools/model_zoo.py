"""Generates the model zoo from the code: configs/<family>/metafile.yml, the zoo tables of
configs/<family>/README.md and README.md, and the recipe table of docs/configs.md. No dataset and
no download is needed.

    python tools/analysis_tools/model_zoo.py [--family vig ...] [--speed cpu|cuda [--speed-only]]
        [--warmup 1] [--repeats 3] [--threads N] [--tables-only] [--check]

For every det / seg config of a family and every
classification config (``<official name>_in1k.py``):

* parameters of the whole model and of its backbone, exact;
* FLOPs with mmengine's counter (one multiply-add = 1 FLOP, as the upstream papers count) at
  1333x800 (mmdet; padded to 800x1344 by the data preprocessor), 512x512 (mmseg) or the
  config's evaluation crop (mmpretrain);
* the official weights and the figures upstream reports (labelled, never reproduced here);
* for det / seg configs, the training recipe (optimizer, batch, schedule) and the source the
  config declares for it (``recipe``), grouped by family and head in the recipe tables.

``--speed cpu`` (or ``cuda``) also measures the predict latency (median of ``--repeats`` after
``--warmup``) and peak memory of each config at the same input, each in a fresh child process;
without it the figures already recorded in the metafile are kept. ``--speed-only`` measures the
entries of the committed metafiles and changes nothing else. ``--tables-only`` re-renders
the README tables from the committed metafiles, building nothing. ``--check`` writes nothing
and exits 1 when a committed file differs from what the code gives (recorded latency and
memory are not compared).
"""
import argparse
import os.path as osp
import sys

try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import zoo  # beside this script


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--family', nargs='+', choices=zoo.families(),
                        help='only these family folders (default: all)')
    parser.add_argument('--speed', choices=['cpu', 'cuda'],
                        help='measure latency and peak memory on this device')
    parser.add_argument('--speed-only', action='store_true',
                        help='with --speed: measure only, keep the rest of the metafiles')
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs first')
    parser.add_argument('--repeats', type=int, default=3, help='timed runs (median)')
    parser.add_argument('--threads', type=int, help='torch CPU threads for --speed cpu')
    parser.add_argument('--check', action='store_true',
                        help='compare with the committed files, write nothing')
    parser.add_argument('--tables-only', action='store_true',
                        help='only re-render the README tables from the metafiles')
    args = parser.parse_args(argv)
    if args.speed_only and not args.speed:
        parser.error('--speed-only needs --speed cpu or --speed cuda')
    if args.speed == 'cuda':
        import torch
        if not torch.cuda.is_available():
            parser.error('--speed cuda, but torch sees no CUDA device')
    return args


def family_entries(folder, args, recorded):
    """The metafile entries of a family folder, measured figures kept from ``recorded``
    (``--speed-only``: the recorded entries, with new measured figures)."""
    from mmghost.utils.profiling import run_in_child
    if args.speed_only:
        paths = list(recorded)
    else:
        paths = zoo.config_files('det_seg', folder) + zoo.config_files('cls', folder)
    entries = []
    for path in paths:
        print(f'{path}', file=sys.stderr, flush=True)
        entry = recorded[path] if args.speed_only else zoo.model_entry(path)
        if args.speed:
            measured = run_in_child(zoo.measure_speed, threads=args.threads, path=path,
                                    device=args.speed, warmup=args.warmup,
                                    repeats=args.repeats)
        else:
            measured = {k: v for k, v in recorded.get(path, {}).get('Metadata', {}).items()
                        if k in zoo.MEASURED_KEYS}
        entry['Metadata'].update(measured)
        entries.append(entry)
    return entries


def recorded_figures(folder):
    if not osp.exists(zoo.metafile_path(folder)):
        return {}
    return {m['Config']: m for m in zoo.read_metafile(folder)['Models']}


def write_or_compare(path, text, check):
    """Writes ``text`` to ``path``; with ``check``, returns whether it differs instead."""
    old = open(path).read() if osp.exists(path) else None
    if check:
        return old != text
    if old != text:
        with open(path, 'w') as f:
            f.write(text)
    return False


def main(argv=None):
    args = parse_args(argv)
    folders = args.family or zoo.families()
    stale = []
    for folder in folders:
        if args.tables_only:
            data = zoo.read_metafile(folder)
        else:
            data = zoo.metafile(folder, family_entries(folder, args, recorded_figures(folder)))
            if write_or_compare(zoo.metafile_path(folder), zoo.metafile_text(data), args.check):
                stale.append(zoo.metafile_path(folder))
        readme = osp.join(zoo.CONFIG_ROOT, folder, 'README.md')
        text = zoo.replace_generated(open(readme).read(), zoo.family_tables(folder, data),
                                     readme)
        if write_or_compare(readme, text, args.check):
            stale.append(readme)
    index = {folder: zoo.read_metafile(folder) for folder in zoo.families()
             if osp.exists(zoo.metafile_path(folder))}
    for page, generated in (('README.md', zoo.index_table(index)),
                            ('docs/configs.md', zoo.recipe_table(index, 'docs'))):
        path = osp.join(zoo.REPO_ROOT, page)
        text = zoo.replace_generated(open(path).read(), generated, path)
        if write_or_compare(path, text, args.check):
            stale.append(path)
    for path in stale:
        print(f'stale: {osp.relpath(path, zoo.REPO_ROOT)} differs from what the code gives; '
              'run tools/analysis_tools/model_zoo.py')
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
