"""tools/misc/check_official.py: the official-equality check of the docs, on the repo's own
reference kit (tests/data/reference)."""
import pytest

from tests.helpers import load_tool

pytestmark = pytest.mark.cpu_matrix


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/misc/check_official.py')


def test_pyramid_model_taps_equal_official(tool, capsys):
    assert tool.main(['ghostnet_1.0x']) == 0
    assert capsys.readouterr().out.splitlines()[-1] == 'ghostnet_1.0x: 4/4 taps equal to official'


def test_isotropic_model_final_tokens_equal_official(tool, capsys):
    assert tool.main(['augvit_small', '--f64']) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == 'augvit_small: 1/1 taps equal to official (float64)'


def test_a_wrong_weight_is_caught(tool, capsys, monkeypatch):
    kit = tool.reference_kit()
    official = kit.deterministic_state_dict

    def perturbed(manifest):
        state = official(manifest)
        key = next(k for k in state if k.endswith('weight') and state[k].dim() == 4)
        state[key] = state[key] * 1.01
        return state

    monkeypatch.setattr(kit, 'deterministic_state_dict', perturbed)
    monkeypatch.setattr(tool, 'reference_kit', lambda: kit)
    assert tool.main(['ghostnet_1.0x']) == 1
    assert 'differ: ' in capsys.readouterr().out.splitlines()[-1]


def test_unknown_variant_names_the_choices(tool, capsys):
    with pytest.raises(SystemExit):
        tool.main(['ghostnet_9x'])
    assert "variant 'ghostnet_9x' is not in the reference kit; choose from" in (
        capsys.readouterr().err)
