from .vig import PyramidViG, ViG, convert_official_pyramid_vig, convert_official_vig

__all__ = ['PyramidViG', 'ViG', 'convert_official_pyramid_vig', 'convert_official_vig']
