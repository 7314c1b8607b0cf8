"""The wheels a bare GPU machine needs (no network there): which, and whether they are complete.

    python tools/misc/gpu_kit.py requirements            # the pins tools/misc/gpu_wheels.sh fetches
    python tools/misc/gpu_kit.py sdist                   # the one built from source there
    python tools/misc/gpu_kit.py check KIT_DIR           # every wheel's needs are met; sizes
    python tools/misc/gpu_kit.py ext [--require-cuda]     # what the installed mmcv/_ext holds

The lent GPU machines run an image with Python 3.12, torch 2.11.0+cu130, nvcc 13.0 and many
packages (:data:`IMAGE`, as the workplace lists them), but no mmcv / mmengine / mmdet / mmseg /
mmpretrain. :data:`KIT` is what ``tools/misc/gpu_check.sh`` installs there with ``--no-deps``:
the OpenMMLab packages and whatever of their requirements (``Requires-Dist`` of each wheel's
METADATA, markers evaluated for Python 3.12 on Linux) the image lacks. ``check`` reads the
METADATA of the fetched wheels and fails on a requirement that neither the image nor the kit
has; ``tests/test_gpu_kit.py`` does the same from the installed distributions' metadata.
"""
import argparse
import glob
import os
import os.path as osp
import re
import sys
import zipfile
from email.parser import Parser

#: the py3.12 wheels of the kit (pins: the versions this project's environment tests)
KIT = (
    'mmengine==0.10.7', 'mmdet==3.3.0', 'mmsegmentation==1.2.2', 'mmpretrain==1.2.0',
    'addict==2.4.0', 'yapf==0.43.0', 'platformdirs==4.14.9', 'termcolor==3.3.0',
    'pycocotools==2.0.11', 'shapely==2.2.0', 'terminaltables==3.1.10', 'prettytable==3.19.0',
    'wcwidth==0.9.5', 'ftfy==6.3.1', 'mat4py==0.6.0', 'modelindex==0.0.2',
    'model-index==0.1.11', 'ordered-set==4.1.0', 'importlib-metadata==10.2.0',
    'lazy-importer==0.1.0', 'setuptools==80.9.0')
#: built there from the sdist, with the CUDA ops (tools/misc/gpu_check.sh)
SDIST = 'mmcv==2.1.0'
#: a requirement that the image meets under another name
SUBSTITUTES = {'opencv-python': 'opencv-python-headless'}
#: the image's Python packages ('cuda', read on 2026-11-17; the device tool's KINDS.md)
IMAGE = frozenset('''
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch
build certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage
cuda-bindings cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops
equinox etils execnet filelock flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio
h11 h5py hf-xet httpcore httpx huggingface-hub humanize hypothesis idna imageio iniconfig
interface-meta jax jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver
lazy-loader lightning lightning-utilities linear-operator lineax llvmlite lxml markdown
markdown-it-py markupsafe matplotlib mdurl meson ml-dtypes mpi4py mpmath msgpack multidict
multipledispatch mypy-extensions nanobind narwhals networkx ninja numba numba-cuda numpy numpyro
nvidia-cublas nvidia-cuda-cupti nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13
nvidia-cufft nvidia-cufile nvidia-curand nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13
nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir
onnxruntime onnxscript opencv-python-headless optax opt-einsum opt-einsum-fx optimistix
orbax-checkpoint packaging pandas pathspec patsy peft pillow pip pluggy portalocker
prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments pyparsing
pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov pytest-mock pytest-timeout
pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu safetensors
scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece sentence-transformers
setuptools shellingham simplejson six sortedcontainers statsmodels sympy tabulate tensorboard
tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm tokenizers toolz torch
torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm transformers treescope triton
typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig werkzeug wheel wrapt xarray
xxhash yarl zipp'''.split())
#: the target's environment, for the requirements' markers
TARGET = dict(python_version='3.12', python_full_version='3.12.3', sys_platform='linux',
              platform_system='Linux', os_name='posix', implementation_name='cpython',
              platform_machine='x86_64', platform_python_implementation='CPython', extra='')


def normalize(name):
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r'[-_.]+', '-', name).lower()


def kit_names():
    return {normalize(re.split(r'[=<>!~ ]', pin)[0]) for pin in (*KIT, SDIST)}


def needed(requirements):
    """The names of the requirements (``Requires-Dist`` lines) that apply on the target."""
    from packaging.requirements import Requirement
    names = set()
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(TARGET):
            names.add(normalize(requirement.name))
    return names


def unmet(requirements_by_package):
    """``{package: [requirements neither the image nor the kit has]}``, the empty ones left out.

    Args:
        requirements_by_package (dict[str, list[str]]): Each package's ``Requires-Dist`` lines.
    """
    have = IMAGE | kit_names()
    found = {}
    for package, requirements in requirements_by_package.items():
        missing = sorted(name for name in needed(requirements)
                         if SUBSTITUTES.get(name, name) not in have)
        if missing:
            found[package] = missing
    return found


def wheel_requirements(path):
    """A wheel's name and ``Requires-Dist`` lines, from its METADATA."""
    with zipfile.ZipFile(path) as wheel:
        metadata = next(n for n in wheel.namelist() if n.endswith('.dist-info/METADATA'))
        message = Parser().parsestr(wheel.read(metadata).decode('utf-8'))
    return message['Name'], message.get_all('Requires-Dist') or []


def check(kit_dir):
    """Prints the kit's files and sizes; returns the unmet requirements of its wheels."""
    wheels = sorted(glob.glob(osp.join(kit_dir, '*.whl')))
    files = wheels + sorted(glob.glob(osp.join(kit_dir, '*.tar.gz')))
    total = 0
    for path in files:
        size = os.path.getsize(path)
        total += size
        print(f'{size / 2**20:8.2f} MiB  {osp.basename(path)}')
    print(f'{total / 2**20:8.2f} MiB  in all ({len(files)} files)')
    fetched = {normalize(wheel_requirements(p)[0]) for p in wheels}
    absent = sorted(kit_names() - fetched - {normalize(SDIST.split('==')[0])})
    problems = unmet(dict(wheel_requirements(p) for p in wheels))
    if absent:
        problems['(the kit)'] = absent
    return problems


def ext_report(path):
    """What a built ``mmcv/_ext`` holds: its size, the size of its CUDA fat binary
    (``.nv_fatbin``, absent in a CPU build), the GPU architectures compiled in and the number of
    CUDA kernel launchers it exports (binutils' ``readelf`` and ``nm``)."""
    import subprocess
    sections = subprocess.run(['readelf', '-SW', path], capture_output=True, text=True,
                              check=True).stdout
    fatbin = re.search(r'\.nv_fatbin\s+\w+\s+\w+\s+\w+\s+(\w+)', sections)
    symbols = subprocess.run(['nm', '-DC', path], capture_output=True, text=True,
                             check=True).stdout
    with open(path, 'rb') as f:
        archs = sorted(set(re.findall(rb'\bsm_(\d+)\b', f.read())), key=int)
    return dict(path=path, size=os.path.getsize(path),
                fatbin=int(fatbin.group(1), 16) if fatbin else 0,
                archs=[f'sm_{a.decode()}' for a in archs],
                launchers=len(re.findall(r' T \w*CUDAKernelLauncher\(', symbols)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('requirements', help='print the pins, one per line')
    sub.add_parser('sdist', help='print the pin built from source there (mmcv)')
    checker = sub.add_parser('check', help='check the fetched wheels and print their sizes')
    checker.add_argument('kit_dir')
    ext = sub.add_parser('ext', help="what the installed mmcv's compiled ops hold")
    ext.add_argument('--require-cuda', action='store_true',
                     help='exit 1 unless the ops hold CUDA kernels')
    args = parser.parse_args(argv)
    if args.command in ('requirements', 'sdist'):
        print('\n'.join(KIT) if args.command == 'requirements' else SDIST)
        return 0
    if args.command == 'ext':
        import importlib.util
        report = ext_report(importlib.util.find_spec('mmcv._ext').origin)
        print(f"{report['path']}: {report['size'] / 1e6:.1f} MB; CUDA fat binary "
              f"{report['fatbin'] / 1e6:.1f} MB, architectures {report['archs'] or 'none'}, "
              f"{report['launchers']} CUDA kernel launchers")
        return 1 if args.require_cuda and not report['fatbin'] else 0
    problems = check(args.kit_dir)
    for package, missing in problems.items():
        print(f'{package}: needs {missing}, which neither the image nor the kit has; add '
              'them to KIT in tools/misc/gpu_kit.py', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
