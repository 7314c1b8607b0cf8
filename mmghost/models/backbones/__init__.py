from .augvit import *  # noqa: F401,F403
from .g_ghost_regnet import *  # noqa: F401,F403
from .ghostnet import *  # noqa: F401,F403
from .pyramid_tnt import *  # noqa: F401,F403
from .tinynet import *  # noqa: F401,F403
from .tnt import *  # noqa: F401,F403
from .vig import *  # noqa: F401,F403
from .wavemlp import *  # noqa: F401,F403
