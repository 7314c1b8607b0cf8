"""tools/swap_backbone.py and mmghost.apis.swap: an official model in place of the backbone of stock
mmdet / mmseg configs (shipped inside the installed packages), checked by one training step."""
import contextlib
import io

import pytest
from mmengine.config import Config

from mmghost.weights.official import OFFICIAL_MODELS
from mmghost.apis.swap import (IMAGENET_NORM, NORMALISATION, check_training_step, config_file,
                               plan_swap, swap_backbone)
from tests.helpers import CLS_CONFIGS, build_model, load_config, load_tool

# a stock config of each head, each with another family
STOCK = [('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', 'ghostnetv2_1.0x'),
         ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', 'pvig_ti_224_gelu'),
         ('mmdet::yolox/yolox_s_8xb8-300e_coco.py', 'vig_ti_224_gelu'),
         ('mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py', 'tinynet_e')]


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/swap_backbone.py')


def neck_inputs(cfg):
    """The channels the backbone's outputs go into: the first neck (mmdet, or mmseg's
    SimplePyramid) or the decode head (mmseg)."""
    neck = cfg.model.get('neck')
    if neck:
        first = neck[0] if isinstance(neck, list) else neck
        channels = first['in_channels']
        return [channels] if isinstance(channels, int) else list(channels)
    return list(cfg.model.decode_head.in_channels)


@pytest.fixture(scope='module')
def written(tool, tmp_path_factory):
    """``written(source, name)``: the tool's config for a stock config (with its synthetic
    training step), written once per pair and shared by the tests; returns (path, printed)."""
    done = {}

    def write(source, name):
        if (source, name) not in done:
            out = tmp_path_factory.mktemp('swapped') / 'swapped.py'
            with contextlib.redirect_stdout(io.StringIO()) as printed:
                assert tool.main([source, name, '-o', str(out), '--no-pretrained']) == 0
            done[source, name] = out, printed.getvalue()
        return done[source, name]

    return write


@pytest.mark.parametrize('source,name', STOCK)
def test_written_config_inherits_the_source_and_trains_one_step(source, name, written):
    out, printed = written(source, name)
    assert 'one training step: loss ' in printed and f'wrote {out}' in printed
    text = out.read_text()
    assert text.startswith(f'# {name} in place of the backbone of {source}')
    assert f"_base_ = '{source}'" in text
    cfg = Config.fromfile(str(out))
    expected = swap_backbone(Config.fromfile(config_file(source)), name, pretrained=False)
    # a package::path base adds its scope to the model
    assert dict(cfg.model.to_dict(), _scope_=None) == dict(expected.model.to_dict(), _scope_=None)
    assert 'mmghost' in cfg.custom_imports.imports
    assert cfg.model.backbone.type == OFFICIAL_MODELS[name].backbone['type']
    assert cfg.model.backbone.init_cfg is None
    model = build_model(cfg)
    assert neck_inputs(cfg) == list(model.backbone.out_channels)
    if len(set(model.backbone.stage_strides)) == 1:  # isotropic: SimplePyramid first
        assert type(model.neck[0]).__name__ == 'SimplePyramid'
    norm = NORMALISATION.get(cfg.model.backbone.type, IMAGENET_NORM)
    assert cfg.model.data_preprocessor.mean == norm['mean']
    if source.startswith('mmseg'):
        assert cfg.model.pretrained is None


def test_official_weights_by_default_and_the_optimizer_of_graph_families():
    import mmghost
    assert mmghost.swap_backbone is swap_backbone
    cfg = swap_backbone(Config.fromfile(config_file(STOCK[1][0])), 'pvig_ti_224_gelu')
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=OFFICIAL_MODELS['pvig_ti_224_gelu'].weights.url)
    # the optimizer of the family's own RetinaNet / Mask R-CNN configs (mmdet's PVT recipe)
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=0.0001, betas=(0.9, 0.999),
                                               weight_decay=0.0001)
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys == {'pos_embed': dict(decay_mult=0.)}
    # a CNN keeps the source's optimizer
    cnn = swap_backbone(Config.fromfile(config_file(STOCK[0][0])), 'ghostnetv2_1.0x')
    assert cnn.optim_wrapper.optimizer.type == 'SGD'


def test_normalisation_table_matches_the_classification_configs():
    for config in CLS_CONFIGS:
        cfg = load_config(config)
        norm = NORMALISATION.get(cfg.model.backbone.type, IMAGENET_NORM)
        preprocessor = cfg.model.data_preprocessor
        assert (preprocessor.mean, preprocessor.std) == (norm['mean'], norm['std']), config


def test_our_own_configs_are_what_a_swap_gives():
    """Swapping into this repo's RetinaNet recipe reproduces the headline model's wiring."""
    cfg = swap_backbone(load_config('retinanet_pvig_s_coco.py'), 'ghostnet_1.0x',
                        pretrained=False)
    assert check_training_step('mmdet', cfg)['loss'] > 0


def test_unsupported_neck_names_the_field_to_set():
    cfg = Config.fromfile(config_file('mmdet::yolof/yolof_r50-c5_8xb8-1x_coco.py'))
    with pytest.raises(ValueError, match="neck 'DilatedEncoder' is not supported .* set "
                                         'model.neck.in_channels yourself'):
        swap_backbone(cfg, 'ghostnet_1.0x')


def test_bad_names_and_paths_say_what_is_valid(tool, capsys):
    with pytest.raises(ValueError, match="'ghostnet_9x' is not an official model; choose from"):
        swap_backbone(Config.fromfile(config_file(STOCK[0][0])), 'ghostnet_9x')
    with pytest.raises(FileNotFoundError, match="no config 'retinanet/nope.py' in mmdet"):
        config_file('mmdet::retinanet/nope.py')
    with pytest.raises(FileNotFoundError, match="package 'mmnothing' is not installed"):
        config_file('mmnothing::a.py')
    with pytest.raises(SystemExit):
        tool.main([STOCK[0][0], 'ghostnet_1.0x'])
    assert '-o OUT_CONFIG is required' in capsys.readouterr().err


def demo_options(source, demo_root):
    """``--cfg-options`` that train a stock config on the built-in demo data for one iteration,
    at the demo images' scale (a quarter of COCO's, 128x128 crops for ADE20K), with no
    validation."""
    if source.startswith('mmseg'):
        return [f'train_dataloader.dataset.data_root={demo_root}/ade',
                'train_dataloader.dataset.pipeline.2.scale=(512,128)',  # RandomResize
                'train_dataloader.dataset.pipeline.3.crop_size=(128,128)',  # RandomCrop
                'model.data_preprocessor.size=(128,128)',
                'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False', 'train_cfg.max_iters=1',
                'train_cfg.val_interval=100', 'val_cfg=None', 'val_dataloader=None',
                'val_evaluator=None']
    # YOLOX wraps the COCO dataset in MultiImageMixDataset (mosaic / mixup)
    dataset = ('train_dataloader.dataset.dataset' if 'yolox' in source
               else 'train_dataloader.dataset')
    scale = [] if 'yolox' in source else [f'{dataset}.pipeline.2.scale=(333,200)']  # Resize
    return [f'{dataset}.data_root={demo_root}/coco/',
            f'{dataset}.ann_file=annotations/instances_train.json',
            f'{dataset}.data_prefix.img=train/',
            f'{dataset}.metainfo.classes=[circle,square,triangle]', *scale,
            'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


def train_one_iteration(train_py, config, work_dir, options):
    import os
    import subprocess
    import sys

    from tests.helpers import REPO_ROOT
    # ours sets the classes of the demo data on the datasets and heads; mmdet's has no such flag
    flags = ['--classes-from-data'] if train_py == 'tools/train.py' else []
    run = subprocess.run(
        [sys.executable, train_py, str(config), '--work-dir', str(work_dir), *flags,
         '--cfg-options', *options], cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=REPO_ROOT),
        capture_output=True, text=True, timeout=600)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    assert 'loss: ' in log and '[1/1]' in log, log[-2000:]


# RetinaNet (STOCK[0]) trains with mmdet's own train.py below; tools/train.py trains the
# RetinaNet demo config in tests/test_tools.py
@pytest.mark.parametrize('source,name', STOCK[1:])
def test_written_config_trains_with_tools_train(source, name, written, tmp_path, demo_root):
    out, _ = written(source, name)
    train_one_iteration('tools/train.py', out, tmp_path / 'work', demo_options(source, demo_root))


def test_written_config_trains_with_mmdets_own_train_py(written, tmp_path, demo_root):
    import os.path as osp

    import mmdet
    source, name = STOCK[0]
    out, _ = written(source, name)
    mmdet_train = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    train_one_iteration(mmdet_train, out, tmp_path / 'work', demo_options(source, demo_root))


# the other supported necks and heads, in process (plan + one synthetic training step)
MORE_STOCK = [
    ('mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py', 'g_ghost_regnetx_002'),  # ChannelMapper
    ('mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py', 'ghostnet_0.5x'),  # CSPNeXtPAFPN
    ('mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_ade20k-512x512.py', 'tinynet_e'),
    ('mmseg::pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py', 'ghostnet_0.5x'),
    ('mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py', 'WaveMLP_T_dw'),  # FPN neck
    ('mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py', 'pvig_ti_224_gelu')]


@pytest.mark.parametrize('source,name', MORE_STOCK)
def test_other_necks_and_heads(source, name):
    cfg = Config.fromfile(config_file(source))
    _, report = plan_swap(cfg, name, pretrained=False)
    swapped = swap_backbone(cfg, name, pretrained=False)
    assert check_training_step(report['task'], swapped)['loss'] > 0
    channels = report['channels']
    if swapped.model.get('neck'):
        assert list(swapped.model.neck.in_channels) == channels
    else:
        head = swapped.model.decode_head
        index = head.in_index
        assert head.in_channels == ([channels[i] for i in index] if isinstance(index, list)
                                    else channels[index])
    if 'r50-d8' in source:  # a dilated source (strides 4/8/8/8): the model's own pyramid
        assert report['strides'] == [4, 8, 16, 32]
    if 'deeplabv3plus' in source:
        assert swapped.model.decode_head.c1_in_channels == channels[0]


def test_four_channel_input_keeps_its_channels():
    cfg = Config.fromfile(config_file(STOCK[0][0]))
    cfg.merge_from_dict({'model.backbone.in_channels': 4})
    swapped = swap_backbone(cfg, 'ghostnet_1.0x', pretrained=False)
    assert swapped.model.backbone.in_channels == 4
    preprocessor = swapped.model.data_preprocessor
    assert preprocessor.type == 'mmghost.MultiChannelDetDataPreprocessor'
    assert preprocessor.mean == IMAGENET_NORM['mean'] + [0.]
    assert preprocessor.std == IMAGENET_NORM['std'] + [1.]
    assert check_training_step('mmdet', swapped)['loss'] > 0


def test_out_indices_of_ones_own_must_give_the_strides_consumed(tool, tmp_path, capsys):
    out = tmp_path / 'swapped.py'
    # GhostNet's stride-32 stage end (3) instead of its final 1x1 conv (4)
    assert tool.main([STOCK[0][0], 'ghostnet_1.0x', '-o', str(out), '--no-pretrained',
                      '--out-indices', '0', '1', '2', '3']) == 0
    cfg = Config.fromfile(str(out))
    assert cfg.model.backbone.out_indices == (0, 1, 2, 3)
    assert cfg.model.neck.in_channels == [24, 40, 112, 160]
    with pytest.raises(ValueError, match=r'out_indices \(1, 2, 3, 4\) of ghostnet_1.0x give '
                                         r'strides \[8, 16, 32, 32\]; the source consumes '
                                         r'strides \[4, 8, 16, 32\]'):
        tool.main([STOCK[0][0], 'ghostnet_1.0x', '-o', str(out), '--out-indices', '1', '2', '3',
                   '4'])


def test_a_local_source_is_inherited_relative_to_the_written_config(tmp_path):
    """mmengine resolves ``_base_`` from the written config's folder, not the working one."""
    import os.path as osp

    from mmghost.utils.config_text import base_path
    from tests.helpers import config_path
    out = tmp_path / 'mine' / 'swapped.py'
    source = config_path('demo/retinanet_pvig-s_fpn_demo.py')
    assert osp.normpath(osp.join(out.parent, base_path(source, str(out)))) == source
    assert base_path('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', str(out)) == \
        'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'


def test_a_source_without_padding_pads_to_the_backbones_input_divisor():
    """DETR pads its batches to 1; the swapped backbone's outputs are exactly 1 / stride of a
    batch padded to its ``input_divisor`` (and the strides consumed), which the swap sets.
    Stock configs that already pad to 32 keep it."""
    cfg = Config.fromfile(config_file('mmdet::detr/detr_r50_8xb2-150e_coco.py'))
    assert cfg.model.data_preprocessor.pad_size_divisor == 1
    changes, report = plan_swap(cfg, 'ghostnet_1.0x', pretrained=False)
    assert report['input_divisor'] == 32
    [preprocessor] = [c for c in changes if c.key == 'model.data_preprocessor']
    assert preprocessor.value['pad_size_divisor'] == 32 and 'padded to a multiple of 32' in (
        preprocessor.why)
    changes, report = plan_swap(Config.fromfile(config_file(STOCK[0][0])), 'tnt_s_patch16_224',
                                pretrained=False)
    [preprocessor] = [c for c in changes if c.key == 'model.data_preprocessor']
    assert report['input_divisor'] == 32 and 'pad_size_divisor' not in preprocessor.value
