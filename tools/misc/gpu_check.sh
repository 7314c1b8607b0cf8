#!/usr/bin/env bash
# One run on a bare, lent GPU machine (no network): install the kit, build mmcv with CUDA ops,
# run the GPU checks, and leave a report. From the repository root, with gpu_kit/ carried:
#
#   bash tools/misc/gpu_check.sh [OUT_DIR]          # OUT_DIR default: $OUT, else gpu_check_out/
#
# 1. probes what the build needs (python3 with torch, Python.h, ninja, nvcc, a GPU);
# 2. installs the kit's wheels (tools/misc/gpu_wheels.sh fetched them) with --no-deps into a
#    scratch target that goes first on PYTHONPATH (the image keeps its own packages);
# 3. builds mmcv 2.1.0 from the kit's sdist with its CUDA ops for this GPU's architecture only,
#    on all cores, with tools/misc/build_wheel.py's progress lines;
# 4. runs the checks in priority order (tests/test_gpu.py, then tools/misc/gpu_figures.py),
#    each under what is left of an internal deadline (GPU_CHECK_SECONDS, default 540 s).
# OUT_DIR gets three files, rewritten after every step so that a run cut off still returns what
# it did: report.md (each step's outcome and last line), figures.json and logs.tar.gz (each
# step's whole log). A lent machine returns at most 8 files from $OUT.
#
# Rehearsal on a CPU machine (GPU_CHECK_REHEARSAL=1, tests/test_gpu_kit.py): the kit is
# installed for Python 3.12 into the scratch target (pip --python-version, nothing imported
# from it), mmcv is built without ops (the build path, in seconds), and the checks run in the
# calling environment, where they skip without CUDA.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-${OUT:-$repo/gpu_check_out}}"
kit="${GPU_KIT:-$repo/gpu_kit}"
work="${GPU_CHECK_WORK:-$(mktemp -d)}"
py="${PYTHON:-python3}"
rehearsal="${GPU_CHECK_REHEARSAL:-0}"
start=$(date +%s)
deadline=$((start + ${GPU_CHECK_SECONDS:-540}))
logs="$work/logs"
mkdir -p "$out" "$logs"
report="$out/report.md"
: >"$report"

note() { echo "[gpu_check +$(($(date +%s) - start))s] $*" | tee -a "$report" >&2; }
left() { echo $((deadline - $(date +%s))); }
# step NAME LOG COMMAND...: runs it under the time left, logs to LOG, notes the outcome
step() {
  local name="$1" log="$logs/$2" budget status
  shift 2
  budget=$(left)
  if [ "$budget" -le 5 ]; then
    note "$name: skipped, the deadline has passed"
    return 124
  fi
  note "$name: started ($budget s left)"
  timeout --kill-after=10 "$budget" "$@" >"$log" 2>&1
  status=$?
  note "$name: exit $status ($(tail -1 "$log" | cut -c1-200))"
  tar -czf "$out/logs.tar.gz" -C "$work" logs
  return $status
}

# ---- 1. probe
"$py" - >"$logs/probe.txt" 2>&1 <<'EOF'
import os, shutil, sys, sysconfig
import torch
print('python', sys.version.split()[0], sys.executable)
print('torch', torch.__version__, 'cuda', torch.version.cuda)
print('Python.h', os.path.isfile(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))
print('ninja', shutil.which('ninja'), 'nvcc', shutil.which('nvcc'))
print('cores', os.cpu_count())
if torch.cuda.is_available():
    print('gpu', torch.cuda.get_device_name(), 'capability',
          '.'.join(map(str, torch.cuda.get_device_capability())))
else:
    print('gpu none')
EOF
note "probe: $(tr '\n' ';' <"$logs/probe.txt")"
arch=$(sed -n 's/^gpu .* capability \(.*\)$/\1/p' "$logs/probe.txt")
if [ -z "$arch" ] && [ "$rehearsal" != 1 ]; then
  note "no GPU seen (GPU_CHECK_REHEARSAL=1 rehearses the kit on a CPU machine)"
  exit 1
fi

# ---- 2. the kit's wheels, into the scratch target
if ! compgen -G "$kit/*.whl" >/dev/null || [ ! -f "$kit/mmcv-2.1.0.tar.gz" ]; then
  note "no kit in $kit (its wheels and mmcv-2.1.0.tar.gz): fetch it first with" \
    "'bash tools/env.sh bash tools/misc/gpu_wheels.sh' and carry gpu_kit/ to the GPU machine"
  exit 1
fi
site="$work/site"
if [ "$rehearsal" = 1 ]; then
  target_flags=(--python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none
                --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
                --platform manylinux_2_28_x86_64 --platform any --only-binary=:all:)
else
  target_flags=()
fi
step install install.log "$py" -m pip install --no-deps --no-index --disable-pip-version-check \
  --target "$site" "${target_flags[@]}" "$kit"/*.whl || exit 1

# ---- 3. mmcv with the CUDA ops of this GPU
tar -xzf "$kit"/mmcv-2.1.0.tar.gz -C "$work"
# torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes c++14/17 (as tools/env.sh does)
sed -i -e 's/-std=c++1[47]/-std=c++20/g' "$work/mmcv-2.1.0/setup.py"
if [ "$rehearsal" = 1 ]; then  # without ops the sdist builds the wheel "mmcv_lite"
  build_env=(MMCV_WITH_OPS=0) wheel=mmcv_lite installer=(--target "$work/rehearsed-mmcv")
else
  build_env=(MMCV_WITH_OPS=1 FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$arch" MAX_JOBS="$(nproc)")
  wheel=mmcv installer=(--target "$site")
fi
# the kit goes first on the path (a rehearsal's is for Python 3.12: it is only installed)
[ "$rehearsal" = 1 ] || export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
step mmcv-build mmcv-build.log env "${build_env[@]}" "$py" "$repo/tools/misc/build_wheel.py" \
  "$work/mmcv-2.1.0" "$work/wheels" --name "$wheel" --estimate-minutes 6 --interval 30 || exit 1
step mmcv-install mmcv-install.log "$py" -m pip install --no-deps --no-index \
  --disable-pip-version-check "${installer[@]}" "$work/wheels/$wheel"-2.1.0-*.whl || exit 1
if [ "$rehearsal" != 1 ]; then
  step mmcv-ext mmcv-ext.log "$py" "$repo/tools/misc/gpu_kit.py" ext --require-cuda
  step mmcv-ops mmcv-ops.log "$py" -c "import mmcv.ops, torch; from mmcv.ops import nms; \
b = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10]], device='cuda'); \
print('nms on cuda:', nms(b, torch.tensor([0.9, 0.8], device='cuda'), 0.5)[1].tolist())"
fi

# ---- 4. the checks, most wanted first
cd "$repo" || exit 1
step test_gpu test_gpu.log "$py" -m pytest tests/test_gpu.py -v -n 0 -p no:cacheprovider
step figures figures.log "$py" tools/misc/gpu_figures.py --out "$out/figures.json" \
  --deadline "$deadline"
note "done in $(($(date +%s) - start)) s; report: $report"
