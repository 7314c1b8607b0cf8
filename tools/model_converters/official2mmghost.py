"""Converts an official Huawei Noah checkpoint into an mmghost backbone checkpoint.

    python tools/model_converters/official2mmghost.py SRC DST --model pvig_s_224_gelu
    python tools/model_converters/official2mmghost.py SRC DST --model pvig_s_224_gelu --classifier
    python tools/model_converters/official2mmghost.py SRC DST --model ghostnet_1.0x --timm

SRC may be a raw state dict or one wrapped in ``state_dict`` / ``state_dict_ema`` / ``model``,
with or without DataParallel's ``module.`` prefix. DST loads strictly into
``mmghost.official_backbone_cfg(MODEL)`` with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
With ``--classifier``, DST also keeps the upstream head and loads strictly into the mmpretrain
``ImageClassifier`` of ``mmghost.official.official_classifier_cfg(MODEL)`` (``load_from=DST``).
With ``--timm``, SRC is timm's checkpoint of the same network (e.g. timm ``ghostnet_100`` for
``ghostnet_1.0x``).
"""
import argparse
import sys

import torch

import mmghost
from mmghost.models.backbones.base import describe_mismatch, unwrap_state_dict
from mmghost.official import convert_official, official_classifier_cfg


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth / .pth.tar)')
    parser.add_argument('dst', help='output mmghost checkpoint')
    parser.add_argument('--model', required=True, choices=sorted(mmghost.OFFICIAL_MODELS),
                        metavar='MODEL', help='upstream model name: ' +
                        ', '.join(sorted(mmghost.OFFICIAL_MODELS)))
    parser.add_argument('--classifier', action='store_true',
                        help='keep the upstream head: an mmpretrain ImageClassifier checkpoint')
    parser.add_argument('--timm', action='store_true',
                        help="SRC is timm's checkpoint of the same network")
    return parser.parse_args()


def main():
    args = parse_args()
    # Safe loading: tensors and plain containers only (an official file is weights only).
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    converted = convert_official(args.model, unwrap_state_dict(checkpoint),
                                 classifier=args.classifier, timm=args.timm)
    if args.classifier:
        from mmpretrain.registry import MODELS
        model = MODELS.build(official_classifier_cfg(args.model))
    else:
        model = mmghost.MODELS.build(mmghost.official_backbone_cfg(args.model))
    expected = model.state_dict()
    missing = set(expected) - set(converted)
    unexpected = set(converted) - set(expected)
    if missing or unexpected:
        sys.exit(f'{args.src} does not fit {args.model}: '
                 + describe_mismatch(missing, unexpected))
    wrong = [f'{k}: {tuple(v.shape)} vs {tuple(expected[k].shape)}'
             for k, v in converted.items() if v.shape != expected[k].shape]
    if wrong:
        sys.exit(f'{args.src} has shapes that do not fit {args.model}: {wrong[:20]}')
    torch.save({'state_dict': converted,
                'meta': {'official_model': args.model, 'mmghost_version': mmghost.__version__}},
               args.dst)
    print(f'{args.model}: {len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
