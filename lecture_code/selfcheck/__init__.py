"""Self-checks for the exercises: call one on your own answer to see whether it is right.

Each check prints one line, ``Correct: ...`` or ``Not yet: ...`` with a hint,
and returns ``True`` or ``False``, so a notebook can also ``assert`` it. An answer
left as the student edition's stub (``...``) gives ``Not answered yet: ...`` and
``False`` (see ``_answers.py``).
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

from . import _answers


def _mark_answers():
    """Wrap every check so that a blank answer is reported, in its own module and here alike."""
    import importlib

    for name, answers in _answers.ANSWERS.items():
        check = globals()[name]
        module = importlib.import_module(check.__module__)
        wrapped = _answers.answer_check(check, answers)
        setattr(module, name, wrapped)
        globals()[name] = wrapped


_mark_answers()
