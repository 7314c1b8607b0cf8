"""Mixed precision on CPU: every family's fine-tuning step under ``torch.autocast`` (float16 and
bfloat16; BatchNorm statistics calibrated on demo images, then frozen) has finite outputs and
gradients (benchmarks/amp_numerics.py prints the errors at the trained sizes)."""
import pytest
import torch

from mmghost.demo import demo_images
from mmghost.weights.official import SMALLEST_MODELS, official_backbone_cfg
from mmghost.utils.profiling import autocast_errors, relative_error
from mmghost.registry import MODELS


@pytest.mark.cpu_matrix  # float16 overflow may depend on the CPU's kernels
@pytest.mark.parametrize('family', sorted(SMALLEST_MODELS))
def test_training_step_under_autocast_is_finite(family):
    name, _ = SMALLEST_MODELS[family]
    torch.manual_seed(0)
    model = MODELS.build(official_backbone_cfg(name, init_cfg=None))
    calibration = demo_images(4, 64, 96)
    for dtype in (torch.float16, torch.bfloat16):
        found = autocast_errors(model, calibration[:2], dtype, calibration=calibration)
        assert found['finite'], (family, dtype, found)
        assert len(found['outputs']) == len(model.out_indices)


def test_relative_error_of_tensors_lists_and_dicts():
    expected = torch.tensor([3., 4.])
    assert relative_error(expected + torch.tensor([0., 0.5]), expected) == pytest.approx(0.1)
    assert relative_error([expected * 1.1], [expected]) == pytest.approx(0.1)
    assert relative_error(dict(a=expected * 0.9), dict(a=expected)) == pytest.approx(0.1)
