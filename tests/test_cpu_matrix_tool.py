"""tools/misc/test_cpu_matrix.py: the plan of runs, the skipped instruction sets, the report."""
import pytest

from tests.helpers import load_tool


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/misc/test_cpu_matrix.py')


AVX2_ONLY = {'sse4_1', 'sse4_2', 'avx', 'avx2', 'fma'}  # an AMD EPYC (Zen 3)


def test_a_profile_the_cpu_lacks_is_skipped_and_named(tool):
    runs, skipped = tool.plan(['default', 'avx2', 'avx512'], [1, 2], AVX2_ONLY)
    assert [(r.profile, r.threads) for r in runs] == [
        ('default', 1), ('default', 2), ('avx2', 1), ('avx2', 2)]
    assert skipped == {'avx512': ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq']}
    default_1 = runs[0].env
    assert default_1['ATEN_CPU_CAPABILITY'] == 'default'
    assert default_1['ONEDNN_MAX_CPU_ISA'] == 'SSE41'
    assert default_1['OMP_NUM_THREADS'] == default_1['MKL_NUM_THREADS'] == '1'
    avx512 = AVX2_ONLY | {'avx512f', 'avx512bw', 'avx512vl', 'avx512dq'}
    runs, skipped = tool.plan(['avx512'], [2], avx512)
    assert not skipped and runs[0].env['ONEDNN_MAX_CPU_ISA'] == 'AVX512_CORE'


def test_cpu_flags_come_from_cpuinfo(tool, tmp_path):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nflags\t\t: fpu sse4_2 avx2\n\nflags\t\t: other\n')
    assert tool.cpu_flags(str(cpuinfo)) == {'fpu', 'sse4_2', 'avx2'}
    cpuinfo.write_text('processor\t: 0\n')
    with pytest.raises(RuntimeError, match='no "flags" line'):
        tool.cpu_flags(str(cpuinfo))


def test_junit_report_is_counted(tool, tmp_path):
    report = tmp_path / 'r.xml'
    report.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="tests.test_a" name="test_ok"/>'
        '<testcase classname="tests.test_a" name="test_bad[x]"><failure message="m"/></testcase>'
        '<testcase classname="tests.test_b" name="test_err"><error message="e"/></testcase>'
        '<testcase classname="tests.test_b" name="test_skip"><skipped message="s"/></testcase>'
        '</testsuite></testsuites>')
    assert tool.junit_counts(str(report)) == (
        1, 2, 1, ['tests.test_a::test_bad[x]', 'tests.test_b::test_err'])


def test_arguments_are_checked(tool, capsys):
    args = tool.parse_args(['--profiles', 'avx2', '--threads', '1', '--', '-k', 'resume'])
    assert (args.profiles, args.threads, args.pytest_args) == (['avx2'], [1], ['-k', 'resume'])
    for bad, message in ((['--profiles', 'sse'], "invalid choice: 'sse'"),
                         (['--threads', '0'], '--threads must be positive')):
        with pytest.raises(SystemExit):
            tool.parse_args(bad)
        assert message in capsys.readouterr().err
