"""AugViT: vision transformers with augmented shortcuts as detection / segmentation backbones.

Paper: Tang, Han, Xu, Xiao, Deng, Xu and Wang, "Augmented Shortcuts for Vision Transformers",
NeurIPS 2021 (arXiv:2106.15941). Official code: huawei-noah/Efficient-AI-Backbones,
``augvit_pytorch/models/augvit.py``.

Each block adds, next to the identity shortcut, one or two *augmented shortcuts* (a linear map
of the channels followed by GELU) to both its attention and its MLP residual. The linear map is a
dense matrix (``linear``) or a block-circulant one (``circulant``: every ``C/4 x C/4`` block is a
circulant matrix, so it has ``4 C`` weights instead of ``C^2``). With two shortcuts the sum of
the residual is scaled by 3/4. The shortcuts act on each token's channels alone, so they do not
depend on the number of tokens: nothing in them changes with the input size.

Layout: blocks, the model, the official checkpoint converters, the official variants.
"""
import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from ...registry import MODELS
from ...weights.fitting import linear_cls_head
from ...weights.records import OfficialModel
from ..family import SIGNED_NORM, Converters, Family, Paper
from ..layers.grad_checkpoint import maybe_checkpoint
from ..layers.transformer import Mlp, MultiheadAttention, PatchEmbed, init_transformer_weights
from .base import IsotropicTransformer, select_arch

__all__ = ['AugViT', 'CirculantLinear', 'convert_official_augvit', 'convert_official_augvit_head']


class CirculantLinear(nn.Module):
    """Linear layer whose ``(out, in)`` weight is made of circulant ``b x b`` blocks.

    With ``m = min(in, out)`` and ``b = m / num_blocks``, the weight holds
    ``(num_blocks * out / m) x (num_blocks * in / m)`` blocks; block ``(I, J)`` is the circulant
    matrix ``W[I b + u, J b + v] = w[I, J, (u - v) mod b]`` of its ``b`` weights, stored flat in
    ``weight_list`` as upstream does. The dense weight is gathered on each call (from a ``b x b``
    index, not upstream's ``out x in`` one; the values are the same).

    Args:
        in_features (int): Input features.
        out_features (int): Output features.
        bias (bool): Add a bias. Defaults to True.
        num_blocks (int): Circulant blocks along the smaller dimension (upstream ``num_cir``).
            Defaults to 4.
    """

    def __init__(self, in_features, out_features, bias=True, num_blocks=4):
        super().__init__()
        smaller = min(in_features, out_features)
        if smaller % num_blocks or (num_blocks * in_features) % smaller \
                or (num_blocks * out_features) % smaller:
            raise ValueError(f'CirculantLinear({in_features}, {out_features}) cannot be split '
                             f'into circulant blocks with num_blocks={num_blocks}: the smaller '
                             f'size must divide by num_blocks and both sizes into its blocks')
        self.in_features, self.out_features = in_features, out_features
        self.block_size = smaller // num_blocks
        self.grid = (num_blocks * out_features // smaller, num_blocks * in_features // smaller)
        self.weight_list = nn.Parameter(torch.empty(self.grid[0] * self.grid[1] * self.block_size))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        offsets = torch.arange(self.block_size)
        self.register_buffer('circulant_index',
                             (offsets[:, None] - offsets[None, :]) % self.block_size,
                             persistent=False)
        # uniform in +-1/sqrt(in_features), as torch's Linear
        bound = in_features**-0.5
        nn.init.uniform_(self.weight_list, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def expand(self, values):
        """Lays out ``values`` (one per ``weight_list`` entry) as the dense ``(out, in)`` matrix;
        ``expand(torch.arange(n))`` is upstream's ``index_matrix``."""
        rows, cols = self.grid
        blocks = values.view(rows, cols, self.block_size)[:, :, self.circulant_index]
        return blocks.transpose(1, 2).reshape(self.out_features, self.in_features)

    def forward(self, x):
        return F.linear(x, self.expand(self.weight_list), self.bias)


class AugmentedShortcut(nn.Module):
    """A learned shortcut: ``act(linear(x))`` with a dense or block-circulant linear map."""

    def __init__(self, channels, kind, num_blocks=4, act_cfg=dict(type='GELU')):
        super().__init__()
        if kind == 'circulant':
            self.linear = CirculantLinear(channels, channels, num_blocks=num_blocks)
        else:
            self.linear = nn.Linear(channels, channels)
        self.act = build_activation_layer(act_cfg)

    def forward(self, x):
        return self.act(self.linear(x))


class AugViTBlock(nn.Module):
    """Pre-norm transformer block with augmented shortcuts on both residuals.

    ``x = s * (x + drop_path(attn(n)) + sum_k aug_k(n))`` with ``n = norm1(x)``, then the same
    with ``norm2`` and the MLP; ``s`` is 3/4 with two augmented shortcuts per residual, else 1.
    Stochastic depth applies to the attention / MLP branch only, as upstream.

    Args:
        channels (int): Token channels.
        num_heads (int): Attention heads.
        mlp_ratio (float): MLP hidden channels / channels. Defaults to 4.
        shortcut (str, optional): ``'linear'``, ``'circulant'`` or None (plain ViT block).
        num_shortcuts (int): Augmented shortcuts per residual (0, 1 or 2). Defaults to 0.
        num_blocks (int): Circulant blocks (see :class:`CirculantLinear`). Defaults to 4.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): Defaults to ``dict(type='LN', eps=1e-6)``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, num_heads, mlp_ratio=4., shortcut=None, num_shortcuts=0,
                 num_blocks=4, drop_path=0., with_cp=False, norm_cfg=dict(type='LN', eps=1e-6),
                 act_cfg=dict(type='GELU')):
        super().__init__()
        self.with_cp = with_cp
        self.norm1 = build_norm_layer(norm_cfg, channels)[1]
        self.attn = MultiheadAttention(channels, num_heads, qkv_bias=True)
        self.norm2 = build_norm_layer(norm_cfg, channels)[1]
        self.mlp = Mlp(channels, int(channels * mlp_ratio), act_cfg)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.attn_shortcuts = nn.ModuleList(
            AugmentedShortcut(channels, shortcut, num_blocks, act_cfg)
            for _ in range(num_shortcuts))
        self.mlp_shortcuts = nn.ModuleList(
            AugmentedShortcut(channels, shortcut, num_blocks, act_cfg)
            for _ in range(num_shortcuts))
        # upstream rescales the residual sum when it holds two augmented shortcuts
        self.residual_scale = 0.75 if num_shortcuts == 2 else 1.

    def _residual(self, x, norm, branch, shortcuts):
        normed = norm(x)
        x = x + self.drop_path(branch(normed))
        for shortcut in shortcuts:
            x = x + shortcut(normed)
        return x * self.residual_scale if self.residual_scale != 1. else x

    def _inner_forward(self, x):
        x = self._residual(x, self.norm1, self.attn, self.attn_shortcuts)
        return self._residual(x, self.norm2, self.mlp, self.mlp_shortcuts)

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)


@MODELS.register_module()
class AugViT(IsotropicTransformer):
    """Vision transformer with augmented shortcuts (AugViT): stride-16 maps from chosen blocks.

    A 16x16 patch embedding, a class token and a learned absolute position embedding, then
    ``depth`` :class:`AugViTBlock` s and a final LayerNorm. ``out_indices`` index blocks; each
    output is the block's patch tokens as a ``(B, C, ceil(H/16), ceil(W/16))`` map (the class
    token is dropped), or, with ``out_type='cls_token'``, the ``(B, C)`` class token (the
    upstream classifier's input). For FPN-based heads, put :class:`SimplePyramid` after it.

    Any input size works: inputs whose sides are not multiples of 16 are zero-padded at the
    bottom / right (``ceil`` grid), and the patch part of the position embedding is resized
    bicubically to the actual grid (left untouched at the ``pretrain_img_size`` grid).

    Args:
        arch (str | dict): ``'s'``/``'small'`` (384 channels, 6 heads, 12 blocks),
            ``'b'``/``'base'`` (768, 12, 12), or a dict with ``embed_dims``, ``num_heads`` and
            ``depth``. Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        shortcut_mode (str): Augmented shortcuts, by upstream's ``mode`` names: ``'base'``
            (none: a plain ViT), ``'linear'`` / ``'circulant'`` (one per residual), ``'linear2'``
            / ``'circulant2'`` (two per residual, residual sum scaled by 3/4). Defaults to
            ``'circulant2'`` (the AugViT the paper trains).
        num_cir (int): Circulant blocks per layer (upstream ``num_cir``). Defaults to 4.
        mlp_ratio (float): MLP hidden channels / channels. Defaults to 4.
        pretrain_img_size (int): Image size of the ``pos_embed`` (``s/16`` square grid plus the
            class token). Defaults to 224.
        out_indices (Sequence[int]): Blocks whose outputs are returned. Defaults to ``(-1, )``.
        out_type (str): ``'featmap'`` (patch tokens as maps) or ``'cls_token'``.
            Defaults to ``'featmap'``.
        final_norm (bool): Apply the final LayerNorm to the last block's output (as upstream
            before its head; other blocks' outputs are never normalised). Defaults to True.
        frozen_stages (int): ``-1`` none, ``0`` patch embedding + class token + ``pos_embed``,
            ``i`` also blocks ``< i`` (and, for ``i = depth``, the final norm). Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode; AugViT has none (LayerNorm only),
            so it has no effect here. Defaults to False.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over the blocks. Defaults to 0.
        norm_cfg (dict): Defaults to ``dict(type='LN', eps=1e-6)`` (upstream's eps; 1e-5
            changes the outputs measurably).
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly. Defaults to None: truncated-normal (std 0.02, zero bias) dense linear
            layers, class token and position embedding, as DeiT (circulant layers: see
            :class:`CirculantLinear`).
    """

    arch_zoo = {
        **dict.fromkeys(['s', 'small'], dict(embed_dims=384, num_heads=6, depth=12)),
        **dict.fromkeys(['b', 'base'], dict(embed_dims=768, num_heads=12, depth=12)),
    }
    # mode -> (shortcut kind, shortcuts per residual)
    shortcut_modes = {
        'base': (None, 0),
        'linear': ('linear', 1),
        'linear2': ('linear', 2),
        'circulant': ('circulant', 1),
        'circulant2': ('circulant', 2),
    }
    input_conv = 'patch_embed.proj'

    def __init__(self, arch='s', in_channels=3, shortcut_mode='circulant2', num_cir=4, mlp_ratio=4.,
                 pretrain_img_size=224, out_indices=(-1, ), out_type='featmap', final_norm=True,
                 frozen_stages=-1, norm_eval=False, with_cp=False, drop_path_rate=0.,
                 norm_cfg=dict(type='LN', eps=1e-6), act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(in_channels, pretrain_img_size, out_indices, out_type, final_norm,
                         frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('embed_dims', 'num_heads', 'depth'))
        channels, depth = arch['embed_dims'], arch['depth']
        if shortcut_mode not in self.shortcut_modes:
            raise ValueError(f'Unknown shortcut_mode {shortcut_mode!r}; choose one of '
                             f'{sorted(self.shortcut_modes)}')

        self.patch_embed = PatchEmbed(channels, self.patch_size, in_channels)
        self._build_class_token(channels)

        kind, num_shortcuts = self.shortcut_modes[shortcut_mode]
        drop_rates = torch.linspace(0, drop_path_rate, depth).tolist()
        self.blocks = nn.ModuleList(
            AugViTBlock(channels, arch['num_heads'], mlp_ratio, kind, num_shortcuts, num_cir,
                        drop_rates[i], with_cp, norm_cfg, act_cfg) for i in range(depth))
        self.norm = build_norm_layer(norm_cfg, channels)[1]
        init_transformer_weights(self.pos_embed, self.cls_token, self)

        self._setup_outputs([channels] * depth, [self.patch_size] * depth)

    @property
    def stages(self):
        """The blocks (upstream's ``blocks``), each a stage of its own."""
        return self.blocks

    def _stem_modules(self):
        return [self.patch_embed, self.cls_token, self.pos_embed]

    def forward(self, x):
        tokens, hw = self.patch_embed(x)
        outputs = self._run_stages(self._add_class_token(tokens, hw))
        return tuple(self._token_output(i, block_tokens, hw) for i, block_tokens in outputs)


# Official augmented-shortcut prefixes under ``blocks.{i}.`` -> mmghost's.
_OFFICIAL_SHORTCUT_KEYS = {
    'augs_attn.0.': 'attn_shortcuts.0.linear.', 'augs_attn2.0.': 'attn_shortcuts.1.linear.',
    'augs.0.': 'mlp_shortcuts.0.linear.', 'augs2.0.': 'mlp_shortcuts.1.linear.',
}
_OFFICIAL_BLOCK_LAYERS = ('norm1.', 'attn.qkv.', 'attn.proj.', 'norm2.', 'mlp.fc1.', 'mlp.fc2.')
_OFFICIAL_TOP_KEYS = ('cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias',
                      'norm.weight', 'norm.bias')


def _check_circulant_index(key, index):
    """Official ``index_matrix`` buffers are derived; refuse one that is not the block-circulant
    layout :class:`CirculantLinear` rebuilds (a different layout would load silently wrong)."""
    num_weights = int(index.max()) + 1
    # the weights number num_blocks * out * in / min(out, in)
    layer = CirculantLinear(index.shape[1], index.shape[0],
                            num_blocks=max(1, num_weights * min(index.shape) // index.numel()))
    if layer.weight_list.numel() != num_weights or \
            not torch.equal(layer.expand(torch.arange(num_weights)), index.long()):
        raise ValueError(f'Official key {key!r} is not the block-circulant index AugViT uses')


def convert_official_augvit(state_dict):
    """Converts an official AugViT state dict (``augvit.py``, any mode) to :class:`AugViT`.

    The classifier (``head.*``) is dropped, so are the circulant ``index_matrix`` buffers, after
    checking they hold the layout :class:`CirculantLinear` rebuilds.

    Raises:
        KeyError: a key that is not part of the official layout.
        ValueError: an ``index_matrix`` that is not the block-circulant layout.
    """
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('head.'):
            continue
        if key.endswith('.index_matrix'):
            _check_circulant_index(key, value)
            continue
        new_key = key if key in _OFFICIAL_TOP_KEYS else None
        if key.startswith('blocks.'):
            prefix, index, rest = key.split('.', 2)
            if rest.startswith(_OFFICIAL_BLOCK_LAYERS):
                new_key = key
            for old, new in _OFFICIAL_SHORTCUT_KEYS.items():
                if rest.startswith(old):
                    new_key = f'{prefix}.{index}.{new}{rest[len(old):]}'
        if new_key is None:
            raise KeyError(f'Unknown official AugViT key {key!r}')
        converted[new_key] = value
    return converted


def convert_official_augvit_head(state_dict):
    """The upstream classifier ``head`` (Linear on the normalised class token) as mmpretrain's
    ``LinearClsHead`` keys."""
    return linear_cls_head(state_dict, 'head.')


def timm_vit_to_official(state_dict):
    """timm's ``vit_small_patch16_224`` is the network of ``augvit_small`` (a plain ViT-S/16,
    LayerNorm eps 1e-6, class-token head) with the same keys: nothing to rename."""
    return dict(state_dict)


_NO_WEIGHTS = 'upstream released no AugViT weights'


def _official(arch, mode, timm_to_official=None):
    channels = AugViT.arch_zoo[arch]['embed_dims']
    no_weights = _NO_WEIGHTS
    if timm_to_official is not None:
        no_weights += (" (this plain ViT-S is timm's vit_small_patch16_224: give the local path "
                       "of its model.safetensors)")
    return OfficialModel(
        backbone=dict(type='mmghost.AugViT', arch=arch, shortcut_mode=mode),
        no_weights=no_weights,
        # upstream: final norm -> class token -> Linear
        classifier=dict(
            backbone=dict(out_indices=(-1, ), out_type='cls_token', final_norm=True),
            neck=None,
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=channels,
                      loss=dict(type='CrossEntropyLoss'))),
        convert_head=convert_official_augvit_head,
        timm_to_official=timm_to_official)


_OFFICIAL_MODELS = {
    'augvit_small': _official('s', 'base', timm_vit_to_official),
    'augvit_small_linear': _official('s', 'linear'),
    'augvit_small_linear2': _official('s', 'linear2'),
    'augvit_small_circulant2': _official('s', 'circulant2'),
    'augvit_base_circulant2': _official('b', 'circulant2'),
}


FAMILY = Family(
    papers=(Paper('AugViT', 'Augmented Shortcuts for Vision Transformers',
                  'https://arxiv.org/abs/2106.15941', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/augvit_pytorch',
                  ('mmghost.AugViT', )), ),
    backbones={AugViT: Converters(convert_official_augvit)},
    official_models=_OFFICIAL_MODELS,
    smallest=('augvit_small', ),
    normalisation=SIGNED_NORM,
    no_decay_keys=('pos_embed', 'cls_token'))
