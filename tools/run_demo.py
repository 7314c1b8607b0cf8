"""End-to-end demo on a CPU: RetinaNet + Pyramid ViG-S trained from scratch on synthetic shapes.

    python tools/run_demo.py [--work-dir work_dirs/retinanet_pvig-s_fpn_demo]
                             [--data-root data/demo]
                             [--config configs/demo/retinanet_pvig-s_fpn_demo.py]
                             [--cfg-options KEY=VALUE ...] [--min-map 0.5]

1. writes the demo dataset if it is not there yet (``mmghost.demo.make_demo_dataset``),
2. trains the demo config with mmengine's Runner (the usual mmdet log),
3. evaluates the final model on the demo val split (COCO bbox mAP),
4. saves ``predictions.png`` (ground truth and predictions on a few val images) and
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
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from mmghost.curves import plot_curves, read_run, select_keys  # noqa: E402
from mmghost.demo import make_demo_dataset  # noqa: E402
from mmghost.preflight import set_data_root  # noqa: E402
from mmghost.runtime import build_runner, setup_task  # noqa: E402

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
                        help='exit with status 1 if the bbox mAP is below this')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy (as tools/train.py)')
    return parser.parse_args(argv)


@torch.no_grad()
def plot_predictions(runner, out_file, num_images=6, score_thr=0.3):
    """Ground truth (dashed) and predictions (solid, with scores) on the first val images."""
    model = runner.model
    model.eval()
    dataset = runner.val_dataloader.dataset
    classes = dataset.metainfo['classes']
    palette = dataset.metainfo.get('palette') or [(255, 0, 0)] * len(classes)
    num_images = min(num_images, len(dataset))
    cols = min(3, num_images)
    rows = (num_images + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis('off')
    collate = runner.val_dataloader.collate_fn
    for index in range(num_images):
        sample = model.test_step(collate([dataset[index]]))[0]
        image = mmcv.imread(sample.img_path, channel_order='rgb')
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
    set_data_root(cfg, osp.join(args.data_root, 'coco') + '/')
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    setup_task(cfg)

    runner = build_runner(cfg)
    keeper = KeepMetrics()
    runner.register_hook(keeper, priority='LOWEST')
    train_start = time.perf_counter()
    runner.train()  # the config validates once, after the last epoch
    train_time = time.perf_counter() - train_start
    if keeper.metrics is None:  # a config that does not validate at the end
        runner.val_loop.run()

    pred_file = plot_predictions(runner, osp.join(cfg.work_dir, 'predictions.png'),
                                 args.num_vis, args.score_thr)
    _, train_scalars, val_scalars = read_run(runner.log_dir)
    curve_file = plot_curves(train_scalars, val_scalars,
                             select_keys(train_scalars, val_scalars, ['loss']),
                             osp.join(cfg.work_dir, 'loss_curve.png'),
                             f'Training loss ({osp.basename(cfg.work_dir)})')
    total = time.perf_counter() - start

    metrics = keeper.metrics
    bbox_map = metrics.get('coco/bbox_mAP', float('nan'))
    print('=' * 72)
    print(f'bbox mAP on the demo val split: {bbox_map:.3f}  '
          f'(mAP@50 {metrics.get("coco/bbox_mAP_50", float("nan")):.3f}, '
          f'mAP@75 {metrics.get("coco/bbox_mAP_75", float("nan")):.3f})')
    print(f'time: {total:.0f} s in all, training + final validation {train_time:.0f} s')
    print(f'predictions: {pred_file}\nloss curve:  {curve_file}\nlog:         {runner.log_dir}')
    if args.min_map is not None and not bbox_map >= args.min_map:
        print(f'bbox mAP {bbox_map:.3f} is below --min-map {args.min_map}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
