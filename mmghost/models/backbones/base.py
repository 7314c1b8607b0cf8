"""What every mmghost backbone shares: argument checks, freezing, ``norm_eval``, strict loading.

Subclasses build their layers (by default a ``stem`` and a ``stages`` list), then call
:meth:`MultiScaleBackbone._setup_outputs`; they override ``forward`` and
``_frozen_modules(num_stages)`` where their layout differs. They describe each output once, as
an :class:`OutputSpec` (channels, stride; the detectron2 ``output_shape`` idea), and report
``out_channels`` / ``out_strides`` from them, so that necks, heads and tools read them instead of
hand-typed lists, and ``input_divisor``, the size preprocessors should pad to.

The transformer families build on two subclasses: :class:`TransformerBackbone` (TNT, PyramidTNT,
AugViT: the final norm) and :class:`IsotropicTransformer` (TNT, AugViT: the class token, the
position embedding and the block outputs).
"""
from dataclasses import dataclass

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ...weights.fitting import fit_checkpoint, unwrap_state_dict
from ..family import family_of
from ..layers.transformer import resize_pos_embed, tokens_to_map


@dataclass(frozen=True)
class OutputSpec:
    """A backbone output map: its channels and stride (input pixels per map pixel), as
    detectron2's ``ShapeSpec`` and timm's ``feature_info``. A backbone describes every stage with
    one (``stage_specs``) and its outputs with those of ``out_indices`` (``output_specs``)."""
    channels: int
    stride: int


def select_arch(arch, arch_zoo, required_keys):
    """Looks ``arch`` up in a class-level ``arch_zoo`` table, or checks a custom arch dict.

    Raises:
        ValueError: unknown name (the valid names are listed) or a dict missing keys.
    """
    if isinstance(arch, str):
        key = arch.lower()
        if key not in arch_zoo:
            raise ValueError(f'Unknown arch {arch!r}; choose one of {sorted(arch_zoo)} '
                             f'or pass a dict with keys {sorted(required_keys)}')
        return dict(arch_zoo[key])
    if isinstance(arch, dict):
        missing = set(required_keys) - set(arch)
        if missing:
            raise ValueError(f'Custom arch dict is missing {sorted(missing)}; it needs '
                             f'{sorted(required_keys)}')
        return dict(arch)
    raise TypeError(f'arch must be a str or dict, got {type(arch).__name__}')


class MultiScaleBackbone(BaseModule):
    """Base class of the mmghost backbones.

    Inputs are checked before the forward: a 4-D floating-point ``(N, C, H, W)`` tensor with
    ``C == in_channels`` and sides of at least :meth:`min_input_size`; anything else raises a
    ``ValueError`` that says what is expected. A batch of 0 images gives empty outputs.

    Pretrained weights of an RGB network load into any ``in_channels`` by adapting the input
    conv (``input_conv``), as timm's ``adapt_input_conv``: for 1 channel its weight is summed
    over RGB; for N channels RGB is repeated cyclically and scaled by 3 / N (so that N equal
    channels give the RGB network's response). The adaptation is logged.

    Args:
        in_channels (int): Image channels.
        out_indices (Sequence[int]): Stages whose outputs are returned. Negative indices count
            from the end.
        frozen_stages (int): ``-1`` freezes nothing, ``0`` the stem, ``i`` the stem and the
            first ``i`` stages (mmdet convention).
        norm_eval (bool): Keep every BatchNorm in eval mode while training.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=..., prefix=...)`` loads
            strictly: a checkpoint that does not fit is refused with its missing and unexpected
            keys listed. An official (upstream-format) or timm state dict, a ``.safetensors``
            file and an official release URL (``OFFICIAL_MODELS[name].weights.url``, through
            the torch hub cache) are converted on the fly.
    """

    #: The module that sees the image (its weight is adapted to ``in_channels``).
    input_conv = None

    def __init__(self, in_channels, out_indices, frozen_stages, norm_eval, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or isinstance(in_channels, bool) or in_channels < 1:
            raise ValueError(f'in_channels must be a positive int (3 for RGB), got '
                             f'{in_channels!r}')
        self.in_channels = in_channels
        self.register_forward_pre_hook(type(self)._check_input)
        self._out_indices_arg = out_indices
        self._frozen_stages_arg = frozen_stages
        self.norm_eval = norm_eval

    def _setup_outputs(self, stage_channels, stage_strides):
        """Validates ``out_indices``/``frozen_stages`` against the built stages, then freezes.

        Args:
            stage_channels (Sequence[int]): Output channels of every stage.
            stage_strides (Sequence[int]): Output stride of every stage.
        """
        num_stages = len(stage_channels)
        self.stage_specs = tuple(OutputSpec(int(c), int(s))
                                 for c, s in zip(stage_channels, stage_strides))
        out_indices = self._out_indices_arg
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        valid = list(range(-num_stages, num_stages))
        if not out_indices or any(not isinstance(i, int) or i not in valid for i in out_indices):
            raise ValueError(f'out_indices must be a non-empty sequence of stage indices in '
                             f'{valid}, got {self._out_indices_arg!r}')
        out_indices = tuple(i % num_stages for i in out_indices)
        if len(set(out_indices)) != len(out_indices):
            raise ValueError(f'out_indices {self._out_indices_arg!r} names a stage twice')
        frozen = self._frozen_stages_arg
        if not isinstance(frozen, int) or not -1 <= frozen <= num_stages:
            raise ValueError(f'frozen_stages must be an int in [-1, {num_stages}] (-1: none, '
                             f'0: stem, i: stem + first i stages), got {frozen!r}')
        self.out_indices = out_indices
        self.frozen_stages = frozen
        del self._out_indices_arg, self._frozen_stages_arg
        self._smallest_input = self.min_input_size()  # fixed from here on; checked per forward
        self._freeze_stages()

    @property
    def output_specs(self):
        """The :class:`OutputSpec` of each output, in ``out_indices`` order."""
        return tuple(self.stage_specs[i] for i in self.out_indices)

    @property
    def stage_channels(self):
        return tuple(spec.channels for spec in self.stage_specs)

    @property
    def stage_strides(self):
        return tuple(spec.stride for spec in self.stage_specs)

    @property
    def out_channels(self):
        """Channels of each output: what a neck's or head's ``in_channels`` must be."""
        return tuple(spec.channels for spec in self.output_specs)

    @property
    def out_strides(self):
        return tuple(spec.stride for spec in self.output_specs)

    @property
    def input_divisor(self):
        """What input sides should be a multiple of (the data preprocessor's
        ``pad_size_divisor``) for every output to be exactly ``1 / stride`` of the input: the
        largest stride of the stages that run. Other sizes work too, rounded by the layers."""
        return max(spec.stride for spec in self.stage_specs[:max(self.out_indices) + 1])

    def _frozen_modules(self, num_stages):
        """Modules (or parameters) frozen by ``frozen_stages=num_stages``: by default
        ``self.stem`` (0) and the first ``num_stages`` of ``self.stages``."""
        return [self.stem, *self.stages[:num_stages]]

    def _unused_modules(self):
        """The stages after the last output: not run, so frozen (their weights stay, so
        official checkpoints load strictly, and DDP meets no parameter without gradient)."""
        return self.stages[max(self.out_indices) + 1:]

    def _freeze_stages(self):
        frozen = self._frozen_modules(self.frozen_stages) if self.frozen_stages >= 0 else []
        for item in [*frozen, *self._unused_modules()]:
            if hasattr(item, 'parameters'):
                item.eval()
                for param in item.parameters():
                    param.requires_grad = False
            else:
                item.requires_grad = False

    def min_input_size(self):
        """The smallest input side the model takes, for its ``out_indices`` (1 unless a layer
        needs a minimum grid)."""
        return 1

    def _check_input(self, args):
        """Forward pre-hook: refuses an input the model cannot take, saying what it expects."""
        name = type(self).__name__
        x = args[0] if args else None
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            got = f'shape {tuple(x.shape)}' if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f'{name} takes a 4-D (N, C, H, W) image tensor, got {got}')
        if not x.is_floating_point():
            raise ValueError(f'{name} takes a floating-point tensor, got {x.dtype}: normalise '
                             f'the images first (the data preprocessor does)')
        if torch.jit.is_tracing():
            return  # sizes are traced values here; the export tool runs the model eagerly first
        if x.shape[1] != self.in_channels:
            raise ValueError(f'{name} is built for in_channels={self.in_channels}, got an input '
                             f'with {x.shape[1]} channels (shape {tuple(x.shape)})')
        smallest = self._smallest_input
        if min(x.shape[-2:]) < smallest:
            raise ValueError(f'{name} with out_indices={self.out_indices} takes inputs of at '
                             f'least {smallest}x{smallest} pixels, got {x.shape[-2]}x'
                             f'{x.shape[-1]}')

    def forward(self, x):
        """The stem, then the stages up to the last output; returns the ``out_indices`` maps."""
        return self._forward_stages(self.stem(x))

    def _run_stages(self, x):
        """Runs the stages on ``x`` up to the last output; yields ``(index, state)`` after each
        stage of ``out_indices``."""
        for i, stage in enumerate(self.stages[:max(self.out_indices) + 1]):
            x = stage(x)
            if i in self.out_indices:
                yield i, x

    def _forward_stages(self, x):
        return tuple(self._stage_output(i, state) for i, state in self._run_stages(x))

    def _stage_output(self, index, x):
        """What stage ``index`` returns: its map (a family may add an output norm)."""
        return x

    def train(self, mode=True):
        """Sets the mode, keeping frozen stages and (with ``norm_eval``) every BN in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self):
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix', ''),
                                 map_location=cfg.get('map_location', 'cpu'))
            self._is_init = True
            return
        super().init_weights()

    def _optional_modules(self):
        """Names of submodules a checkpoint may lack as a whole: layers mmghost adds to the
        upstream network (e.g. detection-only output norms). Absent ones keep their fresh
        initialisation and are logged; present ones load like any other key."""
        return ()

    def _required_keys(self, own, keys):
        """``own`` minus the keys of the optional modules that ``keys`` holds nothing of."""
        absent = [name + '.' for name in self._optional_modules()
                  if not any(k.startswith(name + '.') for k in keys)]
        return {k for k in own if not k.startswith(tuple(absent))} if absent else set(own)

    def _checkpoint_layouts(self):
        """``(layout, converter)`` pairs a checkpoint's state dict may be in, tried in order:
        mmghost's own keys, the official upstream layout, timm's layout of the same network."""
        layouts = [('mmghost', dict)]
        family, cls = family_of(type(self))
        if family is not None:
            converters = family.backbones[cls]
            layouts.append(('official', converters.official))
            if converters.timm is not None:
                layouts.append(('timm', lambda state: converters.official(converters.timm(state))))
        return layouts

    def _adapt_input_conv(self, state, adapted):
        """``state`` with an RGB input conv weight adapted to ``in_channels``; unchanged when the
        counts already agree. ``adapted`` is left holding the adapted key of this call only (the
        layout that fits is the last one adapted)."""
        adapted.clear()
        key = f'{self.input_conv}.weight'
        weight = state.get(key)
        if weight is None or weight.shape[1] != 3 or self.in_channels == 3:
            return state
        if self.in_channels == 1:
            weight = weight.sum(dim=1, keepdim=True)
        else:
            repeats = -(-self.in_channels // 3)
            weight = weight.repeat(1, repeats, 1, 1)[:, :self.in_channels] * (3 / self.in_channels)
        adapted.append(key)
        return {**state, key: weight}

    def load_pretrained(self, checkpoint, prefix='', map_location='cpu'):
        """Loads a checkpoint strictly (local path, ``.safetensors``, URL or any mmengine scheme).

        Accepts mmghost-format state dicts and, where the family has converters, official and
        timm ones. Anything else is refused before a single tensor is copied, with the missing
        and unexpected keys listed; only the ``_optional_modules()`` may be absent (they are then
        kept and logged). Weights with NaN or Inf are refused too.
        """
        raw = CheckpointLoader.load_checkpoint(checkpoint, map_location=map_location)
        own = self.state_dict()
        adapted = []
        layout, state, required = fit_checkpoint(
            unwrap_state_dict(raw, prefix), own, self._checkpoint_layouts(),
            f'Checkpoint {checkpoint} does not fit {type(self).__name__}',
            required=lambda keys: self._required_keys(own, keys),
            adapt=lambda converted: self._adapt_input_conv(converted, adapted))
        if layout != 'mmghost':
            print_log(f'{type(self).__name__}: converted {layout} checkpoint {checkpoint}',
                      logger='current')
        if adapted:
            print_log(f'{type(self).__name__}: {adapted[0]} adapted from 3 input channels to '
                      f'in_channels={self.in_channels} (1: the sum over RGB; N: RGB repeated, '
                      f'scaled by 3/N)', logger='current')
        fresh = [k for k in own if k not in required]
        self.load_state_dict(state, strict=not fresh)
        if fresh:
            print_log(f'{type(self).__name__}: not in {checkpoint}, newly initialised: '
                      + ', '.join(fresh), logger='current')
        print_log(f'{type(self).__name__}: loaded {checkpoint}', logger='current')


class TransformerBackbone(MultiScaleBackbone):
    """What the transformer families (TNT, PyramidTNT, AugViT) share: the modules before the
    first stage (``_stem_modules()``) and upstream's final LayerNorm ``norm``, which acts on the
    last stage's tokens when ``final_norm`` is set (:meth:`_final_tokens`).

    ``frozen_stages=0`` freezes ``_stem_modules()``, ``i`` also ``stages[:i]`` (and ``norm``,
    where built, with the last stage). ``norm`` is unused, so frozen, when the last stage is not
    run or ``final_norm`` is off.

    Arguments are those of :class:`MultiScaleBackbone`, and:

    Args:
        final_norm (bool): Apply ``norm`` to the last stage's tokens.
    """

    def __init__(self, in_channels, out_indices, frozen_stages, norm_eval, final_norm,
                 init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        self.final_norm = final_norm

    def _stem_modules(self):
        """The modules and parameters before the first stage."""
        raise NotImplementedError

    def _built_norm(self):
        # a family may build the final norm only with final_norm (then checkpoints lack it)
        return [self.norm] if hasattr(self, 'norm') else []

    def _frozen_modules(self, num_stages):
        frozen = [*self._stem_modules(), *self.stages[:num_stages]]
        if num_stages == len(self.stages):
            frozen += self._built_norm()
        return frozen

    def _unused_modules(self):
        unused = list(super()._unused_modules())
        if not self.final_norm or max(self.out_indices) < len(self.stages) - 1:
            unused += self._built_norm()  # it acts on the last stage's output only
        return unused

    def _final_tokens(self, index, tokens):
        """Stage ``index``'s tokens, through ``norm`` for the last stage with ``final_norm``."""
        if self.final_norm and index == len(self.stages) - 1:
            return self.norm(tokens)
        return tokens


class IsotropicTransformer(TransformerBackbone):
    """What the isotropic transformers with a class token (TNT, AugViT) share.

    The patch tokens of the ``patch_size`` grid get a class token in front and a learned
    position embedding ``pos_embed`` (:meth:`_add_class_token`), stored for the
    ``pretrain_img_size`` grid and resized bicubically to the input's. Each block is a stage of
    its own (``out_indices`` and ``frozen_stages`` count blocks); a block's output
    (:meth:`_token_output`) is its tokens, through the final norm for the last block with
    ``final_norm``, as the ``(B, C)`` class token (``out_type='cls_token'``, the upstream
    classifier's input) or the patch tokens as a ``(B, C, h, w)`` map (``'featmap'``).

    Arguments are those of :class:`TransformerBackbone`, and:

    Args:
        pretrain_img_size (int): Image size of ``pos_embed``; a multiple of ``patch_size``.
        out_type (str): ``'featmap'`` or ``'cls_token'``.
    """

    out_types = ('featmap', 'cls_token')
    patch_size = 16

    def __init__(self, in_channels, pretrain_img_size, out_indices, out_type, final_norm,
                 frozen_stages, norm_eval, init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, final_norm, init_cfg)
        if out_type not in self.out_types:
            raise ValueError(f'Unknown out_type {out_type!r}; choose one of {self.out_types}')
        if pretrain_img_size % self.patch_size:
            raise ValueError(f'pretrain_img_size must be a multiple of {self.patch_size}, '
                             f'got {pretrain_img_size}')
        self.out_type = out_type
        self.pretrain_grid = (pretrain_img_size // self.patch_size, ) * 2

    def _build_class_token(self, channels):
        """Registers ``cls_token`` ``(1, 1, C)`` and ``pos_embed`` ``(1, 1 + h*w, C)`` (class
        token entry first, then the pretrain grid), zeros until initialised. A family calls it
        where they come in its checkpoints' key order."""
        self.cls_token = nn.Parameter(torch.zeros(1, 1, channels))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, 1 + self.pretrain_grid[0] * self.pretrain_grid[1], channels))

    def _add_class_token(self, tokens, hw):
        """``(B, N, C)`` patch tokens on the ``hw`` grid -> ``(B, 1 + N, C)``, class token
        first, position embedding added."""
        tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        return tokens + resize_pos_embed(self.pos_embed, self.pretrain_grid, hw,
                                         num_extra_tokens=1)

    def _token_output(self, index, tokens, hw):
        """What block ``index`` returns from its ``(B, 1 + N, C)`` tokens on the ``hw`` grid."""
        tokens = self._final_tokens(index, tokens)
        if self.out_type == 'cls_token':
            return tokens[:, 0]
        return tokens_to_map(tokens[:, 1:], hw)
