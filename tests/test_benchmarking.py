"""mmghost.utils.profiling, the helpers of benchmarks/*.py and tools/analysis_tools/benchmark.py."""
import argparse
import importlib.util
import os
import sys
import textwrap

import pytest
import torch
from torch import nn

from mmghost.utils.profiling import (add_shape_argument, add_timing_arguments, compare_throughput,
                               cpu_name, environment_line, format_shape, measure_peak_rss,
                               parse_shape, print_table, profile_forward, randomize_batchnorm_,
                               run_in_child, time_calls)


@pytest.mark.parametrize('values,shape', [
    ([800], (800, 800)), ([800, 1333], (800, 1333)), (224, (224, 224)), (('64', '96'), (64, 96))])
def test_parse_shape_reads_h_w_or_a_square(values, shape):
    assert parse_shape(values) == shape


@pytest.mark.parametrize('values', [[], [1, 2, 3], [0, 5], [5, -1]])
def test_parse_shape_rejects_other_counts_and_sides(values):
    with pytest.raises(ValueError):
        parse_shape(values)


def test_format_shape_is_height_x_width():
    assert format_shape((800, 1344)) == '800x1344'
    assert format_shape(torch.Size([1, 3, 800, 1344])) == '1x3x800x1344'


def test_shape_option_one_size():
    parser = argparse.ArgumentParser()
    add_shape_argument(parser, default=(800, 1216))
    assert parser.parse_args([]).shape == (800, 1216)
    assert parser.parse_args(['--shape', '64', '96']).shape == (64, 96)
    assert parser.parse_args(['--shape', '64']).shape == (64, 64)
    assert '--shape H [W]' in parser.format_usage()
    for bad in (['--shape', '1', '2', '3'], ['--shape', '0'], ['--shape']):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_shape_option_several_sizes_replace_the_default():
    parser = argparse.ArgumentParser()
    default = [(320, 512), (480, 800)]
    add_shape_argument(parser, default=default, multiple=True)
    assert parser.parse_args([]).shapes == default
    assert parser.parse_args(['--shape', '64', '96', '--shape', '32']).shapes == [(64, 96),
                                                                                  (32, 32)]
    assert default == [(320, 512), (480, 800)]  # not appended to


def test_timing_options_validate():
    parser = argparse.ArgumentParser()
    add_timing_arguments(parser, repeats=7, warmup=2)
    args = parser.parse_args([])
    assert (args.repeats, args.warmup, args.threads) == (7, 2, torch.get_num_threads())
    assert parser.parse_args(['--warmup', '0', '--repeats', '1']).warmup == 0
    for bad in (['--repeats', '0'], ['--warmup', '-1'], ['--threads', '0'], ['--repeats', 'x']):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def _batchnorm_model():
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.BatchNorm2d(4, affine=False), nn.Flatten(), nn.Linear(16, 5),
                         nn.BatchNorm1d(5))


def test_randomize_batchnorm_is_seeded():
    torch.manual_seed(0)
    model = _batchnorm_model()
    fresh = {key: value.clone() for key, value in model.state_dict().items()}
    assert randomize_batchnorm_(model, seed=3) == 3
    state = model.state_dict()
    for key in ('1.weight', '1.bias', '1.running_mean', '1.running_var', '3.running_mean',
                '3.running_var', '6.weight', '6.running_var'):
        assert not torch.equal(state[key], fresh[key]), key
    assert torch.equal(state['0.weight'], fresh['0.weight'])  # the conv is left alone
    assert all(state[f'{i}.running_var'].min() >= 0.5 for i in (1, 3, 6))

    again = _batchnorm_model()
    again.load_state_dict(fresh)
    randomize_batchnorm_(again, seed=3)
    assert all(torch.equal(value, again.state_dict()[key]) for key, value in state.items())
    randomize_batchnorm_(again, seed=4)
    assert not torch.equal(again.state_dict()['1.weight'], state['1.weight'])

    # the first draw is the first BatchNorm's weight: 1 + 0.2 * N(0, 1) from the seed
    expected = 1 + 0.2 * torch.randn(4, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(state['1.weight'], expected)


def test_cpu_name_and_environment_line():
    name = cpu_name()
    assert isinstance(name, str) and name.strip()
    line = environment_line()
    assert line.startswith(f'torch {torch.__version__}, ') and name in line


def test_time_calls_and_compare_throughput_count_calls():
    calls = []
    times = time_calls(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and len(times) == 3 and min(times) >= 0

    counts = {'a': 0, 'b': 0}

    def run(name):
        counts[name] += 1
        assert not torch.is_grad_enabled()
    speed = compare_throughput({'a': lambda: run('a'), 'b': lambda: run('b')}, batch_size=4,
                               repeats=3, warmup=1)
    assert counts == {'a': 4, 'b': 4} and set(speed) == {'a', 'b'}
    assert min(speed.values()) > 0


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc')
def test_measure_peak_rss_sees_an_allocation():
    result, before, peak = measure_peak_rss(lambda: float(torch.ones(16 * 2**20).sum()))
    assert result == 16 * 2**20
    assert peak - before >= 60  # a 64 MiB tensor, written to


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc')
def test_profile_forward():
    model = nn.Conv2d(3, 2, 3, stride=2, padding=1)
    result = profile_forward(model, torch.randn(2, 3, 8, 10), repeats=2)
    assert result['shapes'] == [[2, 2, 4, 5]] and len(result['times_s']) == 2
    assert result['forward_peak_mib'] == result['peak_rss_mib'] - result['rss_before_mib']


def test_print_table(capsys):
    print_table(('a', 'long title'), [(1, 'x'), ('wide cell', 2.5)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == lines[2] == lines[-1] == '---------  ----------'
    assert lines[1].rstrip() == 'a          long title'
    assert lines[4].rstrip() == 'wide cell  2.5'


@pytest.fixture
def probe_script(tmp_path):
    """A script loaded by path, as the benchmarks run, with ``__module__ == '__main__'``; its
    functions import a module next to it, and its ``__main__`` block must not run in a child."""
    (tmp_path / 'sibling_helper.py').write_text('VALUE = 41\n')
    (tmp_path / 'probe_script.py').write_text(textwrap.dedent("""
        import os
        import torch

        def probe(items, offset):
            from sibling_helper import VALUE
            return dict(pid=os.getpid(), threads=torch.get_num_threads(),
                        total=sum(items) + offset + VALUE)

        def fails(message):
            raise ValueError(message)

        if __name__ == '__main__':
            raise SystemExit('the __main__ block ran')
    """))
    spec = importlib.util.spec_from_file_location('probe_script', tmp_path / 'probe_script.py')
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.probe.__module__ = script.fails.__module__ = '__main__'
    return script


def test_run_in_child_runs_a_script_function_in_a_fresh_process(probe_script):
    result = run_in_child(probe_script.probe, threads=1, items=[1, 2], offset=3)
    assert result['pid'] != os.getpid() and result['threads'] == 1 and result['total'] == 47


def test_run_in_child_raises_when_the_child_fails(probe_script, capfd):
    with pytest.raises(RuntimeError, match='fails'):
        run_in_child(probe_script.fails, message='on purpose')
    assert 'ValueError: on purpose' in capfd.readouterr().err


def test_run_in_child_imports_a_package_function_by_name():
    import json
    assert run_in_child(json.dumps, obj={'a': [1, 2]}, sort_keys=True) == '{"a": [1, 2]}'
