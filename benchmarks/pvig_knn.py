"""Benchmark: mmghost ``PyramidViG`` (chunked KNN) vs. mmpretrain ``PyramidVig`` (dense KNN).

Run it with::

    python benchmarks/pvig_knn.py                       # everything, default 800x1344
    python benchmarks/pvig_knn.py --repeats 5 --threads 2
    python benchmarks/pvig_knn.py --shape 480 800       # another large size (H W)
    python benchmarks/pvig_knn.py --skip-large          # only the 224x224 parts

This is a benchmark that prints numbers, not a test. Both models are the ``small`` Pyramid
ViG and run on the SAME weights, in eval mode, under ``torch.no_grad()``:

1. Weights. ``mmghost.models.backbones.PyramidViG('s')`` is built, its BatchNorm statistics
   and affine parameters (``mmghost.profiling.randomize_batchnorm_``) and its ``pos_embed``
   are set to seeded random values (a freshly
   built model has identity BatchNorms and a zero embedding, which would hide a mapping that
   swaps two layers of equal shape), and its state dict is renamed to the key layout of
   ``mmpretrain.models.backbones.PyramidVig('small')``. The renamed dict is loaded with
   ``load_state_dict(strict=True)`` (missing, unexpected or mis-shaped keys raise).
2. Equality at 224x224 (batch 2, seeded ``randn``): the max abs difference of the stage
   outputs, float32 for stages 1-2 and float64 (``.double()`` on both models) for all four
   stages. In float32 the KNN of stages 3-4 meets near-ties, where rounding differences
   between the two distance formulas pick other neighbours, so their float32 numbers are
   printed for information only.
3. Large input (default ``1x3x800x1344``, ``--shape H W``). mmpretrain's ``PyramidVig`` adds a
   fixed 56x56 ``pos_embed`` in its forward, so it cannot run at another size as is. The script
   replaces the dense model's ``pos_embed`` by a bicubically resized ``nn.Parameter`` (the
   resize mmghost does inside its forward) before the run. Its Graphers' ``_get_relative_pos``
   already resizes the stored ``relative_pos`` bicubically to ``(N, N // r^2)`` on every
   forward (mmghost instead computes the term for the actual grids in chunks, so the two
   models' outputs differ at this size and are not compared). ``N // r^2`` is checked against
   the key count of the average pooling, ``(H // r) * (W // r)``.

   Each model is measured in its own fresh child process (``mmghost.profiling.run_in_child``),
   so one model's allocations cannot hide or inflate the other's. Memory
   (``mmghost.profiling.profile_forward``): the child loads the
   weights, builds the input, runs ``gc.collect()`` and glibc ``malloc_trim(0)``, reads its
   resident set size (``VmRSS`` in ``/proc/self/status``), then writes ``5`` to
   ``/proc/self/clear_refs``, which resets the kernel's peak-RSS counter ``VmHWM`` to the
   current RSS (Linux >= 4.0). After the first forward it reads ``VmHWM``; the forward's peak
   memory is ``VmHWM - VmRSS(before)``, i.e. the largest extra resident memory the forward
   needed (activations, distance blocks, resized position terms, allocator slack). Without the
   reset, ``VmHWM`` would include transient peaks of model construction. ``psutil`` and
   ``tracemalloc`` are not used (the latter does not see PyTorch's allocations). That first
   forward doubles as the warm-up; the wall time is the median of ``--repeats`` further
   forwards (``time.perf_counter``).
4. Throughput at batch 8, 224x224: images/s from the median of ``--repeats`` forwards per
   model after one warm-up each, the two models timed alternately to share any background
   load equally (``mmghost.profiling.compare_throughput``).

Targets (from the issue): at the large size mmghost's peak memory <= 0.25x and wall time
<= 1.0x the dense baseline; throughput at 224 >= 1.0x. The table at the end shows the ratios,
the torch version, ``torch.get_num_threads()`` and the CPU model. Linux only (``/proc``).
"""
import argparse
import gc
import os
import tempfile
import time
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from mmghost.profiling import (add_shape_argument, add_timing_arguments, compare_throughput,
                               environment_line, format_shape, print_table, profile_forward,
                               randomize_batchnorm_, run_in_child)

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


# ----------------------------------------------------------------------------- child
def measure_large(which, weights_path, shape, repeats):
    """One model at one input size (run in a child process): peak extra RSS of the first
    forward, then ``repeats`` timed forwards (:func:`mmghost.profiling.profile_forward`)."""
    height, width = shape
    model = load_model(which, weights_path)
    if which == 'dense':
        resize_dense_pos_embed_(model, height, width)
    inputs = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(1))
    return profile_forward(model, inputs, repeats)


# ----------------------------------------------------------------------------- parent
def max_abs_diffs(outs_a, outs_b):
    return [((a - b).abs().max().item(), b.abs().max().item()) for a, b in zip(outs_a, outs_b)]


def main(args):
    wall_start = time.perf_counter()
    torch.set_num_threads(args.threads)
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

    # 2a. float32 equality at 224
    inputs = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diffs32 = max_abs_diffs(ours(inputs), dense(inputs))
    for stage, (diff, scale) in enumerate(diffs32, 1):
        note = '' if stage <= 2 else ' (info only: KNN near-ties in float32)'
        print(f'[2] float32 224x224 stage {stage}: max|diff| = {diff:.3e} '
              f'(max|out| = {scale:.3e}){note}')

    # 4. throughput at batch 8, 224 (float32, before the models are converted to float64)
    batch8 = torch.randn(8, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    ips = compare_throughput({'mmghost': partial(ours, batch8), 'dense': partial(dense, batch8)},
                             len(batch8), args.repeats)
    print(f'[4] batch 8 224x224: mmghost {ips["mmghost"]:.2f} img/s, '
          f'dense {ips["dense"]:.2f} img/s')

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
    for stage in (1, 2):
        diff, scale = diffs32[stage - 1]
        ok = diff <= 1e-4 * max(scale, 1.0)
        rows.append((f'{size224} fp32', f'stage {stage} max|diff|', f'{diff:.2e}', '',
                     'equal' if ok else 'DIFFERENT'))
    for stage in (1, 2, 3, 4):
        diff, scale = diffs64[stage - 1]
        ok = diff <= 1e-10 * max(scale, 1.0)
        rows.append((f'{size224} fp64', f'stage {stage} max|diff|', f'{diff:.2e}', '',
                     'equal' if ok else 'DIFFERENT'))

    # 3. large input, one child process per model
    if not args.skip_large:
        height, width = args.shape
        print(f'[3] {format_shape(args.shape)}: dense relative_pos resize vs pooled keys:')
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
                  f'out shapes {res["shapes"]}')
        ours_res, dense_res = large['mmghost'], large['dense']
        mem_ratio = ours_res['forward_peak_mib'] / dense_res['forward_peak_mib']
        time_ratio = ours_res['median_s'] / dense_res['median_s']
        size = format_shape((1, 3, height, width))
        rows.append((size, 'forward peak RSS (MiB)', f'{ours_res["forward_peak_mib"]:.0f}',
                     f'{dense_res["forward_peak_mib"]:.0f}',
                     f'{mem_ratio:.3f}x (target <= 0.25x: '
                     f'{"met" if mem_ratio <= 0.25 else "MISSED"})'))
        rows.append((size, f'median wall time (s, n={args.repeats})',
                     f'{ours_res["median_s"]:.2f}', f'{dense_res["median_s"]:.2f}',
                     f'{time_ratio:.3f}x (target <= 1.0x: '
                     f'{"met" if time_ratio <= 1.0 else "MISSED"})'))

    ips_ratio = ips['mmghost'] / ips['dense']
    rows.append(('8x3x224x224', f'throughput (img/s, n={args.repeats})',
                 f'{ips["mmghost"]:.2f}', f'{ips["dense"]:.2f}',
                 f'{ips_ratio:.3f}x (target >= 1.0x: {"met" if ips_ratio >= 1.0 else "MISSED"})'))

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
    parser.add_argument('--skip-large', action='store_true',
                        help='skip the large-input memory / time comparison')
    return parser.parse_args()


if __name__ == '__main__':
    main(parse_args())
