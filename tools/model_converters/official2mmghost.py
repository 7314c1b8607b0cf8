"""Converts an official Huawei Noah checkpoint into an mmghost backbone checkpoint.

    python tools/model_converters/official2mmghost.py SRC DST --model pvig_s_224_gelu
    python tools/model_converters/official2mmghost.py SRC DST --model pvig_s_224_gelu --classifier
    python tools/model_converters/official2mmghost.py SRC DST --model ghostnet_1.0x --timm

SRC may be a raw state dict or one wrapped in ``state_dict`` / ``state_dict_ema`` / ``model``,
with or without DataParallel's ``module.`` prefix, a ``.safetensors`` file (timm's hub files) or
an official release URL (read through the torch hub cache); it is read without unpickling code.
DST loads strictly into
``mmghost.official_backbone_cfg(MODEL)`` with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``.
With ``--classifier``, DST also keeps the upstream head and loads strictly into the mmpretrain
``ImageClassifier`` of ``mmghost.weights.official.official_classifier_cfg(MODEL)``
(``load_from=DST``).
With ``--timm``, SRC is timm's checkpoint of the same network (e.g. timm ``ghostnet_100`` for
``ghostnet_1.0x``, its ``model.safetensors`` or ``pytorch_model.bin``).

A converted file is not needed to train or test: ``init_cfg=dict(type='Pretrained',
checkpoint=SRC)`` and ``tools/test.py CLS_CONFIG SRC`` convert on the fly. It serves as a
cached, smaller, mmghost-format copy.
"""
import argparse
import sys
from functools import partial

import torch
from mmengine.runner.checkpoint import CheckpointLoader

import mmghost
from mmghost.weights.fitting import fit_checkpoint, unwrap_state_dict
from mmghost.weights.official import convert_official, official_classifier_cfg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth / .pth.tar / URL), or with --timm '
                        "timm's (.safetensors / .bin / .pth)")
    parser.add_argument('dst', help='output mmghost checkpoint')
    parser.add_argument('--model', required=True, choices=sorted(mmghost.OFFICIAL_MODELS),
                        metavar='MODEL', help='upstream model name: ' +
                        ', '.join(sorted(mmghost.OFFICIAL_MODELS)))
    parser.add_argument('--classifier', action='store_true',
                        help='keep the upstream head: an mmpretrain ImageClassifier checkpoint')
    parser.add_argument('--timm', action='store_true',
                        help="SRC is timm's checkpoint of the same network")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # mmghost's loaders: weights only (never unpickles code), .safetensors, URLs via the hub cache
    checkpoint = CheckpointLoader.load_checkpoint(args.src, map_location='cpu')
    if args.classifier:
        from mmpretrain.registry import MODELS
        model = MODELS.build(official_classifier_cfg(args.model))
    else:
        model = mmghost.MODELS.build(mmghost.official_backbone_cfg(args.model))
    convert = partial(convert_official, args.model, classifier=args.classifier, timm=args.timm)
    try:
        _, converted, _ = fit_checkpoint(
            unwrap_state_dict(checkpoint), model.state_dict(),
            [('timm' if args.timm else 'official', convert)],
            f'{args.src} does not fit {args.model}')
    except RuntimeError as error:
        sys.exit(str(error))
    torch.save({'state_dict': converted,
                'meta': {'official_model': args.model, 'mmghost_version': mmghost.__version__}},
               args.dst)
    print(f'{args.model}: {len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
