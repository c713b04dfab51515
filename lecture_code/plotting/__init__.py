"""Figures for the book, drawn by code (imported only when used; needs matplotlib).

One module per chapter's figures; every function draws on an ``ax`` it is
given (or a new one) and returns what it drew on.
"""

from .backprop import *  # noqa: F401,F403  chapter 4
from .composition import *  # noqa: F401,F403  chapter 1
from .jacobians import *  # noqa: F401,F403  chapter 2
from .modes import *  # noqa: F401,F403  chapter 3
from .training import *  # noqa: F401,F403  chapter 5
from .regularization import *  # noqa: F401,F403  chapter 6
from .models import *  # noqa: F401,F403  chapter 7
from .sequence import *  # noqa: F401,F403  chapter 8
from .graphs import *  # noqa: F401,F403  chapter 9
from .curvature import *  # noqa: F401,F403  chapter 10
