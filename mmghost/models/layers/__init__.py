from .channels import make_divisible
from .conv import conv_norm_act
from .ghost import DFCAttention, GhostBottleneck, GhostModule, SqueezeExcite
from .graph import (ConvFFN, Grapher, MaxRelativeGraphConv, ViGBlock, dilated_knn,
                    effective_k_dilation, official_relative_pos, sincos_grid_embedding)
from .mobile import InvertedResidual
from .transformer import (Mlp, MultiheadAttention, PatchEmbed, map_to_tokens, pad_to_multiple,
                          resize_map, resize_pos_embed, resize_relative_pos, tokens_to_map)

__all__ = ['ConvFFN', 'DFCAttention', 'GhostBottleneck', 'GhostModule', 'Grapher',
           'InvertedResidual', 'MaxRelativeGraphConv', 'Mlp', 'MultiheadAttention', 'PatchEmbed',
           'SqueezeExcite', 'ViGBlock', 'conv_norm_act', 'dilated_knn', 'effective_k_dilation',
           'make_divisible', 'map_to_tokens', 'official_relative_pos', 'pad_to_multiple',
           'resize_map', 'resize_pos_embed', 'resize_relative_pos', 'sincos_grid_embedding',
           'tokens_to_map']
