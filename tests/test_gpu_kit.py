"""The GPU kit's wheel list (tools/misc/gpu_kit.py): every requirement of the packages it
installs on the bare GPU image is in the image or in the kit, read from the metadata of the
same distributions installed here."""
import re
import sys
from importlib.metadata import PackageNotFoundError, distribution

import pytest

from tests.helpers import load_tool

kit = load_tool('tools/misc/gpu_kit.py')


def installed_requirements():
    """``{name: Requires-Dist}`` of the kit's distributions (and mmcv) installed here."""
    found = {}
    for pin in (*kit.KIT, kit.SDIST):
        name, version = pin.split('==')
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        if dist.version == version:
            found[name] = dist.requires or []
    return found


def test_the_kit_meets_every_requirement_of_what_it_installs():
    requirements = installed_requirements()
    # the OpenMMLab stack is installed here, at the kit's versions
    assert {'mmcv', 'mmengine', 'mmdet', 'mmsegmentation', 'mmpretrain'} <= set(requirements)
    assert kit.unmet(requirements) == {}


def test_an_unmet_requirement_is_named():
    requirements = {'x': ['foo>=1', 'bar; sys_platform == "win32"', 'opencv-python>=3',
                          'tomli; python_version < "3.11"', 'numpy', 'pytest; extra == "tests"']}
    assert kit.unmet(requirements) == {'x': ['foo']}


@pytest.mark.parametrize('name,normal', [('Model_Index', 'model-index'), ('ordered.set',
                                                                          'ordered-set')])
def test_names_compare_as_pip_compares_them(name, normal):
    assert kit.normalize(name) == normal


def fake_kit(root):
    """A kit of one tiny wheel and an ``mmcv-2.1.0.tar.gz`` whose setup.py builds a package of
    that name (the build path of the rehearsal, in seconds)."""
    import tarfile
    import zipfile
    kit_dir = root / 'kit'
    kit_dir.mkdir()
    with zipfile.ZipFile(kit_dir / 'tiny_dep-1.0-py3-none-any.whl', 'w') as wheel:
        wheel.writestr('tiny_dep/__init__.py', '')
        wheel.writestr('tiny_dep-1.0.dist-info/METADATA',
                       'Metadata-Version: 2.1\nName: tiny-dep\nVersion: 1.0\n')
        wheel.writestr('tiny_dep-1.0.dist-info/WHEEL',
                       'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n')
        wheel.writestr('tiny_dep-1.0.dist-info/RECORD', '')
    source = root / 'mmcv-2.1.0'
    (source / 'mmcv').mkdir(parents=True)
    (source / 'mmcv' / '__init__.py').write_text("__version__ = '2.1.0'\n")
    (source / 'setup.py').write_text(  # as mmcv's: without ops, the wheel is mmcv-lite
        "import os\nfrom setuptools import setup\n"
        "# extra_compile_args = ['-std=c++14']\n"
        "lite = os.environ.get('MMCV_WITH_OPS') == '0'\n"
        "setup(name='mmcv-lite' if lite else 'mmcv', version='2.1.0', packages=['mmcv'])\n")
    with tarfile.open(kit_dir / 'mmcv-2.1.0.tar.gz', 'w:gz') as tar:
        tar.add(source, arcname='mmcv-2.1.0')
    return kit_dir


def test_the_rehearsal_installs_builds_and_skips_the_checks_cleanly(tmp_path):
    """``GPU_CHECK_REHEARSAL=1 tools/misc/gpu_check.sh OUT``: the kit installs for Python 3.12
    into the scratch target, mmcv builds (here a stand-in sdist) with the C++20 flag patched in,
    and without CUDA the GPU tests skip and the figures measure nothing; the report says so,
    step by step, and the logs are in OUT."""
    import os
    import subprocess

    from tests.helpers import REPO_ROOT
    out, work = tmp_path / 'out', tmp_path / 'work'
    env = dict(os.environ, GPU_CHECK_REHEARSAL='1', GPU_KIT=str(fake_kit(tmp_path)),
               GPU_CHECK_WORK=str(work), PYTHON=sys.executable, PYTHONPATH=REPO_ROOT)
    run = subprocess.run(['bash', 'tools/misc/gpu_check.sh', str(out)], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    report = (out / 'report.md').read_text()
    assert run.returncode == 0, run.stderr[-3000:]
    for step in ('install', 'mmcv-build', 'mmcv-install', 'test_gpu', 'figures'):
        assert re.search(rf'\] {step}: exit 0 ', report), (step, report)
    assert 'gpu none' in report  # the probe
    assert (work / 'site' / 'tiny_dep' / '__init__.py').is_file()
    assert '-std=c++20' in (work / 'mmcv-2.1.0' / 'setup.py').read_text()
    assert list((work / 'rehearsed-mmcv').glob('mmcv*'))
    assert sorted(p.name for p in out.iterdir()) == ['logs.tar.gz', 'report.md']
    logs = work / 'logs'
    assert re.search(r'\d+ skipped', (logs / 'test_gpu.log').read_text())
    assert 'no CUDA device; nothing measured' in (logs / 'figures.log').read_text()


def test_without_the_kit_the_check_says_how_to_fetch_it(tmp_path):
    import os
    import subprocess

    from tests.helpers import REPO_ROOT
    (tmp_path / 'kit').mkdir()
    env = dict(os.environ, GPU_CHECK_REHEARSAL='1', GPU_KIT=str(tmp_path / 'kit'),
               GPU_CHECK_WORK=str(tmp_path / 'work'), PYTHON=sys.executable)
    run = subprocess.run(['bash', 'tools/misc/gpu_check.sh', str(tmp_path / 'out')],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert f"no kit in {tmp_path / 'kit'}" in run.stderr
    assert 'bash tools/env.sh bash tools/misc/gpu_wheels.sh' in run.stderr


def test_the_ext_report_tells_a_cpu_build_from_a_cuda_one(capsys):
    """``gpu_kit.py ext`` reads the installed ``mmcv/_ext``. A CPU build (CI's) has no fat
    binary, no architecture and no CUDA kernel launcher, and ``--require-cuda`` refuses it; a
    CUDA build (``FORCE_CUDA=1``, docs/get_started.md "GPU") has all three and passes."""
    import importlib.util
    report = kit.ext_report(importlib.util.find_spec('mmcv._ext').origin)
    assert report['size'] > 10e6
    cuda = report['fatbin'] > 0
    if cuda:
        assert report['archs'] and report['launchers'] > 50
    else:
        assert (report['archs'], report['launchers']) == ([], 0)
    assert kit.main(['ext']) == 0
    assert kit.main(['ext', '--require-cuda']) == (0 if cuda else 1)
    assert ('architectures none' in capsys.readouterr().out) is not cuda
