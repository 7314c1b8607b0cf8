"""CUDA checks (skipped without a GPU): the same numbers on GPU as on CPU, detection-size input."""
import pytest
import torch

from mmghost.models.backbones import PyramidViG

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')


def test_gpu_outputs_equal_cpu_outputs_in_float64():
    model = PyramidViG(arch='s').eval().double()
    x = torch.randn(2, 3, 224, 320, dtype=torch.float64)
    with torch.no_grad():
        expected = model(x)
        actual = model.cuda()(x.cuda())
    for a, e in zip(actual, expected):
        torch.testing.assert_close(a.cpu(), e, rtol=1e-7, atol=1e-9 * e.abs().max().item())


def test_gpu_training_step_at_detection_size():
    model = PyramidViG(arch='s', with_cp=True).cuda().train()
    outs = model(torch.randn(2, 3, 800, 1216, device='cuda'))
    sum(o.mean() for o in outs).backward()
    assert [o.shape[-2:] for o in outs] == [(200, 304), (100, 152), (50, 76), (25, 38)]
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_model_zoo_measures_gpu_latency():
    """``tools/analysis_tools/model_zoo.py --speed cuda``'s measurement of one config."""
    from mmghost import zoo
    measured = zoo.measure_speed('configs/tinynet/tinynet_e_in1k.py', device='cuda', warmup=1,
                                 repeats=2)
    [latency] = measured['inference time (ms/im)']
    assert latency['value'] > 0 and latency['hardware'] == torch.cuda.get_device_name()
    assert measured['Peak Memory (MiB)'][0]['measure'] == 'peak allocated'


def test_compiled_backbone_on_gpu_equals_eager():
    """``torch.compile`` (inductor, CUDA kernels) of Pyramid ViG-Ti at two sizes, in float64
    (float32 neighbour near-ties could swap a neighbour)."""
    model = PyramidViG(arch='ti').cuda().eval().double()
    compiled = torch.compile(model)
    for shape in [(1, 3, 224, 224), (2, 3, 256, 320)]:
        x = torch.randn(*shape, device='cuda', dtype=torch.float64)
        with torch.no_grad():
            for a, e in zip(compiled(x), model(x)):
                torch.testing.assert_close(a, e, rtol=1e-7, atol=1e-9 * e.abs().max().item())
