"""Writes the synthetic coloured-shapes demo dataset (COCO instances + ADE20K-style semantic maps).

    python tools/make_demo_data.py [--root data/demo] [--num-train N] [--num-val N] [--seed S]
                                   [--overwrite]

An existing dataset generated with the same parameters is reused unless ``--overwrite`` is given.
"""
import argparse
import json
import time

from mmghost.demo import make_demo_dataset


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', default='data/demo', help='output folder (default: data/demo)')
    parser.add_argument('--num-train', type=int, default=320, help='training images (default: 320)')
    parser.add_argument('--num-val', type=int, default=64, help='validation images (default: 64)')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument('--overwrite', action='store_true',
                        help='regenerate even if an identical dataset already exists')
    return parser


def split_summary(name, ann_file):
    with open(ann_file, encoding='utf-8') as f:
        coco = json.load(f)
    return f'{name} {len(coco["images"])} images / {len(coco["annotations"])} instances'


def main():
    parser = build_parser()
    args = parser.parse_args()
    start = time.perf_counter()
    try:
        paths = make_demo_dataset(args.root, num_train=args.num_train, num_val=args.num_val,
                                  seed=args.seed, overwrite=args.overwrite)
    except (ValueError, FileExistsError) as error:
        parser.error(str(error))
    elapsed = time.perf_counter() - start
    print(f'demo dataset in {paths["root"]} (coco/, ade/): '
          f'{split_summary("train", paths["train_ann_file"])}, '
          f'{split_summary("val", paths["val_ann_file"])} ({elapsed:.1f} s)')


if __name__ == '__main__':
    main()
