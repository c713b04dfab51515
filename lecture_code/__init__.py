"""lecture_code: backpropagation as in the lecture, in NumPy, every derivative checkable.

Importing the package imports NumPy only; ``lecture_code.torch_bridge``
(PyTorch) and ``lecture_code.plotting`` (matplotlib) load when first used.
"""

import importlib

from . import baselines, checks, cost, curvature, data, graph, initialization, losses, memory, metrics, models, optimize, optimizers, params, regularization, timing, training
from .backprop import backprop
from .conv import Conv1D, Conv2D
from .jacobians import jacobian_via_jvps, jacobian_via_vjps
from .layers import Dropout, Elementwise, Identity, Layer, Linear, Param, ReLU, Sigmoid, Softmax, Tanh
from .numerical import GradientCheck, check_gradients, directional_check, numerical_jacobian
from .recurrent import LSTM, RNN
from .sequential import Sequential, mlp

__version__ = "0.1.0"

_LAZY = ("torch_bridge", "plotting", "selfcheck")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lecture_code' has no attribute {name!r}")


__all__ = [
    "Layer", "Elementwise", "Param", "Linear", "ReLU", "Sigmoid", "Tanh", "Softmax", "Identity", "Dropout",
    "Conv1D", "Conv2D", "RNN", "LSTM",
    "Sequential", "mlp", "jacobian_via_jvps", "jacobian_via_vjps",
    "backprop", "numerical_jacobian", "check_gradients", "directional_check", "GradientCheck",
    "losses", "params", "data", "initialization", "training", "optimize", "regularization",
    "checks", "cost", "timing", "metrics", "models", "baselines", "graph", "memory", "optimizers", "curvature",
]
