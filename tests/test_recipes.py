"""Every det / seg config declares where its training recipe comes from (``recipe`` in the
config) and trains as that source says; a paper figure sits only beside a config that starts from
pretrained weights, or its row says that the config does not (docs/configs.md, "Training recipes
and their sources")."""
import os.path as osp

import pytest

from tests.helpers import zoo

DET_SEG = zoo.config_files('det_seg')
FAMILY_PAGES = {f: f'configs/{f}/README.md' for f in zoo.families()}


def read(path):
    with open(osp.join(zoo.REPO_ROOT, path)) as f:
        return f.read()


def rows_naming(text, name):
    """The markdown table rows of ``text`` that link the config ``name``."""
    return [line for line in text.splitlines()
            if line.startswith('|') and f'[{name}](' in line]


def test_every_det_seg_config_trains_as_its_declared_source():
    """Optimizer (all its arguments), parameter schedulers, total batch and schedule length of
    each config equal its stock source's (read from the installed mmdet / mmseg), or what its
    paper states."""
    mismatches = [line for path in DET_SEG for line in zoo.recipe_mismatches(path)]
    assert not mismatches, '\n'.join(mismatches)


def test_the_headline_follows_mmdets_pvt_recipe():
    """The recipe of the ViG paper's RetinaNet baseline, as the issue that named it asks."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(zoo.REPO_ROOT, zoo.HEADLINE))
    assert cfg.recipe.source == 'mmdet::pvt/retinanet_pvt-s_fpn_1x_coco.py'
    facts = zoo.training_facts(cfg, zoo.HEADLINE)
    assert facts['optimizer'] == dict(type='AdamW', lr=1e-4, weight_decay=1e-4)
    assert (facts['batch_size'], facts['batch_per_gpu'], facts['max_epochs']) == (16, 2, 12)


def test_a_config_that_departs_from_its_source_or_names_none_is_reported(tmp_path):
    changed = tmp_path / 'retinanet_changed.py'
    changed.write_text(f"_base_ = '{osp.join(zoo.REPO_ROOT, zoo.HEADLINE)}'\n"
                       'optim_wrapper = dict(optimizer=dict(weight_decay=0.05))\n')
    [line] = zoo.recipe_mismatches(str(changed))
    assert "optimizer is {'type': 'AdamW', 'lr': 0.0001, 'weight_decay': 0.05}" in line
    assert 'mmdet::pvt/retinanet_pvt-s_fpn_1x_coco.py says' in line
    paper = tmp_path / 'retinanet_paper.py'
    paper.write_text(f"_base_ = '{osp.join(zoo.REPO_ROOT, zoo.HEADLINE)}'\n"
                     "recipe = dict(_delete_=True, source='a paper', why='its recipe', "
                     'stated=dict(batch_per_gpu=4))\n')
    assert zoo.recipe_mismatches(str(paper)) == [
        f"{paper}: batch_per_gpu is 2, a paper says 4"]
    anonymous = tmp_path / 'retinanet_anonymous.py'
    anonymous.write_text(f"_base_ = '{osp.join(zoo.REPO_ROOT, zoo.HEADLINE)}'\nrecipe = None\n")
    assert zoo.recipe_mismatches(str(anonymous)) == [
        f'{anonymous}: declares no recipe = dict(source=..., why=...)']


@pytest.mark.parametrize('pretrained', [True, False])
def test_a_paper_figure_beside_random_weights_says_so(pretrained):
    entry = {'Results': [{'Dataset': 'COCO', 'Metrics': {'box AP': 42.0}}],
             'Metadata': {'Pretrained': 'https://x/y.pth' if pretrained else None}}
    text = zoo.paper_figure(entry)
    assert text.startswith('box AP 42.0 (COCO)')
    assert (zoo.RANDOM_INIT_NOTE in text) is not pretrained
    assert zoo.paper_figure(dict(entry, Results=[])) == 'no paper figure'


def test_every_row_with_a_paper_figure_is_reachable_or_says_it_is_not():
    """In the family pages and docs/configs.md: every row that shows a paper figure of a config
    that starts from random weights carries the note (PyramidTNT: no downloadable weights)."""
    pages = {p: read(p) for p in [*FAMILY_PAGES.values(), 'docs/configs.md']}
    random_with_figure = 0
    for folder in zoo.families():
        for entry in zoo.read_metafile(folder)['Models']:
            if not entry['Results'] or entry['Metadata']['Training Data'] == 'ImageNet-1k':
                continue
            assert entry['Config'] in zoo.REPORTED
            figure = zoo.paper_figure(entry)
            if not entry['Metadata'].get('Pretrained'):
                assert zoo.RANDOM_INIT_NOTE in figure
                random_with_figure += 1
            for page in (FAMILY_PAGES[folder], 'docs/configs.md'):
                rows = rows_naming(pages[page], entry['Name'])
                assert rows and all(figure in row for row in rows), (page, entry['Name'])
    assert random_with_figure == 1  # retinanet_ptnt-s_fpn_1x_coco
