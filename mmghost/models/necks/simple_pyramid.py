"""Simple feature pyramid (ViTDet, Li et al., ECCV 2022, arXiv:2203.16527) for isotropic backbones.

Turns the last stride-s map of a plain backbone (ViG, TNT, AugViT: s = 16) into maps at strides
s/4, s/2, s and 2s, so FPN-based heads (RetinaNet, Mask R-CNN, UperNet) take them as they take a
pyramid backbone's stages.
"""
from mmcv.cnn import ConvModule, build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from torch import nn

from ...registry import MODELS


@MODELS.register_module()
class SimplePyramid(BaseModule):
    """Rescales one feature map to several strides, then projects each to ``out_channels``.

    A factor 4 is two stride-2 transposed convs (with norm + activation between), 2 is one, 1
    keeps the map and 0.5 max-pools it; each then goes through a 1x1 and a 3x3 conv with norm.

    Args:
        in_channels (int): Channels of the input map (the backbone's last output).
        out_channels (int): Channels of every output.
        scale_factors (Sequence[float]): Output scales relative to the input, each one of
            4, 2, 1, 0.5. Defaults to ``(4, 2, 1, 0.5)`` (strides 4/8/16/32 from stride 16).
        norm_cfg (dict): Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation between the two transposed convs of factor 4.
            Defaults to ``dict(type='GELU')``.
        init_cfg (dict, optional): Defaults to None.
    """

    valid_scales = (4, 2, 1, 0.5)

    def __init__(self, in_channels, out_channels, scale_factors=(4, 2, 1, 0.5),
                 norm_cfg=dict(type='BN'), act_cfg=dict(type='GELU'), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not scale_factors or any(s not in self.valid_scales for s in scale_factors):
            raise ValueError(f'scale_factors must be chosen from {self.valid_scales}, '
                             f'got {scale_factors!r}')
        self.scale_factors = tuple(scale_factors)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stages = nn.ModuleList()
        for scale in self.scale_factors:
            if scale == 4:
                half = in_channels // 2
                layers = [nn.ConvTranspose2d(in_channels, half, 2, stride=2),
                          build_norm_layer(norm_cfg, half)[1], build_activation_layer(act_cfg),
                          nn.ConvTranspose2d(half, half // 2, 2, stride=2)]
                width = half // 2
            elif scale == 2:
                width = in_channels // 2
                layers = [nn.ConvTranspose2d(in_channels, width, 2, stride=2)]
            elif scale == 1:
                layers, width = [], in_channels
            else:
                layers, width = [nn.MaxPool2d(2, 2)], in_channels
            layers += [
                ConvModule(width, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None),
                ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg,
                           act_cfg=None)
            ]
            self.stages.append(nn.Sequential(*layers))

    def forward(self, inputs):
        """``inputs``: the backbone's outputs; the last one is rescaled."""
        x = inputs[-1]
        return tuple(stage(x) for stage in self.stages)
