from .pyramid_vig import PyramidViG, convert_official_pyramid_vig

__all__ = ['PyramidViG', 'convert_official_pyramid_vig']
