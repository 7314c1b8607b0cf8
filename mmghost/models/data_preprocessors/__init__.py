from .multi_channel import MultiChannelDetDataPreprocessor

__all__ = ['MultiChannelDetDataPreprocessor']
