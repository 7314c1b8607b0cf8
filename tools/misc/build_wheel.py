"""Builds a wheel from an unpacked source tree with progress, resumable (tools/env.sh's mmcv build).

    python tools/misc/build_wheel.py SOURCE_DIR WHEELHOUSE [--name mmcv] [--estimate-minutes 12]
        [--interval 30]

Runs ``pip wheel -v --no-deps --no-build-isolation`` in SOURCE_DIR (pip builds a local tree in
place, so the compiled objects of an interrupted build stay in SOURCE_DIR/build and ninja skips
them on the next run), writes its output to ``SOURCE_DIR/../build.log`` and prints a progress
line every ``--interval`` seconds: the objects compiled out of the total (ninja's ``[n/N]``),
the time so far and an estimate of the time left (from this run's rate once a few objects are
done, before that from ``--estimate-minutes``, the measured time of a whole build). The wheel
is moved into WHEELHOUSE; the caller removes the source tree only then. Exit status: pip's.
"""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

PROGRESS = re.compile(rb'^\s*\[(\d+)/(\d+)\] ', re.MULTILINE)


def minutes(seconds):
    seconds = int(round(seconds))
    return f'{seconds // 60}m {seconds % 60:02d}s' if seconds >= 60 else f'{seconds}s'


def progress_line(name, done, total, elapsed, estimate_seconds):
    """One progress line: objects done / total, time so far, time left."""
    if total:
        if done >= 3:
            left = elapsed / done * (total - done)
        else:
            left = max(0.0, estimate_seconds - elapsed)
        return (f'[setup_env] {name} build: {done}/{total} objects compiled, {minutes(elapsed)} '
                f'so far, about {minutes(left)} left')
    return (f'[setup_env] {name} build: preparing, {minutes(elapsed)} so far (a whole build '
            f'took about {minutes(estimate_seconds)} here)')


def latest_progress(log):
    """``(done, total)`` of the last ninja ``[n/N]`` line of the log, or ``(0, 0)``."""
    try:
        with open(log, 'rb') as f:
            matches = PROGRESS.findall(f.read())
    except FileNotFoundError:
        return 0, 0
    return (int(matches[-1][0]), int(matches[-1][1])) if matches else (0, 0)


def build(source, wheelhouse, name, estimate_seconds, interval):
    """Runs the build with progress; returns pip's exit status."""
    log = osp.join(osp.dirname(osp.abspath(source)), 'build.log')
    dist = osp.join(osp.dirname(osp.abspath(source)), 'dist')
    start = time.monotonic()
    with open(log, 'wb') as out:
        process = subprocess.Popen(
            [sys.executable, '-m', 'pip', 'wheel', '-v', '--no-deps', '--no-build-isolation',
             '-w', dist, '.'], cwd=source, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None:
            try:
                process.wait(timeout=interval)
            except subprocess.TimeoutExpired:
                line = progress_line(name, *latest_progress(log), time.monotonic() - start,
                                     estimate_seconds)
                print(line, file=sys.stderr, flush=True)
    elapsed = time.monotonic() - start
    if process.returncode != 0:
        print(f'[setup_env] {name} build failed after {minutes(elapsed)}; log: {log} (run the '
              f'same command again to resume: compiled objects are kept)', file=sys.stderr)
        return process.returncode
    wheels = glob.glob(osp.join(dist, f'{name}-*.whl'))
    os.makedirs(wheelhouse, exist_ok=True)
    for wheel in wheels:
        shutil.move(wheel, osp.join(wheelhouse, osp.basename(wheel)))
    print(f'[setup_env] {name} built in {minutes(elapsed)} -> {wheelhouse}', file=sys.stderr)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='the unpacked source tree')
    parser.add_argument('wheelhouse', help='where the wheel goes')
    parser.add_argument('--name', default='mmcv', help='distribution name (wheel file prefix)')
    parser.add_argument('--estimate-minutes', type=float, default=12.0,
                        help='measured time of a whole build, for the first estimate')
    parser.add_argument('--interval', type=float, default=30.0,
                        help='seconds between progress lines')
    args = parser.parse_args(argv)
    return build(args.source, args.wheelhouse, args.name, args.estimate_minutes * 60,
                 args.interval)


if __name__ == '__main__':
    sys.exit(main())
