"""Deployment: ONNX export of every backbone and of whole models (tools/deployment/pytorch2onnx.py),
one export for every input size, and torch.compile of every family."""
import json
import os.path as osp

import pytest
import torch
from torch import nn

from mmghost.apis import deploy
from mmghost.models.layers import any_size_paths, effective_k_dilation
from mmghost.models.layers.tracing import ceil_div
from mmghost.weights.official import SMALLEST_MODELS

from tests.helpers import build_model, config_path, load_config, load_tool

# the smallest official variant of each family at the size its position terms were trained at:
# an export there is where a shortcut would be frozen
FAMILIES = SMALLEST_MODELS
# a second size: odd sides, another aspect ratio, batch 2
OTHER_SHAPE = (2, 161, 227)


def build_backbone(name, **overrides):
    from mmghost.weights.official import official_backbone_cfg
    from mmghost.registry import MODELS
    torch.manual_seed(0)
    backbone = MODELS.build(official_backbone_cfg(name, **overrides))
    backbone.init_weights()
    return backbone.eval()


def output_names(backbone):
    return [f'stage{i}' for i in backbone.out_indices]


@pytest.mark.cpu_matrix
@pytest.mark.parametrize('name, size', FAMILIES.values(), ids=FAMILIES.keys())
def test_backbone_exported_once_runs_at_every_size(name, size):
    """Exported at the trained size with dynamic axes, the graph matches PyTorch there and at an
    odd size with batch 2 (position terms, padding and neighbour counts follow the input)."""
    backbone = build_backbone(name)
    names = output_names(backbone)
    shapes = [(1, size, size), OTHER_SHAPE]
    graph = deploy.export_onnx(backbone, deploy.example_input((size, size)), names)
    rows = deploy.verify(graph, backbone, shapes)
    errors = [e for row in rows for e in row['errors'].values()]
    assert all(e < float('inf') for e in errors), rows  # every output has the torch shape
    if deploy.has_neighbour_search(backbone):
        # float32 neighbour ranking has near-ties: exactness is checked in float64
        rows = deploy.verify_float64(backbone, names, shapes)
        assert max(e for row in rows for e in row['errors'].values()) < 1e-10, rows
    else:
        assert max(errors) < 1e-4, rows


def test_pyramid_vig_static_export_keeps_the_stored_relative_position_term():
    """A fixed-size export at the trained grid computes what eager PyTorch computes (the stored
    term); a dynamic one computes the term, which differs from the stored one there."""
    backbone = build_backbone('pvig_ti_224_gelu')
    names = output_names(backbone)
    static = deploy.verify_float64(backbone, names, [(1, 224, 224)], dynamic=False)
    assert max(static[0]['errors'].values()) < 1e-10
    x = deploy.example_input((224, 224))
    with torch.no_grad():
        eager = backbone(x)
        with any_size_paths():
            computed = backbone(x)
    assert max(deploy.relative_error(a, b) for a, b in zip(eager, computed)) > 1e-6


def test_the_any_size_switch_holds_in_its_own_thread_only():
    """The switch is a context variable: another thread's forward pass keeps the eager paths
    while one thread computes what an export records, and it ends with the context."""
    import threading

    from mmghost.models.layers import for_any_size
    seen = {}
    with any_size_paths():
        worker = threading.Thread(target=lambda: seen.update(other=for_any_size()))
        worker.start()
        worker.join()
        seen['own'] = for_any_size()
    assert seen == {'own': True, 'other': False}
    assert not for_any_size()


# each head with GhostNet, and Pyramid ViG's float64 verification (the same for every head) once
@pytest.mark.cpu_matrix
@pytest.mark.parametrize('name', ['retinanet_ghostnet-1.0x_fpn_1x_coco.py',
                                  'yolox_ghostnet-1.0x_8xb8-300e_coco.py',
                                  'upernet_ghostnet-1.0x_8xb2-160k_ade20k-512x512.py',
                                  'demo/retinanet_pvig-s_fpn_demo.py'])
def test_pytorch2onnx_single_stage_detectors_and_segmentors(name, tmp_path, capsys):
    """The tool exports the whole tensor-mode model with dynamic axes and --verify passes at the
    export size and a second size (float64 for Pyramid ViG); OUT.json describes the graph."""
    checkpoint = save_checkpoint(name, tmp_path)
    out = tmp_path / 'model.onnx'
    load_tool('tools/deployment/pytorch2onnx.py').main(
        [config_path(name), checkpoint, '-o', str(out), '--shape', '128', '160', '--dynamic',
         '--verify'])
    printed = capsys.readouterr().out
    assert 'PASSED' in printed, printed
    description = json.loads((tmp_path / 'model.json').read_text())
    assert description['opset'] == deploy.OPSET and description['part'] == 'whole model'
    assert description['input']['shape'] == ['batch', 3, 'height', 'width']
    names = [o['name'] for o in description['outputs']]
    if name.startswith('upernet'):
        assert names == ['seg_logits'] and 'exact pooling matrices' in printed
    else:
        kinds = ('cls_score', 'bbox_pred') + (('objectness', ) if 'yolox' in name else ())
        assert {n.rsplit('_', 1)[0] for n in names} == set(kinds)
    assert description['verify']['passed']
    judged = description['verify']['judged']
    # 3/4 of the height and 5/4 of the width, rounded to the size divisor (mmdet's: 32)
    second = [2, 96, 200] if 'upernet' in name else [2, 96, 224]
    assert [row['shape'] for row in judged] == [[1, 128, 160], second]


def test_pytorch2onnx_two_stage_detector_exports_backbone_and_neck(tmp_path, capsys):
    name = 'mask-rcnn_ghostnet-1.0x_fpn_1x_coco.py'
    out = tmp_path / 'mask_rcnn.onnx'
    load_tool('tools/deployment/pytorch2onnx.py').main(
        [config_path(name), save_checkpoint(name, tmp_path), '-o', str(out), '--shape', '128',
         '--verify'])
    printed = capsys.readouterr().out
    assert 'backbone + neck' in printed and 'RoIAlign' in printed and 'PASSED' in printed
    description = json.loads((tmp_path / 'mask_rcnn.json').read_text())
    assert [o['name'] for o in description['outputs']] == [f'feat_{i}' for i in range(5)]
    assert description['input']['shape'] == [1, 3, 128, 128]  # a fixed-size export


def test_pytorch2onnx_official_classifier_file(tmp_path, official_state_dict, capsys):
    """A classification config takes the official upstream file (converted as tools/test.py
    does) and exports the logits."""
    official = tmp_path / 'ghostnet_official.pth'
    torch.save(official_state_dict('ghostnet_1.0x'), official)
    load_tool('tools/deployment/pytorch2onnx.py').main(
        [config_path('ghostnet/ghostnet_1.0x_in1k.py'), str(official), '-o',
         str(tmp_path / 'cls.onnx'), '--dynamic', '--verify'])
    printed = capsys.readouterr().out
    assert 'outputs: cls_score' in printed and 'PASSED' in printed


def test_pytorch2onnx_refuses_a_checkpoint_that_does_not_fit(tmp_path):
    name = 'retinanet_ghostnet-1.0x_fpn_1x_coco.py'
    checkpoint = save_checkpoint(name, tmp_path, drop='bbox_head.retina_cls.weight')
    with pytest.raises(RuntimeError, match=r'(?s)does not fit.*nothing was loaded.*missing keys '
                                           r'\(1\): bbox_head\.retina_cls\.weight'):
        load_tool('tools/deployment/pytorch2onnx.py').main(
            [config_path(name), checkpoint, '-o', str(tmp_path / 'x.onnx')])
    assert not (tmp_path / 'x.onnx').exists()


def test_pytorch2onnx_argument_errors(tmp_path, capsys):
    tool = load_tool('tools/deployment/pytorch2onnx.py')
    with pytest.raises(SystemExit):
        tool.parse_args(['c.py', 'w.pth', '-o', str(tmp_path / 'model.pt')])
    assert 'must end in .onnx' in capsys.readouterr().err
    cfg = load_config('demo/mask-rcnn_pvig-s_fpn_demo.py')  # its test pipeline has no Resize
    with pytest.raises(ValueError, match='pass --shape H W'):
        tool.export_shape(cfg, 'mmdet')


def test_the_tool_drops_the_backbone_init_cfg(tmp_path):
    """With a checkpoint, nothing is downloaded: the backbone's Pretrained init_cfg is dropped."""
    name = 'retinanet_ghostnet-1.0x_fpn_1x_coco.py'
    cfg = load_config(name)
    assert cfg.model.backbone.init_cfg['type'] == 'Pretrained'
    _, model = load_tool('tools/deployment/pytorch2onnx.py').load_model(
        cfg, save_checkpoint(name, tmp_path))
    assert model.backbone.init_cfg is None and not model.training


@pytest.mark.parametrize('size, out', [((16, 16), (3, 6)), ((17, 23), (6, 6)), ((5, 7), (6, 6)),
                                       ((12, 9), (1, 2))])
def test_adaptive_pooling_as_matmul_is_exact(size, out):
    x = torch.randn(2, 3, *size)
    expected = nn.AdaptiveAvgPool2d(out)(x)
    torch.testing.assert_close(deploy.AdaptiveAvgPool2dAsMatmul(out)(x), expected)


def test_traced_size_arithmetic_matches_python():
    """The tensor forms used under tracing equal the Python ones (ceil, neighbour clamping)."""
    for size in range(0, 40):
        for divisor in (1, 2, 3, 4, 8, 16):
            assert int(ceil_div(torch.tensor(size), divisor)) == -(-size // divisor)
    for keys in range(1, 60):
        for k, dilation in [(9, 1), (9, 3), (18, 4), (9, 0)]:
            traced = effective_k_dilation(k, dilation, torch.tensor(keys))
            assert tuple(int(v) for v in traced) == effective_k_dilation(k, dilation, keys)


def save_checkpoint(name, tmp_path, drop=None):
    """A checkpoint of the config's model with its init weights (seeded), as training saves."""
    cfg = load_config(name)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = build_model(cfg)
    model.init_weights()
    state = model.state_dict()
    if drop is not None:
        del state[drop]
    path = tmp_path / (osp.splitext(osp.basename(name))[0] + '.pth')
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)


# torch's automatic dynamic shapes: a second size recompiles the whole graph with symbolic
# sizes, which took 4 of the suite's 20 minutes for every family. One family of each kind of
# any-size code does it (a CNN; the graph search with its position terms; a transformer's
# resized position embedding); the others compile once, at odd sides and batch 2, where a
# second size would only compile the same code again with other fixed sizes.
DYNAMIC = ('TinyNet', 'ViG', 'AugViT')


@pytest.mark.parametrize('family', FAMILIES)
def test_torch_compile_equals_eager(family):
    """``torch.compile(backbone)`` (aot_eager backend: the graph capture and autograd tracing of
    inductor, without its kernel compilation) equals eager PyTorch; the ``DYNAMIC`` families
    then recompile for a second size with dynamic shapes. Vision GNN runs in float64
    (neighbour near-ties)."""
    backbone = build_backbone(FAMILIES[family][0])
    if deploy.has_neighbour_search(backbone):
        backbone.double()
    dtype = next(backbone.parameters()).dtype
    torch._dynamo.reset()
    dynamic = family in DYNAMIC
    compiled = torch.compile(backbone, backend='aot_eager', dynamic=None if dynamic else False)
    sizes = [(2, 97, 131)] if not dynamic else [(1, 96, 128), (2, 97, 131)]
    for batch, height, width in sizes:
        x = deploy.example_input((height, width), batch=batch, dtype=dtype)
        with torch.no_grad():
            for a, b in zip(backbone(x), compiled(x)):
                torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)


@pytest.mark.cpu_matrix
def test_torch_compile_inductor():
    """One family through inductor, up to its first output: the stem and each kind of block
    (depthwise-separable, MBConv with squeeze-excitation). Inductor compiles C++ kernels, 34 s
    for the whole network on 2 cores."""
    backbone = build_backbone('tinynet_e', out_indices=(0, ))
    torch._dynamo.reset()
    # Without a vector ISA (ATEN_CPU_CAPABILITY=default) torch 2.14.1's inductor still emits a
    # vectorised transpose (at::vec::transpose_mxn) that does not compile; scalar code is
    # asked for there.
    scalar = torch.backends.cpu.get_cpu_capability() == 'DEFAULT'
    with torch._inductor.config.patch({'cpp.simdlen': 1} if scalar else {}):
        compiled = torch.compile(backbone, dynamic=False)
        x = deploy.example_input((96, 128))
        with torch.no_grad():
            for a, b in zip(backbone(x), compiled(x)):
                torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)


def test_relative_error_fails_on_shape_or_non_finite_mismatch():
    a = torch.tensor([1.0, -2.0, float('inf')])
    assert deploy.relative_error(a, a.clone()) == 0.0
    assert deploy.relative_error(a, torch.tensor([1.0, -2.5, float('inf')])) == 0.25
    assert deploy.relative_error(a, torch.tensor([1.0, -2.0, float('nan')])) == float('inf')
    assert deploy.relative_error(a, a[None]) == float('inf')


def test_pytorch2onnx_names_what_failed_to_export(tmp_path):
    name = 'retinanet_ghostnet-1.0x_fpn_1x_coco.py'
    with pytest.raises(RuntimeError, match=r'ONNX export of .*retinanet_ghostnet-1.0x_fpn_1x_coco'
                                           r'\.py \(RetinaNet\) failed at opset 6: Unsupported'):
        load_tool('tools/deployment/pytorch2onnx.py').main(
            [config_path(name), save_checkpoint(name, tmp_path), '-o', str(tmp_path / 'x.onnx'),
             '--shape', '64', '--opset', '6'])
