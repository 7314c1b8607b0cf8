from .augvit import *  # noqa: F401,F403
from .g_ghost_regnet import *  # noqa: F401,F403
from .ghostnet import *  # noqa: F401,F403
from .pyramid_tnt import *  # noqa: F401,F403
from .tinynet import *  # noqa: F401,F403
from .tnt import *  # noqa: F401,F403
from .vig import *  # noqa: F401,F403
from .wavemlp import *  # noqa: F401,F403

import importlib as _importlib
import pkgutil as _pkgutil


def _families():
    """Every family module's ``FAMILY`` (a new module is picked up by declaring one), by name."""
    found = {}
    for info in sorted(_pkgutil.iter_modules(__path__), key=lambda info: info.name):
        family = getattr(_importlib.import_module(f'{__name__}.{info.name}'), 'FAMILY', None)
        if family is not None:
            found[family.name] = family
    return found


#: family name (its module's and configs folder's) -> :class:`~mmghost.models.family.Family`
FAMILIES = _families()
