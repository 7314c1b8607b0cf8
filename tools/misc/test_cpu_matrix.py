"""Runs the numerically sensitive tests (``pytest -m cpu_matrix``) under the CPU kernels that
machines of other kinds pick, so that a test which passes here cannot fail on CI's next CPU.

torch, oneDNN and MKL each choose their kernels by the CPU they find, so the same test sees
different float32 rounding on an AVX2-only AMD, an AVX-512 Intel and a plain x86-64 build, and
again with another thread count. Each profile below caps all three libraries alike
(``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``, ``MKL_ENABLE_INSTRUCTIONS``); each runs with 1
and 2 threads (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``). A profile whose instructions this CPU
lacks (read from /proc/cpuinfo) is skipped and reported: forcing one can crash.

    bash tools/env.sh python tools/misc/test_cpu_matrix.py    # every profile, 1 and 2 threads
    python tools/misc/test_cpu_matrix.py --profiles default avx2 --threads 1
    python tools/misc/test_cpu_matrix.py --list    # the plan and the kernels each run gets
    python tools/misc/test_cpu_matrix.py -- -k resume -x    # more pytest arguments

Before its tests, every run prints the kernels it really got (torch's CPU capability, oneDNN's
ISA, and digests of an sgemm and a convolution on fixed data), so a cap that did not take
effect is seen. The summary lists, per
run, passed / failed / skipped and the tests that failed; the exit status is 1 if any failed.
"""
import argparse
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import namedtuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MARKER = 'cpu_matrix'

Profile = namedtuple('Profile', 'stands_for env needs')
# ``needs``: the /proc/cpuinfo flags every library's kernels of that level use
PROFILES = {
    'default': Profile(
        'a plain x86-64 build (no AVX: emulators, old or minimal virtual CPUs)',
        # MKL_ENABLE_INSTRUCTIONS only lowers MKL's choice on Intel CPUs; MKL_CBWR=COMPATIBLE
        # takes its baseline branch on any CPU (measured on an AMD EPYC: it alone changes
        # sgemm's digest)
        dict(ATEN_CPU_CAPABILITY='default', ONEDNN_MAX_CPU_ISA='SSE41',
             MKL_ENABLE_INSTRUCTIONS='SSE4_2', MKL_CBWR='COMPATIBLE'),
        ('sse4_1', 'sse4_2')),
    'avx2': Profile(
        'an AVX2-only CPU (AMD EPYC before Zen 4, Intel before Skylake-SP)',
        dict(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2',
             MKL_ENABLE_INSTRUCTIONS='AVX2'),
        ('avx', 'avx2', 'fma')),
    'avx512': Profile(
        'an AVX-512 CPU (Intel Xeon Skylake-SP and later, AMD Zen 4)',
        dict(ATEN_CPU_CAPABILITY='avx512', ONEDNN_MAX_CPU_ISA='AVX512_CORE',
             MKL_ENABLE_INSTRUCTIONS='AVX512'),
        ('avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq')),
}
THREADS = (1, 2)
Run = namedtuple('Run', 'profile threads env')

# What the kernel libraries chose: ATen's dispatch level, oneDNN's ISA (its verbose line), and
# digests of an sgemm (MKL) and a convolution (oneDNN) on fixed data: runs whose digests differ
# round differently.
PROBE = r"""
import hashlib
import torch
def digest(t):
    return hashlib.sha1(t.numpy().tobytes()).hexdigest()[:8]
g = torch.Generator().manual_seed(0)
a, b = torch.randn(257, 391, generator=g), torch.randn(391, 263, generator=g)
x, w = torch.randn(1, 64, 32, 32, generator=g), torch.randn(64, 64, 3, 3, generator=g)
print('aten', torch.backends.cpu.get_cpu_capability())
print('sgemm', digest(a @ b))
print('conv', digest(torch.nn.functional.conv2d(x, w)))
"""


def cpu_flags(path='/proc/cpuinfo'):
    """The instruction-set flags of the first CPU in ``path``."""
    with open(path) as f:
        for line in f:
            if line.startswith('flags'):
                return set(line.split(':', 1)[1].split())
    raise RuntimeError(f'{path} has no "flags" line: cannot tell which instruction sets this '
                       'CPU has')


def plan(profiles, threads, flags):
    """The runs (profile x thread count) this CPU can take, and ``{profile: missing flags}`` for
    those it cannot."""
    runs, skipped = [], {}
    for name in profiles:
        profile = PROFILES[name]
        missing = [flag for flag in profile.needs if flag not in flags]
        if missing:
            skipped[name] = missing
            continue
        for count in threads:
            env = dict(profile.env, OMP_NUM_THREADS=str(count), MKL_NUM_THREADS=str(count))
            runs.append(Run(name, count, env))
    return runs, skipped


def run_env(run):
    env = dict(os.environ, **run.env)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [REPO_ROOT, env.get('PYTHONPATH')]))
    return env


def probe(run):
    """``{'aten', 'onednn', 'sgemm', 'conv'}``: the kernels ``run`` really gets (see PROBE)."""
    env = dict(run_env(run), ONEDNN_VERBOSE='1')
    out = subprocess.run([sys.executable, '-c', PROBE], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=300).stdout
    found = {key: re.search(rf'^{key} (\S+)', out, re.M) for key in ('aten', 'sgemm', 'conv')}
    found['onednn'] = re.search(r'isa:([^,\n]+)', out)
    return {key: match.group(1).strip() if match else 'not seen' for key, match in found.items()}


def junit_counts(path):
    """``(passed, failed, skipped, failed test ids)`` of a pytest junit-xml report."""
    failed, passed, skipped = [], 0, 0
    for case in ET.parse(path).getroot().iter('testcase'):
        outcome = {child.tag for child in case}
        if outcome & {'failure', 'error'}:
            failed.append(f"{case.get('classname')}::{case.get('name')}")
        elif 'skipped' in outcome:
            skipped += 1
        else:
            passed += 1
    return passed, len(failed), skipped, failed


def run_tests(run, pytest_args, report):
    """The marked tests under ``run``'s kernels; returns (seconds, exit code)."""
    # -n 0: in one process, with the run's thread count (pytest.ini's workers take one each)
    cmd = [sys.executable, '-m', 'pytest', osp.join(REPO_ROOT, 'tests'), '-m', MARKER, '-q',
           '-n', '0', '-p', 'no:cacheprovider', f'--junitxml={report}', *pytest_args]
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=REPO_ROOT, env=run_env(run)).returncode
    return time.perf_counter() - start, code


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '),
        epilog='Profiles: ' + '; '.join(f'{name}: {p.stands_for}'
                                        for name, p in PROFILES.items()))
    parser.add_argument('--profiles', nargs='+', default=list(PROFILES), choices=list(PROFILES),
                        metavar='PROFILE', help=f'default: all ({", ".join(PROFILES)})')
    parser.add_argument('--threads', nargs='+', type=int, default=list(THREADS),
                        metavar='N', help='thread counts (default: 1 2)')
    parser.add_argument('--list', action='store_true',
                        help='print the runs and the kernels each one gets; run no test')
    parser.add_argument('pytest_args', nargs='*', metavar='-- PYTEST_ARGS',
                        help='passed on to pytest (after --)')
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.threads):
        parser.error(f'--threads must be positive, got {args.threads}')
    return args


def main(argv=None):
    args = parse_args(argv)
    runs, skipped = plan(args.profiles, args.threads, cpu_flags())
    for name, missing in skipped.items():
        print(f'[cpu-matrix] skip {name} ({PROFILES[name].stands_for}): this CPU lacks '
              f'{" ".join(missing)}', flush=True)
    if not runs:
        print('[cpu-matrix] no profile this CPU can run', flush=True)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, run in enumerate(runs):
            kernels = probe(run)
            label = f'{run.profile}, {run.threads} thread{"s" * (run.threads > 1)}'
            print(f'[cpu-matrix] {label}: ' + ' '.join(f'{k}={v}' for k, v in run.env.items())
                  + f'\n[cpu-matrix]   kernels: torch {kernels["aten"]}, oneDNN '
                  f'{kernels["onednn"]}; digests: sgemm {kernels["sgemm"]}, conv '
                  f'{kernels["conv"]}', flush=True)
            if args.list:
                continue
            report = osp.join(tmp, f'{i}.xml')
            seconds, code = run_tests(run, args.pytest_args, report)
            counts = junit_counts(report) if osp.exists(report) else (0, 0, 0, [])
            rows.append((label, seconds, code, counts))
    if args.list:
        return 0
    print(f'\n[cpu-matrix] pytest -m {MARKER}, {len(rows)} runs '
          f'({len(skipped)} profile{"s" * (len(skipped) != 1)} skipped):')
    for label, seconds, code, (passed, failed, skips, failed_ids) in rows:
        status = 'ok' if code == 0 else f'FAILED (exit {code})'
        print(f'  {label:<22} {passed:4d} passed {failed:3d} failed {skips:3d} skipped '
              f'{seconds:7.1f} s  {status}')
        for test in failed_ids:
            print(f'      {test}')
    return int(any(code != 0 for _, _, code, _ in rows))


if __name__ == '__main__':
    sys.exit(main())
