"""A synthetic coloured-shapes dataset for quick detection and segmentation demos on CPU."""
from .shapes import DEMO_CLASSES, DEMO_PALETTE, demo_images, make_demo_dataset

__all__ = ['DEMO_CLASSES', 'DEMO_PALETTE', 'demo_images', 'make_demo_dataset']
