"""Maintainer tool: downloads every released checkpoint of the model table, checks that it
converts strictly, and records its sha256 (needs network; users never run it).

    python tools/misc/check_weights.py                    # every model with released weights
    python tools/misc/check_weights.py pvig_s_224_gelu    # some of them
    python tools/misc/check_weights.py --dry-run          # check, but leave the record alone

Each URL goes through mmghost's loader (the torch hub cache, a download with a timeout, safe
reading). The file must load strictly into ``official_backbone_cfg(name)`` and, with its upstream
head, into ``official_classifier_cfg(name)``. Then its sha256 is written to
``mmghost/weights/weights_sha256.json``, which every later load verifies. A file whose hash
differs from the one already recorded is refused, not re-recorded: delete the entry on purpose if
upstream replaced the file.
"""
import argparse
import json
import os.path as osp
import sys

try:
    import mmghost
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    import mmghost
from mmghost.weights.checkpoint import cached_download, file_sha256
from mmghost.weights.official import (CHECKSUMS_FILE, OFFICIAL_MODELS, load_official_classifier,
                              official_backbone_cfg, official_classifier_cfg, read_checksums)


def released_models():
    return sorted(name for name, entry in OFFICIAL_MODELS.items() if entry.weights is not None)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('models', nargs='*', metavar='MODEL',
                        help='official model names (default: all with released weights: '
                        + ', '.join(released_models()) + ')')
    parser.add_argument('--dry-run', action='store_true',
                        help=f'do not write {osp.relpath(CHECKSUMS_FILE)}')
    parser.add_argument('--checksums', default=CHECKSUMS_FILE, help='the record to update')
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in released_models()]
    if unknown:
        parser.error(f'no released weights for {unknown}; choose from {released_models()}')
    return args


def check(name):
    """Downloads (or finds in the cache) the weights of ``name`` and loads them strictly into
    the backbone and the classifier. Returns ``(path, sha256)``."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as CLS_MODELS
    url = OFFICIAL_MODELS[name].weights.url
    path = cached_download(url)
    backbone = mmghost.MODELS.build(official_backbone_cfg(name))
    backbone.load_pretrained(url)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        classifier = CLS_MODELS.build(official_classifier_cfg(name))
    load_official_classifier(classifier, url, name)
    return path, file_sha256(path)


def main(argv=None):
    args = parse_args(argv)
    import mmpretrain.models  # noqa: F401  (registers the heads of the classifiers)
    checksums = read_checksums(args.checksums)
    failed = []
    for name in args.models or released_models():
        url = OFFICIAL_MODELS[name].weights.url
        try:
            path, sha256 = check(name)
        except Exception as error:  # report every model, then fail
            failed.append(name)
            print(f'FAIL {name}: {url}\n     {type(error).__name__}: {error}')
            continue
        print(f'ok   {name}: {osp.getsize(path) / 2**20:.1f} MiB sha256 {sha256}')
        checksums[url] = sha256
    if not args.dry_run:
        with open(args.checksums, 'w') as f:
            json.dump(dict(sorted(checksums.items())), f, indent=2)
            f.write('\n')
        print(f'recorded in {args.checksums}')
    if failed:
        sys.exit(f'{len(failed)} failed: {", ".join(failed)}')


if __name__ == '__main__':
    main()
