"""tools/misc/golden_snapshot.py: the no-behaviour-change check of refactors."""
import pickle

import pytest
import torch

from tests.helpers import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/misc/golden_snapshot.py')


def test_identical_code_gives_no_difference_and_a_change_is_caught(tool, tmp_path, capsys):
    for name in ('before', 'after'):
        tool.main(['write', str(tmp_path / name), '--part', 'classifiers',
                   '--names', 'tinynet_e', 'ghostnet_0.5x'])
    assert tool.main(['compare', str(tmp_path / 'before'), str(tmp_path / 'after')]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == 'DIFFERENCES: 0'

    path = tmp_path / 'after' / 'classifiers.pkl'
    snapshot = pickle.loads(path.read_bytes())
    snapshot['tinynet_e']['outputs'][0] = snapshot['tinynet_e']['outputs'][0] + 1e-6
    key = next(iter(snapshot['ghostnet_0.5x']['digest']))
    snapshot['ghostnet_0.5x']['digest'][key] = (0, )
    path.write_bytes(pickle.dumps(snapshot))
    assert tool.main(['compare', str(tmp_path / 'before'), str(tmp_path / 'after')]) == 1
    out = capsys.readouterr().out
    assert 'classifiers tinynet_e: output 0: max abs difference' in out
    assert f'classifiers ghostnet_0.5x: seeded init differs: {key}' in out
    assert out.splitlines()[-1] == 'DIFFERENCES: 2'


def test_config_differences_name_the_key(tool):
    before = dict(model=dict(backbone=dict(arch='s', out_indices=(0, 1))), lr=1)
    after = dict(model=dict(backbone=dict(arch='m', out_indices=(0, 1))), extra=2)
    assert tool.differences(before, after) == [
        '.extra: added 2', ".lr: removed 1", ".model.backbone.arch: 's' -> 'm'"]
    assert tool.differences(before, before) == []


def test_rename_pairs_are_checked(tool, capsys):
    with pytest.raises(SystemExit):
        tool.main(['compare', 'a', 'b', '--rename', 'old.py'])
    assert '--rename takes OLD=NEW pairs' in capsys.readouterr().err


def test_outputs_are_seeded(tool):
    torch.manual_seed(123)
    assert torch.equal(tool.fixed_input(5, 7), tool.fixed_input(5, 7))
