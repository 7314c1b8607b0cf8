"""A built wheel carries configs/ and tools/ (mmghost/.mim, as mmdet), and an installed mmghost
finds its own configs (mmghost.config_path). Built offline, from a copy of the checkout."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import pytest

import mmghost
from tests.helpers import REPO_ROOT

SKIP = shutil.ignore_patterns('.git', 'work_dirs', 'data', 'build', 'dist', '*.egg-info', '.mim',
                              '__pycache__', '*.pyc', '.pytest_cache')


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    root = tmp_path_factory.mktemp('packaging')
    source = root / 'src'
    shutil.copytree(REPO_ROOT, source, ignore=SKIP)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(source), '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(root / 'dist')], check=True)
    [built] = os.listdir(root / 'dist')
    return root, root / 'dist' / built


def test_wheel_carries_configs_and_tools(wheel):
    _, path = wheel
    names = set(zipfile.ZipFile(path).namelist())
    for name in ['configs/retinanet_pvig_s_coco.py', 'configs/vig/metafile.yml',
                 'configs/_base_/recipes/retinanet_fpn_1x_coco.py',
                 'configs/demo/retinanet_pvig-s_fpn_demo.py',
                 'tools/train.py', 'tools/test.py', 'tools/deployment/pytorch2onnx.py',
                 'tools/analysis_tools/plot_curves.py']:
        assert f'mmghost/.mim/{name}' in names, name
    configs = {n for n in names if n.startswith('mmghost/.mim/configs/') and n.endswith('.py')}
    repo_configs = {osp.relpath(osp.join(d, f), REPO_ROOT)
                    for d, _, files in os.walk(osp.join(REPO_ROOT, 'configs')) for f in files
                    if f.endswith('.py')}
    assert {n[len('mmghost/.mim/'):] for n in configs} == repo_configs


def test_installed_package_finds_its_configs(wheel):
    root, path = wheel
    target = root / 'site'
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target',
                    str(target), str(path)], check=True)
    script = ('import mmghost\n'
              'from mmengine.config import Config\n'
              'path = mmghost.config_path("retinanet_pvig_s_coco.py")\n'
              'cfg = Config.fromfile(path)\n'
              'print(mmghost.__file__, path, cfg.model.backbone.type, '
              'mmghost.tool_path("train.py"), sep="\\n")\n')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                            cwd=root, env=dict(os.environ, PYTHONPATH=str(target)))
    assert result.returncode == 0, result.stderr
    package, config, backbone, tool = result.stdout.split()
    mim = osp.join(str(target), 'mmghost', '.mim')
    assert package.startswith(str(target))
    assert config == osp.join(mim, 'configs', 'retinanet_pvig_s_coco.py')
    assert backbone == 'mmghost.PyramidViG' and tool == osp.join(mim, 'tools', 'train.py')


def test_config_path_in_the_checkout():
    assert mmghost.config_path('retinanet_pvig_s_coco.py') == osp.join(
        REPO_ROOT, 'configs', 'retinanet_pvig_s_coco.py')
    assert mmghost.config_path('vig/retinanet_pvig-ti_fpn_1x_coco.py').endswith(
        'configs/vig/retinanet_pvig-ti_fpn_1x_coco.py')
    with pytest.raises(FileNotFoundError, match="No config 'nope.py'"):
        mmghost.config_path('nope.py')
    with pytest.raises(ValueError, match=r'names \d+ files'):
        mmghost.config_path('README.md')  # configs/<family>/README.md: many
