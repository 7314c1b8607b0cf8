"""End-to-end demo on a CPU: RetinaNet + Pyramid ViG-S trained from scratch on synthetic shapes.

    python tools/run_demo.py [--work-dir work_dirs/retinanet_pvig-s_fpn_demo]
                             [--data-root data/demo]
                             [--config configs/demo/retinanet_pvig-s_fpn_demo.py]
                             [--cfg-options KEY=VALUE ...] [--min-map 0.5] [--min-miou 50]
    python tools/run_demo.py --config configs/demo/upernet_pvig-s_demo.py   # segmentation

1. writes the demo dataset if it is not there yet (``mmghost.demo.make_demo_dataset``),
2. points the config at it and takes its classes from the data, as ``tools/train.py
   --data-root DIR --classes-from-data`` does (the demo configs name no classes): the
   categories of the COCO annotation files, or the ADE-style folder's ``classes.txt``,
3. trains the demo config with mmengine's Runner (the usual mmdet / mmseg log),
4. evaluates the final model on the demo val split (COCO bbox mAP, or mIoU),
5. saves ``predictions.png`` (ground truth and predictions on a few val images) and
   ``loss_curve.png`` (from the run's ``vis_data/scalars.json``) in the work dir.
"""
import argparse
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
try:
    import mmghost  # noqa: F401
except ImportError:  # a source checkout that is not pip-installed
    sys.path.insert(0, REPO_ROOT)
    import mmghost  # noqa: F401

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import mmcv  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from mmghost.utils.curves import plot_curves, read_run, select_keys  # noqa: E402
from mmghost.demo import make_demo_dataset  # noqa: E402
from mmghost.utils.preflight import check_or_exit, set_data_root  # noqa: E402
from mmghost.utils.runtime import build_runner, setup_task  # noqa: E402

DEFAULT_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'retinanet_pvig-s_fpn_demo.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='demo config')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>')
    parser.add_argument('--data-root', default='data/demo',
                        help='where the demo dataset is (or will be) written')
    parser.add_argument('--num-vis', type=int, default=6, help='val images in predictions.png')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='lowest score drawn in predictions.png')
    parser.add_argument('--min-map', type=float, default=None,
                        help='detection: exit with status 1 if the bbox mAP is below this')
    parser.add_argument('--min-miou', type=float, default=None,
                        help='segmentation: exit with status 1 if the mIoU (in %%) is below this')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy (as tools/train.py)')
    return parser.parse_args(argv)


def _val_samples(runner, num_images):
    """The model's predictions on the first ``num_images`` val images, with their RGB image."""
    model = runner.model
    model.eval()
    dataset = runner.val_dataloader.dataset
    collate = runner.val_dataloader.collate_fn
    for index in range(min(num_images, len(dataset))):
        with torch.no_grad():
            sample = model.test_step(collate([dataset[index]]))[0]
        yield sample, mmcv.imread(sample.img_path, channel_order='rgb')


def _grid(num_panels, cols=3):
    cols = min(cols, num_panels)
    rows = (num_panels + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis('off')
    return fig, axes


def plot_predictions(runner, out_file, num_images=6, score_thr=0.3):
    """Ground truth (dashed) and predictions (solid, with scores) on the first val images."""
    dataset = runner.val_dataloader.dataset
    classes = dataset.metainfo['classes']
    palette = dataset.metainfo.get('palette') or [(255, 0, 0)] * len(classes)
    num_images = min(num_images, len(dataset))
    fig, axes = _grid(num_images)
    for index, (sample, image) in enumerate(_val_samples(runner, num_images)):
        ax = axes.flat[index]
        ax.imshow(image)
        for box, label in zip(sample.gt_instances.bboxes.tolist(),
                              sample.gt_instances.labels.tolist()):
            x0, y0, x1, y1 = box
            ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle='--',
                                       edgecolor='white', linewidth=1.2))
        pred = sample.pred_instances
        keep = pred.scores >= score_thr
        for box, label, score in zip(pred.bboxes[keep].tolist(), pred.labels[keep].tolist(),
                                     pred.scores[keep].tolist()):
            x0, y0, x1, y1 = box
            color = [c / 255 for c in palette[label]]
            ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False,
                                       edgecolor=color, linewidth=2))
            ax.text(x0, max(y0 - 2, 0), f'{classes[label]} {score:.2f}', color='white',
                    fontsize=8, va='bottom', bbox=dict(facecolor=color, alpha=0.8, pad=1,
                                                       edgecolor='none'))
        ax.set_title(osp.basename(sample.img_path), fontsize=9)
    fig.suptitle(f'predictions (score >= {score_thr}, solid) and ground truth (dashed)')
    return _save(fig, out_file)


def plot_segmentations(runner, out_file, num_images=3):
    """Each of the first val images with its ground-truth map and its predicted map."""
    palette = np.asarray(runner.val_dataloader.dataset.metainfo['palette'], np.uint8)
    num_images = min(num_images, len(runner.val_dataloader.dataset))
    fig, axes = _grid(3 * num_images)
    for index, (sample, image) in enumerate(_val_samples(runner, num_images)):
        truth = sample.gt_sem_seg.data[0].numpy()
        maps = (image, palette[np.where(truth == 255, 0, truth)],
                palette[sample.pred_sem_seg.data[0].numpy()])
        for column, (picture, title) in enumerate(zip(maps, ('image', 'ground truth',
                                                             'prediction'))):
            ax = axes.flat[3 * index + column]
            ax.imshow(picture)
            ax.set_title(f'{osp.basename(sample.img_path)}: {title}', fontsize=9)
    fig.suptitle('predicted label maps against the ground truth')
    return _save(fig, out_file)


def _save(fig, out_file):
    fig.tight_layout()
    fig.savefig(out_file, dpi=120)
    plt.close(fig)
    return out_file


class KeepMetrics(Hook):
    """Keeps the metrics of the latest validation."""

    def __init__(self):
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()

    paths = make_demo_dataset(args.data_root)
    print(f'demo data: {paths["root"]} ({time.perf_counter() - start:.1f} s)', flush=True)

    cfg = Config.fromfile(args.config)
    cfg.launcher = 'none'
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    segmentation = setup_task(cfg) == 'mmseg'
    set_data_root(cfg, paths['ade_root'] if segmentation else paths['coco_root'] + '/')
    # the classes and every head's num_classes from the data (--classes-from-data)
    check_or_exit(cfg, 'train', args.config, classes_from_data=True)

    runner = build_runner(cfg)
    keeper = KeepMetrics()
    runner.register_hook(keeper, priority='LOWEST')
    train_start = time.perf_counter()
    runner.train()  # the config validates once, after the last epoch
    train_time = time.perf_counter() - train_start
    if keeper.metrics is None:  # a config that does not validate at the end
        runner.val_loop.run()

    pred_file = osp.join(cfg.work_dir, 'predictions.png')
    if segmentation:
        plot_segmentations(runner, pred_file, max(1, args.num_vis // 2))
    else:
        plot_predictions(runner, pred_file, args.num_vis, args.score_thr)
    _, train_scalars, val_scalars = read_run(runner.log_dir)
    curve_file = plot_curves(train_scalars, val_scalars,
                             select_keys(train_scalars, val_scalars, ['loss']),
                             osp.join(cfg.work_dir, 'loss_curve.png'),
                             f'Training loss ({osp.basename(cfg.work_dir)})')
    total = time.perf_counter() - start

    metrics = keeper.metrics
    nan = float('nan')
    print('=' * 72)
    if segmentation:
        score, floor, name = metrics.get('mIoU', nan), args.min_miou, 'mIoU'
        print(f'mIoU on the demo val split: {score:.2f}  (aAcc {metrics.get("aAcc", nan):.2f}, '
              f'mAcc {metrics.get("mAcc", nan):.2f})')
    else:
        score, floor, name = metrics.get('coco/bbox_mAP', nan), args.min_map, 'bbox mAP'
        print(f'bbox mAP on the demo val split: {score:.3f}  '
              f'(mAP@50 {metrics.get("coco/bbox_mAP_50", nan):.3f}, '
              f'mAP@75 {metrics.get("coco/bbox_mAP_75", nan):.3f})')
    print(f'time: {total:.0f} s in all, training + final validation {train_time:.0f} s')
    print(f'predictions: {pred_file}\nloss curve:  {curve_file}\nlog:         {runner.log_dir}')
    if floor is not None and not score >= floor:
        print(f'{name} {score:.3f} is below the floor {floor}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
