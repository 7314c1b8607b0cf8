"""Benchmark: Vision GNN speed against the machine's matmul rate and against mmpretrain's
dense search (Pyramid ViG-S, and the isotropic ViG-S).

Run it with::

    python benchmarks/pvig_knn.py                       # everything, default sizes
    python benchmarks/pvig_knn.py --repeats 5 --threads 2
    python benchmarks/pvig_knn.py --shape 480 800       # another large size (H W)
    python benchmarks/pvig_knn.py --skip-large --skip-train   # only the 224x224 parts
    python benchmarks/pvig_knn.py --chunk-sweep         # KNN chunk sizes at the large size
    python benchmarks/pvig_knn.py --profile             # time per operator, one large forward
    PYTHONPATH=/path/to/other/checkout python benchmarks/pvig_knn.py   # another mmghost
    python benchmarks/pvig_knn.py --save-gradients new.pt    # float64 gradients of one step
    python benchmarks/pvig_knn.py --compare-gradients old.pt new.pt

This is a benchmark that prints numbers, not a test. The mmghost and mmpretrain models run on
the SAME weights, in eval mode, under ``torch.no_grad()`` (training parts excepted):

1. Weights. ``mmghost.models.backbones.PyramidViG('s')`` is built, its BatchNorm statistics
   and affine parameters (``mmghost.utils.profiling.randomize_batchnorm_``) and its ``pos_embed``
   are set to seeded random values (a freshly built model has identity BatchNorms and a zero
   embedding, which would hide a mapping that swaps two layers of equal shape), and its state
   dict is renamed to the key layout of ``mmpretrain.models.backbones.PyramidVig('small')`` and
   loaded with ``load_state_dict(strict=True)`` (missing, unexpected or mis-shaped keys raise).
2. Equality at 224x224 (batch 2, seeded ``randn``): the max abs difference of the stage
   outputs, float64 (``.double()`` on both models), which must agree, and float32, printed for
   information only: mmghost ranks keys by an equivalent but differently rounded formula
   (no ``|q|^2``, one matmul), so at float32 near-ties a neighbour can differ, and then the
   output with it.
3. Large input (default ``1x3x800x1344``, ``--shape H W``). mmpretrain's ``PyramidVig`` adds a
   fixed 56x56 ``pos_embed`` in its forward, so the script replaces it by a bicubically resized
   ``nn.Parameter`` (the resize mmghost does inside its forward). Its Graphers resize the stored
   ``relative_pos`` bicubically to ``(N, N // r^2)`` on every forward (mmghost computes the term
   for the actual grids), so the outputs differ at this size and are not compared.
   Each model runs in its own fresh child process (``mmghost.utils.profiling.run_in_child``).
   Memory: the first forward's peak resident memory above what the process held before it (``VmHWM``
   after resetting it through ``/proc/self/clear_refs``;
   ``mmghost.utils.profiling.profile_forward``). Time: the median of ``--repeats`` further forwards.
4. Throughput at batch 8, 224x224: images/s from the median of ``--repeats`` forwards per
   model after one warm-up each, the models timed alternately
   (``mmghost.utils.profiling.compare_throughput``).
5. Training (``--train-shape``, default ``1x3x800x1216``): one step of mmghost's PViG-S
   (forward, backward of the sum of the outputs' means, train mode) with ``with_cp`` off and on,
   each in a child process: the first step's peak memory, the median time of ``--repeats``
   further steps, the neighbour searches per step (calls of ``dilated_knn``, counted by a
   wrapper) and the gradient norm, which must agree between the two settings.
6. Isotropic ViG-S (mmghost only): the large forward (child process) and the batch-8 224
   throughput.

The machine's matmul rate is measured in the same processes: float32 matmuls of two 2048x2048
matrices (``2 * 2048^3`` FLOP each), 7 right before and 7 right after each timed section (one
warm-up each), and the median of the 14 rates. "of sgemm" is the network's work divided by the
time and by that rate. The work is fixed per input, whatever a counter reports for a changed
implementation: mmengine's FLOP count (``mmengine.analysis.FlopAnalyzer``, one multiply-add =
1) times 2 of the implementation before the neighbour search was rewritten (commit 284ad00):
for PViG-S 631.5 GFLOP at 1x3x800x1344 and 73.15 GFLOP at 8x3x224x224, for ViG-S
``VIG_WORK_GFLOP``. At other sizes no fraction is printed.

Issue targets: at 800x1344, >= 0.40 of sgemm, <= 0.25x the dense time and <= 0.1x its peak
memory; at batch 8 224, >= 0.50 of sgemm. The table at the end shows the ratios, the torch
version, ``torch.get_num_threads()`` and the CPU model. Linux only (``/proc``).
"""
import argparse
import gc
import os
import statistics
import tempfile
import time
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

import mmghost
from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, compare_throughput,
                               environment_line, format_shape, print_table,
                               profile_forward, randomize_batchnorm_, run_in_child, time_calls)

# Work of one forward in GFLOP (see the module docstring): {(N, H, W): GFLOP}.
PVIG_WORK_GFLOP = {(1, 800, 1344): 631.5, (8, 224, 224): 73.15}
VIG_WORK_GFLOP = {(1, 800, 1344): 366.6, (8, 224, 224): 72.57}

# mmghost sub-keys under ``stages.{s}.blocks.{b}.`` -> mmpretrain sub-keys under
# ``stages.{s}.{b + (s > 0)}.`` (``0`` is the Grapher, ``1`` the FFN).
_BLOCK_KEYS = {
    'grapher.fc1.conv.': '0.fc1.0.',
    'grapher.fc1.bn.': '0.fc1.1.',
    'grapher.graph_conv.conv.conv.': '0.graph_conv.gconv.nn.0.',
    'grapher.graph_conv.conv.bn.': '0.graph_conv.gconv.nn.1.',
    'grapher.fc2.conv.': '0.fc2.0.',
    'grapher.fc2.bn.': '0.fc2.1.',
    'ffn.fc1.conv.': '1.fc1.0.',
    'ffn.fc1.bn.': '1.fc1.1.',
    'ffn.fc2.conv.': '1.fc2.0.',
    'ffn.fc2.bn.': '1.fc2.1.',
}
_CONV_BN_INDEX = {'conv': 0, 'bn': 1}


def mmghost_to_mmpretrain_key(key):
    """Renames one mmghost ``PyramidViG`` key to the mmpretrain ``PyramidVig`` layout."""
    parts = key.split('.')
    if key == 'pos_embed':
        return key
    if parts[0] == 'stem':
        # stem.{j}.conv / .bn -> stem.{3j} / stem.{3j + 1} (3j + 2 is the parameterless GELU)
        layer, kind, rest = int(parts[1]), parts[2], '.'.join(parts[3:])
        return f'stem.{3 * layer + _CONV_BN_INDEX[kind]}.{rest}'
    if parts[0] == 'stages' and parts[2] == 'downsample':
        stage, kind, rest = int(parts[1]), parts[3], '.'.join(parts[4:])
        return f'stages.{stage}.0.{_CONV_BN_INDEX[kind]}.{rest}'
    if parts[0] == 'stages' and parts[2] == 'blocks':
        stage, block = int(parts[1]), int(parts[3])
        prefix = f'stages.{stage}.{block + (stage > 0)}.'
        rest = '.'.join(parts[4:])
        if rest == 'grapher.relative_pos':
            return prefix + '0.relative_pos'
        for old, new in _BLOCK_KEYS.items():
            if rest.startswith(old):
                return prefix + new + rest[len(old):]
    raise KeyError(f'no mmpretrain counterpart for mmghost key {key!r}')


def to_mmpretrain_state_dict(state_dict):
    converted = {}
    for key, value in state_dict.items():
        new_key = mmghost_to_mmpretrain_key(key)
        if new_key in converted:
            raise KeyError(f'two mmghost keys map to {new_key!r}')
        converted[new_key] = value
    return converted


def build_mmghost():
    from mmghost.models.backbones import PyramidViG
    return PyramidViG(arch='s', out_indices=(0, 1, 2, 3))


def build_dense():
    from mmpretrain.models.backbones import PyramidVig
    return PyramidVig('small', out_indices=[0, 1, 2, 3])


def randomize_(model, seed=0):
    """Seeded random BatchNorm statistics / affine parameters and ``pos_embed`` (in place)."""
    randomize_batchnorm_(model, seed)
    with torch.no_grad():
        model.pos_embed.copy_(0.02 * torch.randn(model.pos_embed.shape,
                                                 generator=torch.Generator().manual_seed(seed)))


def load_model(which, weights_path):
    """Builds ``which`` ('mmghost' or 'dense') in eval mode with the saved mmghost weights."""
    state_dict = torch.load(weights_path, map_location='cpu')
    if which == 'mmghost':
        model = build_mmghost()
    else:
        model = build_dense()
        state_dict = to_mmpretrain_state_dict(state_dict)
    model.load_state_dict(state_dict, strict=True)
    model.eval()  # mmpretrain's ``train()`` override returns None, so no chaining
    return model


def _stem_side(side):
    """Output side of the stem (3x3 convs, padding 1, strides 2, 2, 1)."""
    return ((side + 1) // 2 + 1) // 2


def resize_dense_pos_embed_(model, height, width):
    """Replaces the dense model's fixed ``pos_embed`` by one resized to the stem grid."""
    grid = (_stem_side(height), _stem_side(width))
    if tuple(model.pos_embed.shape[-2:]) != grid:
        with torch.no_grad():
            resized = F.interpolate(model.pos_embed.data, size=grid, mode='bicubic',
                                    align_corners=False)
        model.pos_embed = nn.Parameter(resized, requires_grad=False)


def dense_key_count_notes(height, width, reduce_ratios=(4, 2, 1, 1)):
    """Checks mmpretrain's ``N // r^2`` against the pooled key count at every stage."""
    notes = []
    h, w = _stem_side(height), _stem_side(width)
    for stage, r in enumerate(reduce_ratios):
        if stage > 0:
            h, w = (h + 1) // 2, (w + 1) // 2  # stride-2 conv, padding 1, kernel 3
        n_reduced, pooled = (h * w) // (r * r), (h // r) * (w // r)
        status = 'ok' if n_reduced == pooled else 'MISMATCH (dense relative_pos cannot be added)'
        notes.append(f'stage {stage + 1}: grid {h}x{w}, N={h * w}, r={r}, '
                     f'N//r^2={n_reduced}, pooled keys={pooled}: {status}')
    return notes


def sgemm_samples(repeats=7):
    """This process's float32 matmul rates on two 2048x2048 matrices (GFLOP/s, one a call)."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    return [2 * 2048**3 / t / 1e9 for t in time_calls(lambda: torch.mm(a, b), repeats, warmup=1)]


def timed_with_sgemm(measure):
    """``measure()``'s result (a dict), with ``sgemm_gflops``: the median matmul rate of
    samples taken right before and right after it, which brackets the machine's speed drift."""
    before = sgemm_samples()
    result = measure()
    result['sgemm_gflops'] = statistics.median(before + sgemm_samples())
    return result


def work_gflop(family, shape):
    """The fixed work of one forward at ``(N, H, W)``, or None for another size."""
    return (PVIG_WORK_GFLOP if family == 'PyramidViG' else VIG_WORK_GFLOP).get(tuple(shape))


def of_sgemm(family, shape, seconds, rate):
    work = work_gflop(family, shape)
    return None if work is None else work / seconds / rate


def count_searches():
    """Wraps mmghost's ``dilated_knn`` so that its calls are counted; returns the counter."""
    from mmghost.models.layers import graph
    counter, search = [0], graph.dilated_knn

    def counted(*args, **kwargs):
        counter[0] += 1
        return search(*args, **kwargs)

    graph.dilated_knn = counted
    return counter


# ----------------------------------------------------------------------------- children
def measure_large(which, weights_path, shape, repeats):
    """One model at one input size (run in a child process): peak extra RSS of the first
    forward, then ``repeats`` timed forwards (:func:`mmghost.utils.profiling.profile_forward`), then
    this process's sgemm rate."""
    height, width = shape
    if which == 'vig':
        from mmghost.models.backbones import ViG
        torch.manual_seed(0)
        model = ViG('s')
        randomize_batchnorm_(model, 0)
        model.eval()
    else:
        model = load_model(which, weights_path)
    if which == 'dense':
        resize_dense_pos_embed_(model, height, width)
    inputs = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(1))
    return timed_with_sgemm(lambda: profile_forward(model, inputs, repeats))


def training_step(with_cp, shape, repeats):
    """Training steps of mmghost's seeded PViG-S (run in a child process): those of
    ``with_cp_memory.training_step`` (the first step's peak extra RSS and time, ``repeats``
    timed steps, the gradient norm), with the neighbour searches per step and the sgemm rate
    around them."""
    from with_cp_memory import training_step as backbone_training_step  # benchmarks/, on the path
    searches = count_searches()
    result = timed_with_sgemm(
        lambda: backbone_training_step('PyramidViG', 's', with_cp, shape, repeats))
    return dict(result, first_s=result['seconds'], median_s=statistics.median(result['times_s']),
                searches=searches[0] / (1 + repeats))


def profile_ops(weights_path, shape, top):
    """Self CPU time per operator of one mmghost PViG-S forward at ``shape`` after a warm-up
    (``torch.profiler``; child process): ``[(op, seconds, calls)]``, the ``top`` largest."""
    from torch.profiler import ProfilerActivity, profile
    model = load_model('mmghost', weights_path)
    inputs = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        model(inputs)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            model(inputs)
    events = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in events) / 1e6
    return [('(all)', total, 0)] + [(e.key, e.self_cpu_time_total / 1e6, e.count)
                                    for e in events[:top]]


def chunk_sweep(weights_path, shape, exponents, repeats):
    """Forward time of mmghost's PViG-S at ``shape`` per KNN chunk size (child process)."""
    from mmghost.models.layers import graph
    model = load_model('mmghost', weights_path)
    inputs = torch.randn(1, 3, *shape, generator=torch.Generator().manual_seed(1))
    search, medians = graph.dilated_knn, {}
    with torch.no_grad():
        model(inputs)
        for exponent in exponents:
            graph.dilated_knn = partial(search, chunk_elements=1 << exponent)
            medians[exponent] = statistics.median(time_calls(lambda: model(inputs), repeats))
    return medians


def float64_gradients(shape):
    """Parameter gradients of one float64 training step of a seeded PViG-S at ``shape``: what
    two implementations must agree on. Train mode; the loss projects each output on a seeded
    random tensor (a sum of means would leave the parameters before a train-mode BatchNorm
    with gradients of rounding noise only)."""
    from mmghost.models.backbones import PyramidViG
    torch.manual_seed(0)
    model = PyramidViG('s', out_indices=(0, 1, 2, 3)).double().train()
    randomize_(model, seed=0)
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(1, 3, *shape, generator=generator, dtype=torch.float64)
    outs = model(inputs)
    sum((out * torch.randn(out.shape, generator=generator, dtype=torch.float64)).sum()
        for out in outs).backward()
    return {name: p.grad for name, p in model.named_parameters()}


def compare_gradients(path_a, path_b):
    """Prints the largest ``max|a - b| / max|a|`` over the parameters of two saved gradient
    files (``--save-gradients``) and returns it."""
    grads_a, grads_b = (torch.load(path, map_location='cpu') for path in (path_a, path_b))
    if grads_a.keys() != grads_b.keys():
        raise SystemExit(f'the two files hold different parameters: '
                         f'{sorted(grads_a.keys() ^ grads_b.keys())}')
    worst = max(((grads_a[n] - grads_b[n]).abs().max() / grads_a[n].abs().max().clamp(min=1e-300),
                 n) for n in grads_a)
    print(f'{len(grads_a)} parameters: largest max|a - b| / max|a| = {float(worst[0]):.2e} '
          f'({worst[1]})')
    return float(worst[0])


# ----------------------------------------------------------------------------- parent
def max_abs_diffs(outs_a, outs_b):
    return [((a - b).abs().max().item(), b.abs().max().item()) for a, b in zip(outs_a, outs_b)]


def _verdict(value, target, at_least):
    met = value >= target if at_least else value <= target
    return f'(target {">=" if at_least else "<="} {target}: {"met" if met else "MISSED"})'


def _fraction_cell(fraction, target=None):
    if fraction is None:
        return 'n/a (no fixed work figure at this size)'
    return f'{fraction:.3f}' + ('' if target is None else ' ' + _verdict(fraction, target, True))


def main(args):
    wall_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    print(f'mmghost from {os.path.dirname(mmghost.__file__)}')
    if args.compare_gradients:
        compare_gradients(*args.compare_gradients)
        return
    if args.save_gradients:
        torch.save(float64_gradients(args.gradient_shape), args.save_gradients)
        print(f'float64 gradients of one step at {format_shape((1, 3, *args.gradient_shape))} '
              f'-> {args.save_gradients}')
        return
    rows = []  # (section, item, mmghost, dense, ratio / note)

    # 1. same weights in both layouts
    torch.manual_seed(0)
    ours = build_mmghost()
    randomize_(ours, seed=0)
    ours.eval()
    ours_sd = ours.state_dict()
    dense = build_dense()
    dense_sd = to_mmpretrain_state_dict(ours_sd)
    result = dense.load_state_dict(dense_sd, strict=True)
    dense.eval()
    print(f'[1] mapped {len(ours_sd)} mmghost keys -> {len(dense_sd)} mmpretrain keys; '
          f'load_state_dict(strict=True): {result}')
    tmpdir = tempfile.mkdtemp(prefix='pvig_knn_')
    weights_path = os.path.join(tmpdir, 'mmghost_pvig_s.pth')
    torch.save(ours_sd, weights_path)

    if args.profile:
        ops = run_in_child(profile_ops, threads=args.threads, weights_path=weights_path,
                           shape=args.shape, top=12)
        for op, seconds, calls in ops:
            print(f'[profile] {format_shape((1, 3, *args.shape))} {op:28s} {seconds:7.3f} s '
                  f'self CPU, {calls} calls')

    if args.chunk_sweep:
        medians = run_in_child(chunk_sweep, threads=args.threads, weights_path=weights_path,
                               shape=args.shape, exponents=list(range(18, 26)),
                               repeats=args.repeats)
        for exponent, seconds in medians.items():
            print(f'[sweep] {format_shape((1, 3, *args.shape))} KNN chunk 2^{exponent} scores: '
                  f'median forward {seconds:.2f} s')

    # 2a. float32 differences at 224 (information)
    inputs = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diffs32 = max_abs_diffs(ours(inputs), dense(inputs))
    for stage, (diff, scale) in enumerate(diffs32, 1):
        print(f'[2] float32 224x224 stage {stage}: max|diff| = {diff:.3e} '
              f'(max|out| = {scale:.3e}) (info only: KNN near-ties in float32)')

    # 4. throughput at batch 8, 224 (float32, before the models are converted to float64)
    batch8 = torch.randn(8, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    runs = {'mmghost': partial(ours, batch8), 'dense': partial(dense, batch8)}
    ips = timed_with_sgemm(lambda: compare_throughput(runs, len(batch8), args.repeats))
    rate224 = ips.pop('sgemm_gflops')
    runs.clear()  # the models are freed below
    fraction224 = of_sgemm('PyramidViG', (8, 224, 224), 8 / ips['mmghost'], rate224)
    print(f'[4] batch 8 224x224: mmghost {ips["mmghost"]:.2f} img/s, '
          f'dense {ips["dense"]:.2f} img/s; sgemm {rate224:.0f} GFLOP/s')

    # 2b. float64 equality at 224
    ours.double()
    dense.double()
    with torch.no_grad():
        diffs64 = max_abs_diffs(ours(inputs.double()), dense(inputs.double()))
    for stage, (diff, scale) in enumerate(diffs64, 1):
        print(f'[2] float64 224x224 stage {stage}: max|diff| = {diff:.3e} '
              f'(max|out| = {scale:.3e})')
    del ours, dense
    gc.collect()

    size224 = format_shape(inputs.shape)
    for stage in (1, 2, 3, 4):
        diff, scale = diffs32[stage - 1]
        ok = diff <= 1e-4 * max(scale, 1.0)
        rows.append((f'{size224} fp32', f'stage {stage} max|diff|', f'{diff:.2e}', '',
                     'equal' if ok else 'info: a near-tie neighbour differs'))
    for stage in (1, 2, 3, 4):
        diff, scale = diffs64[stage - 1]
        ok = diff <= 1e-10 * max(scale, 1.0)
        rows.append((f'{size224} fp64', f'stage {stage} max|diff|', f'{diff:.2e}', '',
                     'equal' if ok else 'DIFFERENT'))

    # 3. large input, one child process per model
    height, width = args.shape
    size = format_shape((1, 3, height, width))
    if not args.skip_large:
        print(f'[3] {size}: dense relative_pos resize vs pooled keys:')
        for note in dense_key_count_notes(height, width):
            print('      ' + note)
        large = {}
        for which in ('mmghost', 'dense'):
            large[which] = res = run_in_child(
                measure_large, threads=args.threads, which=which, weights_path=weights_path,
                shape=args.shape, repeats=args.repeats)
            print(f'[3] {which}: RSS before forward {res["rss_before_mib"]:.0f} MiB, '
                  f'peak {res["peak_rss_mib"]:.0f} MiB, forward peak '
                  f'{res["forward_peak_mib"]:.0f} MiB; first forward {res["first_s"]:.2f} s, '
                  f'timed {", ".join(f"{t:.2f}" for t in res["times_s"])} s; '
                  f'sgemm {res["sgemm_gflops"]:.0f} GFLOP/s; out shapes {res["shapes"]}')
        ours_res, dense_res = large['mmghost'], large['dense']
        mem_ratio = ours_res['forward_peak_mib'] / dense_res['forward_peak_mib']
        time_ratio = ours_res['median_s'] / dense_res['median_s']
        rows.append((size, 'forward peak RSS (MiB)', f'{ours_res["forward_peak_mib"]:.0f}',
                     f'{dense_res["forward_peak_mib"]:.0f}',
                     f'{mem_ratio:.3f}x {_verdict(round(mem_ratio, 3), 0.1, False)}'))
        rows.append((size, f'median wall time (s, n={args.repeats})',
                     f'{ours_res["median_s"]:.2f}', f'{dense_res["median_s"]:.2f}',
                     f'{time_ratio:.3f}x {_verdict(round(time_ratio, 3), 0.25, False)}'))
        rows.append((size, 'of sgemm (work / time / rate)',
                     _fraction_cell(of_sgemm('PyramidViG', (1, height, width),
                                             ours_res['median_s'], ours_res['sgemm_gflops']),
                                    0.40),
                     _fraction_cell(of_sgemm('PyramidViG', (1, height, width),
                                             dense_res['median_s'], dense_res['sgemm_gflops'])),
                     f'sgemm {ours_res["sgemm_gflops"]:.0f} / '
                     f'{dense_res["sgemm_gflops"]:.0f} GFLOP/s'))

    ips_ratio = ips['mmghost'] / ips['dense']
    rows.append(('8x3x224x224', f'throughput (img/s, n={args.repeats})',
                 f'{ips["mmghost"]:.2f}', f'{ips["dense"]:.2f}', f'{ips_ratio:.3f}x'))
    rows.append(('8x3x224x224', 'of sgemm (work / time / rate)',
                 _fraction_cell(fraction224, 0.50),
                 _fraction_cell(of_sgemm('PyramidViG', (8, 224, 224), 8 / ips['dense'],
                                         rate224)),
                 f'sgemm {rate224:.0f} GFLOP/s'))

    # 5. training steps, with_cp off and on
    if not args.skip_train:
        train_size = format_shape((1, 3, *args.train_shape))
        steps = {}
        for with_cp in (False, True):
            steps[with_cp] = res = run_in_child(training_step, threads=args.threads,
                                                with_cp=with_cp, shape=args.train_shape,
                                                repeats=args.repeats)
            print(f'[5] training step {train_size}, with_cp={with_cp}: '
                  f'first {res["first_s"]:.2f} s (peak {res["step_peak_mib"]:.0f} MiB), timed '
                  f'{", ".join(f"{t:.2f}" for t in res["times_s"])} s; '
                  f'{res["searches"]:g} searches per step; grad norm {res["grad_norm"]:.9g}; '
                  f'sgemm {res["sgemm_gflops"]:.0f} GFLOP/s')
        off, on = steps[False], steps[True]
        rows.append((train_size, 'train step, with_cp off / on (s)', f'{off["median_s"]:.2f}',
                     f'{on["median_s"]:.2f}', 'mmghost only: off | on'))
        rows.append((train_size, 'train step peak RSS, off / on (MiB)',
                     f'{off["step_peak_mib"]:.0f}', f'{on["step_peak_mib"]:.0f}', 'off | on'))
        rows.append((train_size, 'searches per step, off / on', f'{off["searches"]:g}',
                     f'{on["searches"]:g}', 'grad norms ' + (
                         'equal' if abs(off['grad_norm'] - on['grad_norm'])
                         <= 1e-6 * off['grad_norm'] else 'DIFFERENT')))

    # 6. isotropic ViG-S, mmghost only
    if not args.skip_vig:
        from mmghost.models.backbones import ViG
        torch.manual_seed(0)
        vig = ViG('s')
        randomize_batchnorm_(vig, 0)
        vig.eval()
        vig_ips = timed_with_sgemm(lambda: compare_throughput(
            {'vig': partial(vig, batch8)}, len(batch8), args.repeats))
        vig_ips, vig_rate = vig_ips['vig'], vig_ips['sgemm_gflops']
        vig_fraction = of_sgemm('ViG', (8, 224, 224), 8 / vig_ips, vig_rate)
        rows.append(('8x3x224x224', 'ViG-S throughput (img/s)', f'{vig_ips:.2f}', '',
                     f'of sgemm {_fraction_cell(vig_fraction)} (sgemm {vig_rate:.0f})'))
        del vig
        if not args.skip_large:
            res = run_in_child(measure_large, threads=args.threads, which='vig',
                               weights_path=weights_path, shape=args.shape,
                               repeats=args.repeats)
            rows.append((size, 'ViG-S median forward (s)', f'{res["median_s"]:.2f}', '',
                         f'peak {res["forward_peak_mib"]:.0f} MiB; of sgemm ' + _fraction_cell(
                             of_sgemm('ViG', (1, height, width), res['median_s'],
                                      res['sgemm_gflops']))))

    os.remove(weights_path)
    os.rmdir(tmpdir)

    print()
    print(environment_line())
    print_table(('input', 'measure', 'mmghost', 'dense', 'mmghost/dense'), rows)
    print(f'total runtime {time.perf_counter() - wall_start:.0f} s')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_shape_argument(parser, default=(800, 1344), help='large input size')
    add_timing_arguments(parser, repeats=3)
    parser.add_argument('--train-shape', nargs=2, type=int, default=(800, 1216),
                        metavar=('H', 'W'), help='input size of the training steps')
    parser.add_argument('--skip-large', action='store_true',
                        help='skip the large-input memory / time comparison')
    parser.add_argument('--skip-train', action='store_true', help='skip the training steps')
    parser.add_argument('--skip-vig', action='store_true', help='skip the isotropic ViG-S')
    parser.add_argument('--save-gradients', metavar='FILE',
                        help='only write the float64 gradients of one seeded training step')
    parser.add_argument('--gradient-shape', nargs=2, type=int, default=(160, 224),
                        metavar=('H', 'W'), help='input size of --save-gradients')
    parser.add_argument('--compare-gradients', nargs=2, metavar=('A', 'B'),
                        help='only compare two --save-gradients files')
    parser.add_argument('--profile', action='store_true',
                        help='also print the self CPU time per operator of one large forward')
    parser.add_argument('--chunk-sweep', action='store_true',
                        help='also time the large forward per KNN chunk size (2^18 ... 2^25)')
    return parser.parse_args()


if __name__ == '__main__':
    main(parse_args())
