"""tools/analysis_tools/plot_curves.py and mmghost/utils/curves.py: curves of any run's scalar
log."""
import json

import pytest

from tests.helpers import load_tool

TRAIN = [dict(lr=0.01, loss=2.0 - i / 10, loss_cls=1.5 - i / 10, loss_bbox=0.5, time=0.3,
              epoch=1 + i // 2, iter=10 * (i + 1)) for i in range(4)]
VAL = [{'coco/bbox_mAP': 0.1 * step, 'coco/bbox_mAP_50': 0.2 * step, 'step': step}
       for step in (1, 2)]


def write_run(work_dir, timestamp='20261130_101010', records=TRAIN + VAL):
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))
    return folder / 'scalars.json'


def test_default_keys_are_losses_and_metrics(tmp_path, capsys):
    write_run(tmp_path, '20261130_090000', TRAIN[:1])  # an older run: not read
    scalars = write_run(tmp_path)
    out = load_tool('tools/analysis_tools/plot_curves.py').main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert out == str(tmp_path / 'curves.png') and (tmp_path / 'curves.png').stat().st_size
    assert f'read {scalars}' in printed
    for key in ['loss', 'loss_bbox', 'loss_cls', 'coco/bbox_mAP', 'coco/bbox_mAP_50']:
        assert f'  {key}: ' in printed
    assert '  lr:' not in printed and '  time:' not in printed
    assert '  loss: 4 points, last 1.7 at 40' in printed
    assert '  coco/bbox_mAP: 2 points, last 0.2 at 2' in printed


def test_keys_by_name_or_prefix(tmp_path, capsys):
    write_run(tmp_path)
    out = tmp_path / 'lr.png'
    load_tool('tools/analysis_tools/plot_curves.py').main(
        [str(tmp_path), '--keys', 'lr', 'coco/', '--out', str(out)])
    printed = capsys.readouterr().out
    assert out.stat().st_size and '  lr: 4 points' in printed and '  coco/bbox_mAP_50' in printed
    assert '  loss' not in printed


def test_clear_errors(tmp_path):
    tool = load_tool('tools/analysis_tools/plot_curves.py')
    with pytest.raises(SystemExit, match='No scalar log under'):
        tool.main([str(tmp_path)])
    write_run(tmp_path)
    with pytest.raises(SystemExit, match=r"'mIoU' is not in this run; its keys: loss, "):
        tool.main([str(tmp_path), '--keys', 'mIoU'])
