"""Writes the official state-dict layouts (key, shape, dtype; no values) of the released models
that the reference kit has no manifest of, for tests/test_pretrained_weights.py.

    python tests/data/releases/dump_official_layouts.py UPSTREAM_CHECKOUT

UPSTREAM_CHECKOUT is huawei-noah/Efficient-AI-Backbones at commit f90e129 (the reference kit's).
The upstream factories are built with random weights and only their ``state_dict()`` layout is
kept. The TinyNet files are timm checkpoints (upstream's tinynet.py builds timm's EfficientNet),
so their layouts are timm's ``tinynet_{a..e}``. Shims let the 2021-2022 code import under
today's numpy and timm: ``np.float`` (removed in numpy 1.24), ``timm.models.layers.helpers``
(moved), and timm's model registry, which refuses the upstream factories' names that timm
registers too.
"""
import importlib
import json
import os.path as osp
import sys
import types

import numpy as np

#: upstream folder, module -> the factories (name, or name: keyword arguments) written
FACTORIES = {
    ('ghostnetv2_pytorch/model', 'ghostnetv2_torch'): {
        f'ghostnetv2_{width}x': ('ghostnetv2', dict(num_classes=1000, width=width, dropout=0.2,
                                                    args=None)) for width in (1.3, 1.6)},
    ('tnt_pytorch', 'tnt'): ['tnt_b_patch16_224'],
    ('g_ghost_pytorch', 'g_ghost_regnet'): [
        'g_ghost_regnetx_032', 'g_ghost_regnetx_080', 'g_ghost_regnetx_160'],
    ('vig_pytorch', 'pyramid_vig'): ['pvig_ti_224_gelu', 'pvig_m_224_gelu', 'pvig_b_224_gelu'],
    ('vig_pytorch', 'vig'): ['vig_ti_224_gelu', 'vig_b_224_gelu'],
    ('wavemlp_pytorch/models', 'wavemlp'): ['WaveMLP_T_dw', 'WaveMLP_T', 'WaveMLP_M'],
}


def install_shims():
    np.float = float
    import timm.layers
    import timm.models.registry
    sys.modules['timm.models.layers.helpers'] = types.SimpleNamespace(
        to_2tuple=timm.layers.to_2tuple)
    timm.models.registry.register_model = lambda fn: fn


def write(out_dir, name, source, state):
    layout = [[key, list(value.shape), str(value.dtype).replace('torch.', '')]
              for key, value in state.items()]
    with open(osp.join(out_dir, f'{name}.layout.json'), 'w') as f:
        json.dump(dict(model=name, upstream=source, keys=layout), f, separators=(',', ':'))
    print(name, len(layout), 'keys')


def main(upstream):
    install_shims()
    out_dir = osp.dirname(osp.abspath(__file__))
    for (folder, module_name), factories in FACTORIES.items():
        sys.path.insert(0, osp.join(upstream, folder))
        module = importlib.import_module(module_name)
        if not isinstance(factories, dict):
            factories = {name: (name, {}) for name in factories}
        for name, (factory, kwargs) in factories.items():
            write(out_dir, name, f'{folder}/{module_name}.py',
                  getattr(module, factory)(**kwargs).state_dict())
        sys.path.pop(0)
    import timm
    for size in 'abcde':
        write(out_dir, f'tinynet_{size}', f'timm tinynet_{size} (timm {timm.__version__})',
              timm.create_model(f'tinynet_{size}').state_dict())


if __name__ == '__main__':
    main(sys.argv[1])
