"""mmghost: Huawei Noah's efficient backbones as OpenMMLab (mmdet / mmseg / mmpretrain) plugins."""
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
# configs/ and tools/ travel inside a built package, in mmghost/.mim/ as in mmdet, so that an
# installed mmghost finds them (mmghost.config_path); an editable install reads the checkout's.
MIM_PARTS = ('configs', 'tools')
BUILD_COMMANDS = ('bdist_wheel', 'build', 'build_py', 'install', 'sdist')


def copy_mim_parts():
    mim = osp.join(ROOT, 'mmghost', '.mim')
    for part in MIM_PARTS:
        target = osp.join(mim, part)
        if osp.lexists(target):
            shutil.rmtree(target)
        shutil.copytree(osp.join(ROOT, part), target,
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


if any(command in sys.argv for command in BUILD_COMMANDS):
    copy_mim_parts()

setup(
    name='mmghost',
    version='0.1.0',
    description="Huawei Noah's efficient vision backbones for OpenMMLab detection, "
    'segmentation and classification',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmghost', 'mmghost.*']),
    package_data={'mmghost': ['weights/weights_sha256.json', '.mim/configs/**/*',
                            '.mim/tools/**/*']},
    install_requires=[
        # torch and torchvision must be a matching pair. Tested: 2.14.1 / 0.29.1 (tools/env.sh,
        # the whole suite) and 2.11.0 / 0.26.0 (the lent GPU machines' torch; a CPU subset,
        # docs/get_started.md "GPU").
        'torch>=2.11,<2.15',
        'torchvision>=0.26,<0.30',
        'mmengine==0.10.7',
        # mmdet 3.3.0 and mmsegmentation 1.2.2 refuse mmcv >= 2.2; 2.1.0 must be built with ops.
        'mmcv==2.1.0',
        'mmdet==3.3.0',
        'mmsegmentation==1.2.2',
        'mmpretrain==1.2.0',
        'numpy',
        'pycocotools',
        'matplotlib',
        # mmseg 1.2.2 lists these as extras, yet `import mmseg.models` needs them.
        'ftfy',
        'regex',
        # timm's hub weights (model.safetensors), read without pickle
        'safetensors',
    ],
    extras_require={
        # timm: equality tests; onnx / onnxruntime: the export tool's --verify and its tests;
        # pytest-xdist: the suite runs in two worker processes (pytest.ini)
        'tests': ['pytest', 'pytest-xdist==3.8.0', 'timm==1.0.31', 'onnx==1.23.2',
                  'onnxruntime==1.31.1'],
        'deploy': ['onnx==1.23.2', 'onnxruntime==1.31.1'],
    },
)
