#!/usr/bin/env bash
# Fetches what tools/misc/gpu_check.sh installs on a bare GPU machine (no network there): the
# Python 3.12 wheels of tools/misc/gpu_kit.py's KIT and the mmcv 2.1.0 sdist, into KIT_DIR
# (default gpu_kit/, git-ignored; carry it to the machine). Run here, with the package registry.
#
#   bash tools/misc/gpu_wheels.sh [KIT_DIR]
#
# Then checks that every wheel's requirements are in the image or in the kit, and prints the
# sizes: the kit and the repository travel together, 64 MiB at most.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${1:-$repo/gpu_kit}"
py="${PYTHON:-python3}"
mkdir -p "$kit"
# shellcheck disable=SC2046
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.12 --implementation cp --abi cp312 --abi abi3 --abi none \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --platform any \
  -d "$kit" $("$py" "$repo/tools/misc/gpu_kit.py" requirements)
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
  --no-build-isolation -d "$kit" "$("$py" "$repo/tools/misc/gpu_kit.py" sdist)"
"$py" "$repo/tools/misc/gpu_kit.py" check "$kit"
echo "repository (tracked files): $(git -C "$repo" ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1 | awk '{printf "%.2f MiB", $1 / 1048576}')"
