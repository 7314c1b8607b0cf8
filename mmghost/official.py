"""Kept for scripts that import ``mmghost.official``: the module is
:mod:`mmghost.weights.official` (the same module object, so patching either works)."""
import sys

from .weights import official

sys.modules[__name__] = official
