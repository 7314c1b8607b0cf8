from .channels import make_divisible
from .conv import conv_norm_act
from .ghost import DFCAttention, GhostBottleneck, GhostModule, SqueezeExcite
from .grad_checkpoint import maybe_checkpoint
from .graph import (ConvFFN, Grapher, MaxRelativeGraphConv, ViGBlock, dilated_knn,
                    effective_k_dilation, official_relative_pos, sincos_grid_embedding)
from .mobile import InvertedResidual
from .tnt import TNTBlock, WordProjection
from .tracing import any_size_paths, fixed_size_trace, for_any_size
from .transformer import (Mlp, MultiheadAttention, PatchEmbed, init_transformer_weights,
                          map_to_tokens, pad_to_multiple, resize_map, resize_pos_embed,
                          resize_relative_pos, tokens_to_map)

__all__ = ['ConvFFN', 'DFCAttention', 'GhostBottleneck', 'GhostModule', 'Grapher',
           'InvertedResidual', 'MaxRelativeGraphConv', 'Mlp', 'MultiheadAttention',
           'PatchEmbed', 'SqueezeExcite', 'TNTBlock', 'ViGBlock', 'WordProjection',
           'any_size_paths', 'conv_norm_act', 'dilated_knn', 'effective_k_dilation',
           'fixed_size_trace', 'for_any_size', 'init_transformer_weights',
           'make_divisible', 'map_to_tokens', 'maybe_checkpoint',
           'official_relative_pos', 'pad_to_multiple', 'resize_map', 'resize_pos_embed',
           'resize_relative_pos', 'sincos_grid_embedding', 'tokens_to_map']
