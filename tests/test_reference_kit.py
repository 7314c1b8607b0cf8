"""The reference kit's draws (tests/data/reference/make_reference.py) are the same on every CPU.

The official outputs were computed from float32 ``randn`` weights and inputs drawn under torch's
AVX2 kernels; other kernels (``ATEN_CPU_CAPABILITY=default``, CPUs without AVX2) draw other last
bits, which the float64 equality tests (tolerance 1e-9 of the largest value) would see. The kit
computes the AVX2 draw in numpy where torch's own draw differs.
"""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from tests.helpers import REFERENCE_DIR

pytestmark = pytest.mark.cpu_matrix


@pytest.fixture
def portable(monkeypatch):
    """The kit draws in numpy, as on a CPU without torch's AVX2 kernels."""
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'DEFAULT')


@pytest.mark.parametrize('variant', ['ghostnet_1.0x', 'ghostnetv2_1.0x'])
def test_portable_draws_rebuild_the_manifest_checksums(variant, reference, portable):
    """Every generated entry's crc32 (recorded when the reference data was made) is rebuilt
    bit for bit, whatever kernels this torch runs."""
    with open(osp.join(REFERENCE_DIR, f'{variant}.manifest.json')) as f:
        manifest = json.load(f)
    state = reference.deterministic_state_dict(manifest)
    checked = [e for e in manifest['entries'] if 'crc32' in e]
    assert len(checked) > 400
    wrong = [e['key'] for e in checked if reference.tensor_crc32(state[e['key']]) != e['crc32']]
    assert not wrong, f'{len(wrong)} of {len(checked)} entries differ: {wrong[:5]}'


@pytest.mark.skipif(torch.backends.cpu.get_cpu_capability() != 'AVX2',
                    reason="torch's own randn is the reference draw only under its AVX2 kernels")
def test_portable_draw_is_torchs_avx2_draw_bit_for_bit(reference):
    """Sizes with and without a ragged tail (torch redraws the last 16 values), u1 = 1 (a
    signed zero), many seeds."""
    for seed in range(4):
        for shape in [(16, ), (17, ), (2, 3, 31, 29), (1000, 33)]:
            expected = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
            drawn = reference.randn_float32(shape, torch.Generator().manual_seed(seed),
                                            portable=True)
            assert drawn.shape == expected.shape
            assert np.array_equal(drawn.numpy().view(np.uint32),
                                  expected.numpy().view(np.uint32)), (seed, shape)


def test_reference_input_is_the_same_on_every_cpu(reference, portable):
    """The input of every stored output, as torch's AVX2 kernels draw it (its crc32, read off
    ``torch.randn`` on an AVX2 CPU), on any CPU."""
    assert reference.tensor_crc32(reference.reference_input(2, 224)) == 1469213139
