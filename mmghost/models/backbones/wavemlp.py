"""Wave-MLP as a detection / segmentation / classification backbone.

Paper: Tang et al., "An Image Patch is a Wave: Phase-Aware Vision MLP", CVPR 2022
(arXiv:2111.12294). Official code: huawei-noah/Efficient-AI-Backbones,
``wavemlp_pytorch/models/wavemlp.py`` (its ``WaveNet`` with ``fork_feat=True`` is the upstream
detection form: outputs at strides 4/8/16/32, each through a fresh norm layer).

Layout: blocks, the model, the official checkpoint converters, the official variants.
"""
import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmcv.cnn.bricks import DropPath
from torch import nn

from ...registry import MODELS
from ...weights.records import OLD_RELEASES, OfficialModel, Weights
from ..family import Converters, Family, Paper
from ..layers.grad_checkpoint import maybe_checkpoint
from ..layers.tracing import ceil_div, clamp_min, for_any_size
from ..layers.transformer import Mlp
from .base import MultiScaleBackbone, select_arch

__all__ = ['WaveMLP', 'convert_official_wavemlp', 'convert_official_wavemlp_head']


class ConvEmbedding(nn.Module):
    """Overlapping conv embedding: ``proj`` (Conv2d with bias) then ``norm`` (or none).

    The conv pads ``padding`` on every side, as upstream. Where that leaves fewer than
    ``ceil(size / stride)`` outputs (upstream's 7x7 stride-4 patch embedding with padding 2 on
    sizes ``4k + 1`` and ``4k + 2``), the bottom / right edge gets the extra zero padding that
    the last output needs; every other output is upstream's, and shapes are ceil-consistent.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size.
        stride (int): Stride.
        padding (int): Zero padding on every side.
        norm_cfg (dict, optional): None for no norm (upstream ``ds_use_norm=False``).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, norm_cfg=None):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)
        self.norm = nn.Identity() if norm_cfg is None else build_norm_layer(norm_cfg,
                                                                            out_channels)[1]

    def forward(self, x):
        (kernel, _), (stride, _), (padding, _) = (self.proj.kernel_size, self.proj.stride,
                                                  self.proj.padding)
        extra = [clamp_min((ceil_div(size, stride) - 1) * stride + kernel - size - 2 * padding, 0)
                 for size in x.shape[-2:]]
        if for_any_size() or any(extra):
            x = F.pad(x, (0, extra[1], 0, extra[0]))
        return self.norm(self.proj(x))


def phase_conv(channels, phase):
    """The phase estimate ``theta``: 1x1 conv (``'fc'``) or depthwise 3x3 conv without bias
    (``'depthwise'``), then BatchNorm (in every variant, GroupNorm ones included) and ReLU."""
    if phase == 'fc':
        conv = nn.Conv2d(channels, channels, 1)
    else:
        conv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
    return nn.Sequential(conv, build_norm_layer(dict(type='BN'), channels)[1],
                         build_activation_layer(dict(type='ReLU')))


class PhaseAwareTokenMixing(nn.Module):
    """PATM: every token is a wave, amplitude ``fc(x)`` and phase ``theta(x)``.

    The branch along W (``tfc_h``, a (1, 7) conv) and the one along H (``tfc_w``, (7, 1)) each
    take ``[a * cos(theta), a * sin(theta)]`` (2C channels) through a conv with ``groups=C``,
    so output channel ``c`` reads inputs ``2c`` and ``2c + 1``: two cosine parts for
    ``c < C/2``, two sine parts after. That is upstream's function and its checkpoints'; pairing
    each channel with its own cosine and sine would keep the weight shapes and change the
    model. A 1x1 conv ``fc_c`` is the third branch. The globally pooled sum of the branches goes
    through ``reweight`` (C -> C/4 -> 3C); entry ``3c + k`` of its output is the logit of branch
    ``k`` for channel ``c`` (softmax over the three branches), then ``proj`` (1x1 conv).

    Args:
        channels (int): Channels ``C``.
        phase (str): ``'fc'`` or ``'depthwise'`` (see :func:`phase_conv`).
        act_cfg (dict): Activation of ``reweight``. Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, phase='fc', act_cfg=dict(type='GELU')):
        super().__init__()
        self.fc_h = nn.Conv2d(channels, channels, 1, bias=False)
        self.fc_w = nn.Conv2d(channels, channels, 1, bias=False)
        self.fc_c = nn.Conv2d(channels, channels, 1, bias=False)
        self.tfc_h = nn.Conv2d(2 * channels, channels, (1, 7), padding=(0, 3), groups=channels,
                               bias=False)
        self.tfc_w = nn.Conv2d(2 * channels, channels, (7, 1), padding=(3, 0), groups=channels,
                               bias=False)
        self.reweight = Mlp(channels, channels // 4, act_cfg, out_channels=channels * 3,
                            conv=True)
        self.proj = nn.Conv2d(channels, channels, 1)
        self.theta_h_conv = phase_conv(channels, phase)
        self.theta_w_conv = phase_conv(channels, phase)

    @staticmethod
    def _wave(amplitude, theta):
        return torch.cat([amplitude * torch.cos(theta), amplitude * torch.sin(theta)], dim=1)

    def forward(self, x):
        batch, channels = x.shape[:2]
        h = self.tfc_h(self._wave(self.fc_h(x), self.theta_h_conv(x)))
        w = self.tfc_w(self._wave(self.fc_w(x), self.theta_w_conv(x)))
        c = self.fc_c(x)
        logits = self.reweight(F.adaptive_avg_pool2d(h + w + c, 1))
        weights = logits.reshape(batch, channels, 3, 1, 1).softmax(dim=2)
        return self.proj(h * weights[:, :, 0] + w * weights[:, :, 1] + c * weights[:, :, 2])


class WaveBlock(nn.Module):
    """``x + PATM(norm1(x))``, then ``x + MLP(norm2(x))``, with stochastic depth.

    Args:
        channels (int): Channels.
        mlp_ratio (float): MLP hidden channels / channels.
        phase (str): ``'fc'`` or ``'depthwise'``.
        drop_path (float): Stochastic depth rate. Defaults to 0.
        with_cp (bool): Gradient checkpointing for this block. Defaults to False.
        norm_cfg (dict): ``norm1`` / ``norm2``. Defaults to ``dict(type='GN', num_groups=1)``.
        act_cfg (dict): Defaults to ``dict(type='GELU')``.
    """

    def __init__(self, channels, mlp_ratio, phase, drop_path=0., with_cp=False,
                 norm_cfg=dict(type='GN', num_groups=1), act_cfg=dict(type='GELU')):
        super().__init__()
        self.with_cp = with_cp
        self.norm1 = build_norm_layer(norm_cfg, channels)[1]
        self.attn = PhaseAwareTokenMixing(channels, phase, act_cfg)
        self.norm2 = build_norm_layer(norm_cfg, channels)[1]
        self.mlp = Mlp(channels, int(channels * mlp_ratio), act_cfg, conv=True)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def _inner_forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def forward(self, x):
        return maybe_checkpoint(self, self._inner_forward, x)


@MODELS.register_module()
class WaveMLP(MultiScaleBackbone):
    """Wave-MLP backbone, outputs at strides 4/8/16/32.

    A 7x7 stride-4 conv embedding, then four stages of :class:`WaveBlock` with a 3x3 stride-2
    conv downsampling in front of stages 2-4. Works at any input size (>= 32); every output is
    ``ceil(size / stride)`` (see :class:`ConvEmbedding`).

    ``out_norms=True`` is upstream's detection form (``fork_feat=True``): a norm layer (the
    arch's ``norm_cfg``) on every output, named ``norm{i}`` after its stage. ImageNet
    checkpoints do not hold them: :meth:`load_pretrained` loads such a checkpoint into all the
    rest, strictly, and initialises the out norms the checkpoint lacks afresh (logged by key).
    With ``out_indices=(-1, )`` it is the classifier's final norm (upstream ``norm``).

    Args:
        arch (str | dict): ``'t_dw'``/``'tiny_dw'`` (upstream Wave-MLP-T*), ``'t'``/``'tiny'``,
            ``'s'``/``'small'``, ``'m'``/``'medium'``, ``'b'``/``'base'``, or a dict with
            ``channels``, ``depths``, ``mlp_ratios`` (4 entries each) and optionally ``norm_cfg``
            (default ``dict(type='GN', num_groups=1)``), ``phase`` (``'fc'`` or
            ``'depthwise'``, default ``'fc'``) and ``embed_norm`` (norm after the embedding and
            the downsamplings, default True). Defaults to ``'s'``.
        in_channels (int): Image channels. Defaults to 3. With other counts, pretrained
            RGB weights are adapted to them on loading (see :class:`MultiScaleBackbone`).
        out_indices (Sequence[int]): Stages to return. Defaults to ``(0, 1, 2, 3)``.
        out_norms (bool): A norm layer on every output (see above). Defaults to False: the raw
            stage outputs, the form official checkpoints convert to.
        frozen_stages (int): ``-1`` none, ``0`` the patch embedding, ``i`` also stages ``< i``
            and their out norms. Defaults to -1.
        norm_eval (bool): BatchNorm layers (the phase convs; every norm in T/T*) stay in eval
            mode in training. Defaults to False.
        with_cp (bool): Gradient checkpointing per block. Defaults to False.
        drop_path_rate (float): Stochastic depth, linear over all blocks. Defaults to 0.
        norm_cfg (dict, optional): Overrides the arch's norm (block, embedding, downsampling and
            out norms; the phase convs keep BatchNorm). Defaults to None.
        act_cfg (dict): Activation of the MLPs. Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): e.g. ``dict(type='Pretrained', checkpoint=...)``, loaded
            strictly but for the out norms (see above). Defaults to None.
    """

    _gn = dict(type='GN', num_groups=1)
    _bn = dict(type='BN')
    arch_zoo = {
        **dict.fromkeys(['t_dw', 'tiny_dw'], dict(
            channels=[64, 128, 320, 512], depths=[2, 2, 4, 2], mlp_ratios=[4, 4, 4, 4],
            norm_cfg=_bn, phase='depthwise', embed_norm=True)),
        **dict.fromkeys(['t', 'tiny'], dict(
            channels=[64, 128, 320, 512], depths=[2, 2, 4, 2], mlp_ratios=[4, 4, 4, 4],
            norm_cfg=_bn, phase='fc', embed_norm=True)),
        **dict.fromkeys(['s', 'small'], dict(
            channels=[64, 128, 320, 512], depths=[2, 3, 10, 3], mlp_ratios=[4, 4, 4, 4],
            norm_cfg=_gn, phase='fc', embed_norm=True)),
        **dict.fromkeys(['m', 'medium'], dict(
            channels=[64, 128, 320, 512], depths=[3, 4, 18, 3], mlp_ratios=[8, 8, 4, 4],
            norm_cfg=_gn, phase='fc', embed_norm=False)),
        **dict.fromkeys(['b', 'base'], dict(
            channels=[96, 192, 384, 768], depths=[2, 2, 18, 2], mlp_ratios=[4, 4, 4, 4],
            norm_cfg=_gn, phase='fc', embed_norm=False)),
    }
    num_stages = 4
    phases = ('fc', 'depthwise')
    input_conv = 'patch_embed.proj'

    def __init__(self, arch='s', in_channels=3, out_indices=(0, 1, 2, 3), out_norms=False,
                 frozen_stages=-1, norm_eval=False, with_cp=False, drop_path_rate=0., norm_cfg=None,
                 act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(in_channels, out_indices, frozen_stages, norm_eval, init_cfg)
        arch = select_arch(arch, self.arch_zoo, ('channels', 'depths', 'mlp_ratios'))
        channels, depths, mlp_ratios = arch['channels'], arch['depths'], arch['mlp_ratios']
        if not len(channels) == len(depths) == len(mlp_ratios) == self.num_stages:
            raise ValueError(f'arch needs {self.num_stages} channels, depths and mlp_ratios, got '
                             f'{channels}, {depths} and {mlp_ratios}')
        phase = arch.get('phase', 'fc')
        if phase not in self.phases:
            raise ValueError(f'arch phase must be one of {self.phases}, got {phase!r}')
        norm_cfg = norm_cfg or arch.get('norm_cfg', self._gn)
        embed_norm_cfg = norm_cfg if arch.get('embed_norm', True) else None

        self.patch_embed = ConvEmbedding(in_channels, channels[0], 7, stride=4, padding=2,
                                         norm_cfg=embed_norm_cfg)
        total = sum(depths)
        drop_rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        self.stages = nn.ModuleList()
        for i, (width, depth) in enumerate(zip(channels, depths)):
            stage = OrderedDict()
            if i > 0:
                stage['downsample'] = ConvEmbedding(channels[i - 1], width, 3, stride=2,
                                                    padding=1, norm_cfg=embed_norm_cfg)
            first = sum(depths[:i])
            stage['blocks'] = nn.Sequential(*[
                WaveBlock(width, mlp_ratios[i], phase, drop_rates[first + j], with_cp, norm_cfg,
                          act_cfg) for j in range(depth)])
            self.stages.append(nn.Sequential(stage))

        self.out_norms = out_norms
        self._setup_outputs(channels, [4 * 2**i for i in range(self.num_stages)])
        if out_norms:
            for i in self.out_indices:
                self.add_module(f'norm{i}', build_norm_layer(norm_cfg, channels[i])[1])
            self._freeze_stages()  # the out norms of frozen stages too

    def _out_norm_names(self):
        return [f'norm{i}' for i in self.out_indices] if self.out_norms else []

    def _frozen_modules(self, num_stages):
        norms = [getattr(self, name) for name in self._out_norm_names()
                 if hasattr(self, name) and int(name[len('norm'):]) < num_stages]
        return [self.patch_embed, *self.stages[:num_stages], *norms]

    def forward(self, x):
        return self._forward_stages(self.patch_embed(x))

    def _stage_output(self, index, x):
        return getattr(self, f'norm{index}')(x) if self.out_norms else x

    def _optional_modules(self):
        # ImageNet / official checkpoints hold no out norms: those keep their fresh init
        return self._out_norm_names()


def convert_official_wavemlp(state_dict):
    """Converts an official Wave-MLP state dict (``wavemlp.py``) to :class:`WaveMLP` keys.

    ``network.{2i}.{j}.*`` -> ``stages.{i}.blocks.{j}.*``, ``network.{2i+1}.*`` ->
    ``stages.{i+1}.downsample.*``, ``patch_embed.*`` unchanged, the ``fork_feat`` out norms
    ``norm{2i}.*`` -> ``norm{i}.*``. The classifier (``norm.*``, ``head.*``) is dropped (the
    released files' thop buffers are dropped before, by ``unwrap_state_dict``).

    Raises:
        KeyError: a key that is not part of the official layout.
    """
    converted = {}
    for key, value in state_dict.items():
        if key.startswith(('norm.', 'head.')):
            continue
        network = re.match(r'network\.(\d+)\.(.+)', key)
        fork_norm = re.match(r'norm(\d+)\.(.+)', key)
        if key.startswith('patch_embed.'):
            new_key = key
        elif network:
            index, rest = int(network[1]), network[2]
            new_key = (f'stages.{index // 2}.blocks.{rest}' if index % 2 == 0 else
                       f'stages.{index // 2 + 1}.downsample.{rest}')
        elif fork_norm and int(fork_norm[1]) % 2 == 0:
            new_key = f'norm{int(fork_norm[1]) // 2}.{fork_norm[2]}'
        else:
            raise KeyError(f'Unknown official Wave-MLP key {key!r}')
        converted[new_key] = value
    return converted


def convert_official_wavemlp_head(state_dict):
    """The upstream classifier, final ``norm`` -> global average pooling -> ``head`` (Linear),
    as ``backbone.norm3.*`` (the out norm of ``WaveMLP(out_indices=(-1, ), out_norms=True)``)
    and mmpretrain ``LinearClsHead`` keys ``head.fc.*``."""
    converted = {}
    for key, value in state_dict.items():
        if key.startswith('norm.'):
            converted[f'backbone.norm{WaveMLP.num_stages - 1}.' + key[len('norm.'):]] = value
        elif key.startswith('head.'):
            converted['head.fc.' + key[len('head.'):]] = value
    return converted


def _wavemlp_classifier(arch):
    return dict(
        backbone=dict(out_indices=(-1, ), out_norms=True),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000,
                  in_channels=WaveMLP.arch_zoo[arch]['channels'][-1],
                  loss=dict(type='CrossEntropyLoss')))


# ImageNet-1k top-1 of the release 'wavemlp' files WaveMLP_{name}.pth.tar; B was never released.
_TOP1 = {'T_dw': 80.1, 'T': 80.9, 'S': 82.9, 'M': 83.3}


def _weights(name):
    if name not in _TOP1:
        return None
    return Weights(f'{OLD_RELEASES}wavemlp/WaveMLP_{name}.pth.tar', top1=_TOP1[name],
                   quirks=('thop', ),
                   evidence='upstream train.py calls thop.profile before saving; hub loaders '
                   'drop keys ending in total_ops / total_params, then load strictly')


_OFFICIAL_MODELS = {
    f'WaveMLP_{name}': OfficialModel(
        backbone=dict(type='mmghost.WaveMLP', arch=name.lower()),
        weights=_weights(name),
        no_weights=None if name in _TOP1 else 'upstream released no WaveMLP-B weights',
        classifier=_wavemlp_classifier(name.lower()),
        convert_head=convert_official_wavemlp_head) for name in ('T_dw', 'T', 'S', 'M', 'B')
}


FAMILY = Family(
    papers=(Paper('Wave-MLP', 'An Image Patch is a Wave: Phase-Aware Vision MLP',
                  'https://arxiv.org/abs/2111.12294', 'https://github.com/huawei-noah/Efficient-AI-Backbones/tree/master/wavemlp_pytorch',
                  ('mmghost.WaveMLP', )), ),
    backbones={WaveMLP: Converters(convert_official_wavemlp)},
    official_models=_OFFICIAL_MODELS,
    smallest=('WaveMLP_T', ),
    config_models={'wavemlp': 'WaveMLP_S'})
