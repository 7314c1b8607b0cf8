"""Work in progress."""
__all__ = []
OFFICIAL_MODELS = {}
