"""Upstream model names -> mmghost backbone configs and checkpoint converters.

``official_backbone_cfg(name)`` is the backbone that a checkpoint converted by
``tools/model_converters/official2mmghost.py --model name`` fits, strictly.
"""
import copy

from .models.backbones.vig import convert_official_pyramid_vig, convert_official_vig

# name -> (backbone config, converter of the official state dict)
OFFICIAL_MODELS = {
    f'pvig_{size}_224_gelu': (dict(type='mmghost.PyramidViG', arch=size),
                              convert_official_pyramid_vig)
    for size in ('ti', 's', 'm', 'b')
}
OFFICIAL_MODELS.update({
    f'vig_{size}_224_gelu': (dict(type='mmghost.ViG', arch=size), convert_official_vig)
    for size in ('ti', 's', 'b')
})


def _entry(name):
    if name not in OFFICIAL_MODELS:
        raise KeyError(f'Unknown official model {name!r}; choose one of {sorted(OFFICIAL_MODELS)}')
    return OFFICIAL_MODELS[name]


def official_backbone_cfg(name, **overrides):
    """The backbone config matching an upstream model name, e.g. ``'pvig_s_224_gelu'``.

    Args:
        name (str): Upstream factory name (see ``OFFICIAL_MODELS``).
        **overrides: Backbone arguments to set (``out_indices``, ``init_cfg``, ...).

    Returns:
        dict: A config for ``MODELS.build``.
    """
    cfg = copy.deepcopy(_entry(name)[0])
    cfg.update(overrides)
    return cfg


def convert_official(name, state_dict):
    """Converts an official state dict of model ``name`` to mmghost keys."""
    return _entry(name)[1](state_dict)
