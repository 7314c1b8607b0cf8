"""Training curves of any mmengine run: losses and validation metrics from its scalar log.

mmengine's ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/scalars.json``: one JSON
record per logging interval (``loss*``, ``lr``, ``time``, ..., with ``iter`` and ``epoch``) and
one per validation (the metrics, e.g. ``coco/bbox_mAP`` or ``mIoU``, with ``step``).
:func:`read_run` reads it, :func:`plot_curves` draws the chosen keys, training scalars against
the iteration and metrics against the validation step (the epoch of epoch-based runs).
``tools/analysis_tools/plot_curves.py`` and ``tools/run_demo.py`` use both.
"""
import glob
import json
import os.path as osp


def find_scalars(path):
    """The ``scalars.json`` of ``path``: the file itself, a run folder (``<timestamp>/``) or a
    work dir (its newest run that has one).

    Raises:
        FileNotFoundError: none found; the message names the places looked at.
    """
    if osp.isfile(path):
        return path
    candidates = [osp.join(path, 'vis_data', 'scalars.json')]
    candidates += sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')),
                         reverse=True)  # timestamps sort by time
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'No scalar log under {path}: looked for {candidates[0]} and '
        f'{osp.join(path, "<timestamp>", "vis_data", "scalars.json")} (mmengine writes them '
        f'with its LocalVisBackend, which the configs of this repo use)')


def read_run(path):
    """The training and validation records of a run (see :func:`find_scalars` for ``path``).

    Returns:
        tuple[str, dict[str, list[tuple[float, float]]], dict[str, list[tuple[float, float]]]]:
        the scalars file, then ``{key: [(iteration, value), ...]}`` of the training records and
        ``{key: [(step, value), ...]}`` of the validation records.
    """
    scalars = find_scalars(path)
    train, val = {}, {}
    with open(scalars, encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            if 'iter' in record:  # a training record
                target, x = train, record['iter']
            else:
                target, x = val, record.get('step', record.get('epoch'))
            for key, value in record.items():
                if key not in ('iter', 'epoch', 'step') and isinstance(value, (int, float)):
                    target.setdefault(key, []).append((x, value))
    return scalars, train, val


def select_keys(train, val, keys=None):
    """``keys`` (each one a key, or a prefix such as ``loss`` or ``coco/``), found in the run;
    by default every ``loss*`` key and every validation metric.

    Raises:
        KeyError: a key that matches nothing; the message lists the run's keys.
    """
    available = sorted(train) + sorted(val)
    if not keys:
        return [k for k in sorted(train) if k.startswith('loss')] + sorted(val)
    chosen = []
    for key in keys:
        matched = [k for k in available if k == key or k.startswith(key)]
        if not matched:
            raise KeyError(f'{key!r} is not in this run; its keys: {", ".join(available)}')
        chosen += [k for k in matched if k not in chosen]
    return chosen


def plot_curves(train, val, keys, out_file, title):
    """Draws ``keys``: training ones in the first panel (log scale when all are losses),
    validation metrics in a second one; writes ``out_file`` (PNG) and returns it."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = [([k for k in keys if k in train], train, 'iteration'),
              ([k for k in keys if k in val and k not in train], val, 'validation step')]
    panels = [panel for panel in panels if panel[0]]
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.5), squeeze=False)
    for ax, (names, source, xlabel) in zip(axes[0], panels):
        for name in names:
            xs, ys = zip(*source[name])
            ax.plot(xs, ys, label=name, linewidth=2 if name == 'loss' else 1,
                    marker='o' if source is val else None)
        if source is train and all(n.startswith('loss') for n in names):
            ax.set_yscale('log')
        ax.set_xlabel(xlabel)
        ax.grid(True, which='both', alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file
