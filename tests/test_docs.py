"""The docs a newcomer reads: README.md, docs/*.md and configs/<family>/README.md. Every
relative link and every repository path they name exists, and nothing points outside the
repository."""
import glob
import os.path as osp
import re

import pytest

from tests.helpers import REPO_ROOT

PAGES = sorted(osp.relpath(p, REPO_ROOT) for p in [
    osp.join(REPO_ROOT, 'README.md'), *glob.glob(osp.join(REPO_ROOT, 'docs', '*.md')),
    *glob.glob(osp.join(REPO_ROOT, 'configs', '*', 'README.md'))])
LINK = re.compile(r'\]\(([^)\s]+)\)')
# repository paths named in text or commands: configs, tools, benchmarks, docs
REPO_PATH = re.compile(r'(?<![\w/.])((?:configs|tools|benchmarks|docs)/[\w./-]+\.(?:py|md|sh|yml))')


def read(page):
    with open(osp.join(REPO_ROOT, page)) as f:
        return f.read()


def test_the_docs_exist():
    assert {'README.md', 'docs/get_started.md', 'docs/weights.md', 'docs/configs.md',
            'docs/benchmarks.md', 'docs/deployment.md', 'docs/troubleshooting.md',
            'docs/own_data.md', 'docs/adding_a_family.md'} <= set(PAGES)
    assert len([p for p in PAGES if p.startswith('configs/')]) == len(
        glob.glob(osp.join(REPO_ROOT, 'configs', '*', 'metafile.yml')))


@pytest.mark.parametrize('page', PAGES)
def test_relative_links_resolve(page):
    missing = []
    for target in LINK.findall(read(page)):
        if re.match(r'[a-z]+://|mailto:|#', target):
            continue
        path = target.split('#')[0]
        if not osp.exists(osp.join(REPO_ROOT, osp.dirname(page), path)):
            missing.append(target)
    assert not missing, f'{page}: links to nothing: {missing}'


@pytest.mark.parametrize('page', PAGES)
def test_named_repository_paths_exist_and_nothing_points_outside(page):
    text = read(page)
    assert '../shared' not in text, f'{page} points outside the repository'
    # an example of a file to write is marked so
    named = [p for line in text.splitlines() if '(not in the repo)' not in line
             for p in REPO_PATH.findall(line)]
    missing = sorted({p for p in named if not osp.exists(osp.join(REPO_ROOT, p))})
    assert not missing, f'{page} names files that do not exist: {missing}'


def test_readme_backbone_swap_into_mmdets_own_config_builds(tmp_path):
    """The README's example: Pyramid ViG-S in mmdet's own RetinaNet config (``mmdet::``)."""
    from mmengine.config import Config

    from tests.helpers import assert_heads_fit_backbone, build_model
    blocks = re.findall(r'```python\n(.*?)```', read('README.md'), re.S)
    snippet = next(b for b in blocks if b.startswith("_base_ = 'mmdet::"))
    path = tmp_path / 'swap.py'
    path.write_text(snippet)
    cfg = Config.fromfile(str(path))
    cfg.model.backbone.init_cfg = None  # the test never downloads
    model = build_model(cfg)
    assert type(model.backbone).__name__ == 'PyramidViG'
    assert_heads_fit_backbone(cfg, model)
