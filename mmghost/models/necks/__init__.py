from .simple_pyramid import SimplePyramid

__all__ = ['SimplePyramid']
