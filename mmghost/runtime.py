"""Kept for scripts that import ``mmghost.runtime``: the module is :mod:`mmghost.utils.runtime`
(the same module object, so patching either works)."""
import sys

from .utils import runtime

sys.modules[__name__] = runtime
