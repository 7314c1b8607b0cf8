"""tools/misc/build_wheel.py (tools/env.sh's mmcv build) on a small stand-in build: progress
lines, an interrupted build resumed where it stopped, the wheel moved to the wheelhouse."""
import os

from tests.helpers import load_tool

# A stand-in for mmcv's setup.py: "compiles" 4 objects into build/objects/, skipping those that
# exist (as ninja does), printing ninja's [n/N] lines; STANDIN_FAIL_AT=i stops before object i.
SETUP = '''
import os, sys, time
from setuptools import setup
from setuptools.command.build_py import build_py


class Compile(build_py):
    def run(self):
        os.makedirs('build/objects', exist_ok=True)
        todo = [i for i in range(4) if not os.path.exists(f'build/objects/{i}.o')]
        for n, i in enumerate(todo, 1):
            if os.environ.get('STANDIN_FAIL_AT') == str(i):
                sys.exit('interrupted')
            time.sleep(0.4)
            open(f'build/objects/{i}.o', 'w').close()
            print(f'[{n}/{len(todo)}] c++ -c op{i}.cpp -o build/objects/{i}.o', flush=True)
        super().run()


setup(name='standin', version='1.0', py_modules=['standin'], cmdclass={'build_py': Compile})
'''


def test_progress_resume_and_wheelhouse(tmp_path, monkeypatch, capsys):
    source = tmp_path / 'build' / 'standin-1.0'
    source.mkdir(parents=True)
    (source / 'setup.py').write_text(SETUP)
    (source / 'standin.py').write_text('')
    wheelhouse = tmp_path / 'wheelhouse'
    tool = load_tool('tools/misc/build_wheel.py')
    args = [str(source), str(wheelhouse), '--name', 'standin', '--interval', '0.3',
            '--estimate-minutes', '0.1']

    monkeypatch.setenv('STANDIN_FAIL_AT', '2')
    assert tool.main(args) != 0
    err = capsys.readouterr().err
    assert 'standin build failed' in err and 'compiled objects are kept' in err
    assert sorted(os.listdir(source / 'build' / 'objects')) == ['0.o', '1.o']
    assert not wheelhouse.exists() or not os.listdir(wheelhouse)

    monkeypatch.delenv('STANDIN_FAIL_AT')
    assert tool.main(args) == 0
    err = capsys.readouterr().err
    log = (tmp_path / 'build' / 'build.log').read_text()
    assert '[2/2] c++ -c op3.cpp' in log and 'op0.cpp' not in log  # resumed: 2 left of 4
    assert 'objects compiled' in err and 'left' in err and 'standin built in' in err
    assert [w.startswith('standin-1.0-') for w in os.listdir(wheelhouse)] == [True]


def test_progress_line():
    tool = load_tool('tools/misc/build_wheel.py')
    assert tool.progress_line('mmcv', 0, 0, 30, 720) == (
        '[setup_env] mmcv build: preparing, 30s so far (a whole build took about 12m 00s here)')
    # the first objects: the measured estimate; then this run's rate
    assert tool.progress_line('mmcv', 1, 77, 60, 720).endswith('1m 00s so far, about 11m 00s left')
    assert tool.progress_line('mmcv', 22, 77, 220, 720).endswith('3m 40s so far, about 9m 10s left')
