#!/usr/bin/env bash
# Creates (or reuses) the mmghost Python environment, then runs the given command inside it.
#
#   tools/env.sh python tools/demo.py
#   tools/env.sh python -m pytest tests
#
# mmcv 2.1.0 has no wheel for torch 2.14, so it is built once from the PyPI sdist with its ops
# and kept in a wheelhouse keyed by Python and torch version (pip's own cache is keyed by neither
# and would hand a wheel built against another torch back, which crashes at import).
#
# Environment knobs:
#   MMGHOST_VENV        venv path          (default ~/.cache/mmghost/venv-py<ver>-torch<ver>)
#   MMGHOST_WHEELHOUSE  built mmcv wheels  (default ~/.cache/mmghost/wheelhouse/py<ver>-torch<ver>[-cuda])
#   TORCH_VERSION / TORCHVISION_VERSION   a matching pair (default 2.14.1 / 0.29.1)
#   FORCE_CUDA=1        build mmcv's CUDA ops too, with nvcc matching torch's CUDA: the one on PATH,
#                       else the package registry's (CUDA 13.0, installed into the venv); no GPU
#                       is needed to build. TORCH_CUDA_ARCH_LIST (e.g. "9.0") limits the targets.
#   MAX_JOBS            parallel compile jobs for the mmcv build (default: all cores)
#   MMGHOST_BUILD_DIR   where the mmcv build folder (mmcv-2.1.0-<key>/) goes; it is kept until the
#                       wheel is built, so that an interrupted build resumes (default ~/.cache/mmghost/build)
set -euo pipefail

# nvcc and the CUDA headers from the package registry, pinned to torch's CUDA 13.0 (unpinned,
# pip resolves nvvm and the runtime to the newest 13.x), into the venv's nvidia/cu13 tree, which
# holds the cuBLAS / cuSPARSE headers of torch's own CUDA packages; that tree becomes CUDA_HOME.
_mmghost_registry_nvcc() {
  local cuda_home
  echo "[setup_env] FORCE_CUDA=1 and no nvcc on PATH: installing the registry's nvcc 13.0" >&2
  python -m pip install -qq --disable-pip-version-check nvidia-cuda-nvcc==13.0.88 \
    nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-cccl==13.0.85 \
    nvidia-cuda-runtime==13.0.96 || return 1
  cuda_home="$(python -c 'import nvidia, os; print(os.path.join(nvidia.__path__[0], "cu13"))')"
  # the wheels ship libcudart.so.13 only; the linker looks for libcudart.so
  [ -e "$cuda_home/lib/libcudart.so" ] || ln -s libcudart.so.13 "$cuda_home/lib/libcudart.so"
  export CUDA_HOME="$cuda_home" PATH="$cuda_home/bin:$PATH"
  nvcc --version | tail -2 >&2
}

# torch's CUDA headers include cuBLAS' and cuSPARSE's, which torch's own CUDA packages hold in the
# venv's nvidia/cu13 tree (a toolkit without them, as the registry's nvcc, cannot build
# ATen/cuda code): the host compiler finds them through CPATH, nvcc through NVCC_APPEND_FLAGS.
# The toolkit's own include folder goes first: that tree's runtime headers lack crt/.
_mmghost_cuda_headers() {
  local cu toolkit
  cu="$(python -c 'import nvidia, os; print(os.path.join(nvidia.__path__[0], "cu13"))')"
  toolkit="$(nvcc --dryrun -c -x cu /dev/null 2>&1 | sed -n 's/^#\$ INCLUDES="-I\([^"]*\)".*/\1/p' | head -1)"
  export CPATH="${toolkit:+$toolkit:}$cu/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$cu/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export NVCC_APPEND_FLAGS="-I$cu/include${NVCC_APPEND_FLAGS:+ $NVCC_APPEND_FLAGS}"
}

_mmghost_setup() {
  local repo py_tag torch_v tv_v key venv wheelhouse stamp want
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  py_tag="$(python3 -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
  torch_v="${TORCH_VERSION:-2.14.1}"
  tv_v="${TORCHVISION_VERSION:-0.29.1}"
  key="py${py_tag}-torch${torch_v}"
  [ "${FORCE_CUDA:-0}" = 1 ] && key="${key}-cuda"
  venv="${MMGHOST_VENV:-$HOME/.cache/mmghost/venv-${key}}"
  wheelhouse="${MMGHOST_WHEELHOUSE:-$HOME/.cache/mmghost/wheelhouse/${key}}"
  stamp="$venv/.mmghost-setup"
  want="$(cat "$repo/setup.py" "$repo/tools/env.sh" | sha256sum | cut -c1-16)|$repo"

  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    # shellcheck disable=SC1091
    source "$venv/bin/activate"
    return 0
  fi

  echo "[setup_env] environment: $venv" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # shellcheck disable=SC1091
  source "$venv/bin/activate"
  local pipq=(python -m pip install -qq --disable-pip-version-check)
  "${pipq[@]}" "torch==${torch_v}" "torchvision==${tv_v}"
  # mmcv's setup.py imports pkg_resources, which setuptools 81 removed.
  "${pipq[@]}" 'setuptools>=77,<81' wheel ninja

  if [ "${FORCE_CUDA:-0}" = 1 ]; then
    command -v nvcc >/dev/null || _mmghost_registry_nvcc || return 1
    _mmghost_cuda_headers
  fi

  mkdir -p "$wheelhouse"
  if ! ls "$wheelhouse"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    # A fixed build folder, kept until the wheel is in the wheelhouse: an interrupted build
    # resumes where it stopped (pip builds the tree in place; ninja skips compiled objects).
    local build="${MMGHOST_BUILD_DIR:-$HOME/.cache/mmghost/build}/mmcv-2.1.0-${key}"
    local src="$build/mmcv-2.1.0"
    # measured on 2 cores: the CPU ops, and with CUDA for one architecture (docs/get_started.md)
    local objects=77 minutes=12
    [ "${FORCE_CUDA:-0}" = 1 ] && objects=136 minutes=85
    if [ -f "$src/.mmghost-prepared" ]; then
      echo "[setup_env] resuming the interrupted mmcv 2.1.0 build in $build" >&2
    else
      rm -rf "$build"
      mkdir -p "$build"
      echo "[setup_env] building mmcv 2.1.0 with its ops in $build: $objects objects, about" \
        "$minutes min on 2 cores (measured); a progress line every 30 s" >&2
      python -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation \
        -d "$build" mmcv==2.1.0
      tar -xzf "$build"/mmcv-2.1.0.tar.gz -C "$build"
      # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes c++14/17 in its own setup.py.
      sed -i -e 's/-std=c++1[47]/-std=c++20/g' -e 's#/std:c++1[47]#/std:c++20#g' "$src"/setup.py
      touch "$src/.mmghost-prepared"
    fi
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
      python "$repo/tools/misc/build_wheel.py" "$src" "$wheelhouse" --name mmcv \
      --estimate-minutes "$minutes" \
      || { tail -40 "$build/build.log" >&2; return 1; }
    rm -rf "$build"
  fi
  "${pipq[@]}" --find-links "$wheelhouse" --no-index --no-deps mmcv==2.1.0
  "${pipq[@]}" --find-links "$wheelhouse" -e "$repo[tests]"
  python -c 'import mmcv.ops, mmdet, mmseg, mmpretrain, mmghost' \
    || { echo "[setup_env] import check failed" >&2; return 1; }
  echo "$want" >"$stamp"
}

_mmghost_setup
[ "$#" -eq 0 ] || exec "$@"
