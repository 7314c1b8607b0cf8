from .channels import make_divisible
from .conv import conv_norm_act
from .graph import (ConvFFN, Grapher, MaxRelativeGraphConv, ViGBlock, dilated_knn,
                    effective_k_dilation, official_relative_pos, sincos_grid_embedding)

__all__ = ['ConvFFN', 'Grapher', 'MaxRelativeGraphConv', 'ViGBlock', 'conv_norm_act',
           'dilated_knn', 'effective_k_dilation', 'make_divisible', 'official_relative_pos',
           'sincos_grid_embedding']
