"""The committed model zoo (configs/<family>/metafile.yml, the README tables, the recipe table
of docs/configs.md) equals what the code gives (``tools/analysis_tools/model_zoo.py``):
parameters exactly for every config, FLOPs recomputed for a sample, weights, recipes and reported
figures from the configs and the tables in code. Latency and memory are recorded by the tool and
never compared."""
import os.path as osp

import pytest

from mmghost.weights.official import OFFICIAL_MODELS
from tests.helpers import load_tool, zoo

FOLDERS = zoo.families()
CONFIGS = zoo.config_files('det_seg') + zoo.config_files('cls')
# one of each kind (classification, detection at 1333x800, segmentation at 512x512), small
FLOPS_SAMPLE = ['configs/ghostnet/ghostnet_0.5x_in1k.py',
                'configs/ghostnet/retinanet_ghostnet-1.0x_fpn_1x_coco.py',
                'configs/tinynet/upernet_tinynet-a_8xb2-160k_ade20k-512x512.py']
RECOMPUTED = ('FLOPs', 'Input Shape', *zoo.MEASURED_KEYS)


@pytest.fixture(scope='module')
def committed():
    """Config path -> its committed metafile entry."""
    return {m['Config']: m for folder in FOLDERS for m in zoo.read_metafile(folder)['Models']}


def test_every_config_has_exactly_one_entry_in_its_family_metafile():
    assert FOLDERS == sorted({c.folder for c in zoo.COLLECTIONS})
    for folder in FOLDERS:
        data = zoo.read_metafile(folder)
        assert [c['Name'] for c in data['Collections']] == [
            c.name for c in zoo.COLLECTIONS if c.folder == folder]
        configs = [m['Config'] for m in data['Models']]
        assert configs == zoo.config_files('det_seg', folder) + zoo.config_files('cls', folder)
        for collection in data['Collections']:
            assert collection['Metadata']['FLOPs Convention'] == zoo.FLOPS_CONVENTION
            assert osp.exists(osp.join(zoo.REPO_ROOT, collection['README']))
            assert osp.exists(osp.join(zoo.REPO_ROOT, collection['Code']['URL']))


@pytest.mark.parametrize('path', CONFIGS)
def test_metafile_entry_is_what_the_code_gives(path, committed):
    """Exact parameters (model and backbone), collection, weights, reported figures."""
    entry = committed[path]
    metadata = {k: v for k, v in entry['Metadata'].items() if k not in RECOMPUTED}
    assert dict(entry, Metadata=metadata) == zoo.model_entry(path, flops=False)
    assert {'FLOPs', 'Input Shape'} <= set(entry['Metadata'])


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('path', FLOPS_SAMPLE)
def test_flops_are_recomputed_equal(path, committed):
    cfg, task, model = zoo.load(path)
    flops, shape = zoo.count_flops(model, task, zoo.zoo_input(cfg, task))
    assert (flops, shape) == (committed[path]['Metadata']['FLOPs'],
                              committed[path]['Metadata']['Input Shape'])


def test_zoo_inputs_follow_the_convention(committed):
    for path, entry in committed.items():
        shape = entry['Metadata']['Input Shape']
        data = entry['Metadata']['Training Data']
        if data == 'COCO':  # 1333x800, padded to a multiple of 32
            assert shape == [1, 3, 800, 1344], path
        elif data == 'ADE20K':
            assert shape == [1, 3, 512, 512], path


def test_weights_and_reported_figures_are_labelled(committed):
    for path, entry in committed.items():
        for result in entry['Results']:
            assert 'not reproduced here' in result['Reported By'], path
        if entry['Metadata']['Training Data'] == 'ImageNet-1k':
            official = OFFICIAL_MODELS[entry['Name'][:-len('_in1k')]]
            assert entry.get('Weights') == (official.weights and official.weights.url), path


@pytest.mark.parametrize('readme', ['README.md', 'docs/configs.md',
                                    *[f'configs/{f}/README.md' for f in FOLDERS]])
def test_readme_tables_are_generated_from_the_metafiles(readme):
    with open(osp.join(zoo.REPO_ROOT, readme)) as f:
        text = f.read()
    metafiles = {f: zoo.read_metafile(f) for f in FOLDERS}
    if readme == 'README.md':
        generated = zoo.index_table(metafiles)
    elif readme == 'docs/configs.md':
        generated = zoo.recipe_table(metafiles, 'docs')
    else:
        folder = readme.split('/')[1]
        generated = zoo.family_tables(folder, zoo.read_metafile(folder))
    assert zoo.replace_generated(text, generated, readme) == text, (
        f'{readme}: run python tools/analysis_tools/model_zoo.py --tables-only')


@pytest.mark.parametrize('page', ['README.md', 'docs/configs.md'])
def test_model_zoo_tool_check_mode_finds_stale_tables(page, tmp_path, monkeypatch):
    """``--tables-only --check`` passes on the committed tree and flags an edited table."""
    tool = load_tool('tools/analysis_tools/model_zoo.py')
    assert tool.main(['--tables-only', '--check']) == 0
    (tmp_path / 'docs').mkdir()
    for name in ('README.md', 'docs/configs.md'):
        with open(osp.join(zoo.REPO_ROOT, name)) as f:
            text = f.read()
        (tmp_path / name).write_text(text.replace('| [vig]', '| [edited]') if name == page
                                     else text)
    monkeypatch.setattr(zoo, 'REPO_ROOT', str(tmp_path))
    assert tool.main(['--tables-only', '--check']) == 1


def test_speed_fields_follow_mmdets_inference_time_schema():
    """What ``--speed cpu`` records (the values are machine figures, not checked)."""
    measured = zoo.measure_speed('configs/tinynet/tinynet_e_in1k.py', warmup=0, repeats=1)
    assert set(measured) == set(zoo.MEASURED_KEYS)
    [latency] = measured['inference time (ms/im)']
    assert set(latency) == {'value', 'hardware', 'backend', 'batch size', 'mode', 'resolution'}
    assert latency['value'] > 0 and latency['resolution'] == '106x106'
    assert latency['batch size'] == 1 and latency['mode'] == 'FP32'
