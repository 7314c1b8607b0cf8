"""Conv + norm + activation with the official models' layout (the conv keeps its bias)."""
from collections import OrderedDict

from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn


def conv_norm_act(in_channels, out_channels, kernel_size, stride=1, groups=1,
                  norm_cfg=dict(type='BN'), act_cfg=None):
    """``Conv2d`` (with bias, padding ``kernel_size // 2``), norm, optional activation.

    The upstream models put a bias on convs followed by BatchNorm; keeping it lets official
    weights load unchanged. Children are named ``conv``, the norm's name (``bn``, ``gn``, ...)
    and ``act``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Square kernel size.
        stride (int): Defaults to 1.
        groups (int): Defaults to 1.
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): None for no activation. Defaults to None.

    Returns:
        nn.Sequential
    """
    layers = OrderedDict(conv=nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                                        kernel_size // 2, groups=groups, bias=True))
    norm_name, norm = build_norm_layer(norm_cfg, out_channels)
    layers[norm_name] = norm
    if act_cfg is not None:
        layers['act'] = build_activation_layer(act_cfg)
    return nn.Sequential(layers)
