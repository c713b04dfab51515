"""MLPs for regression and classification: the lecture's two hyperparameter tables as code, and baselines.

The lecture gives typical hyperparameters for a regression MLP and says a
classification MLP differs only in its output layer and loss.
:data:`REGRESSION_DEFAULTS` and :data:`CLASSIFICATION_DEFAULTS` hold those two
tables; :func:`regression_mlp` and :func:`classification_mlp` build networks
from them with :func:`lecture_code.mlp`; :func:`hyperparameter_table` writes
the tables for the book from the same objects, so the text cannot drift from
the code.

A classification MLP here outputs the logits ``a`` (no softmax layer): the
softmax of eq 34 is applied inside ``lc.losses.softmax_cross_entropy`` (eq 35),
which is stable for any finite logits, and by :func:`predict_proba`.

Baselines a model has to beat: :func:`linear_baseline` (least squares with an
intercept, in closed form) and :func:`majority_baseline` (always the most
frequent training class). Data: :func:`strength_classes` turns strengths into
bands, :func:`make_spirals` draws a seeded 2-D classification problem.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ._stable import softmax
from ._validate import as_array, positive_float, positive_int, rng_from, shape_str
from .layers import Layer
from .losses import Loss, huber, mae, softmax_cross_entropy, squared_error
from .metrics import class_counts
from .sequential import ACTIVATIONS, Sequential, mlp

__all__ = [
    "ArchitectureDefaults", "REGRESSION_DEFAULTS", "CLASSIFICATION_DEFAULTS",
    "REGRESSION_TABLE", "CLASSIFICATION_TABLE", "hyperparameter_table",
    "regression_mlp", "classification_mlp", "loss_by_name", "predict_proba", "predict_classes",
    "LinearBaseline", "linear_baseline", "MajorityBaseline", "majority_baseline",
    "strength_classes", "band_names", "make_spirals",
]


# -- the lecture's two tables ------------------------------------------------------------------------

_LOSS_NAMES = {
    "mse": "MSE", "mae": "MAE", "huber": "Huber", "cross_entropy": "categorical cross-entropy",
}
_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "identity": "none", None: "none",
                     "softmax": "softmax"}


@dataclass(frozen=True)
class ArchitectureDefaults:
    """One of the lecture's hyperparameter tables: the usual ranges and the defaults used here.

    ``hidden`` : the hidden widths the constructors use by default; ``hidden_layers`` and
    ``hidden_width`` : the lecture's usual (min, max) number of hidden layers and width;
    ``outputs`` : what sets the number of output neurons; ``losses`` : names for
    :func:`loss_by_name`, the first one is the default.
    """

    task: str
    hidden: tuple
    outputs: str
    output_activation: str | None
    output_note: str
    losses: tuple
    inputs: str = "1 per input feature"
    hidden_layers: tuple = (1, 5)
    hidden_width: tuple = (10, 100)
    hidden_activation: str = "relu"

    def rows(self) -> tuple:
        """``((hyperparameter, lecture's value), ...)``: the table as the lecture lays it out."""
        (l0, l1), (w0, w1) = self.hidden_layers, self.hidden_width
        names = [_LOSS_NAMES[name] for name in self.losses]
        loss = names[0] if len(names) == 1 else f"{names[0]} or " + "/".join(names[1:])
        activation = _ACTIVATION_NAMES[self.output_activation]
        return (
            ("input neurons", self.inputs),
            ("hidden layers", f"usually {l0}-{l1}"),
            ("neurons per hidden layer", f"usually {w0}-{w1}"),
            ("output neurons", self.outputs),
            ("hidden layer activation", _ACTIVATION_NAMES[self.hidden_activation]),
            ("output activation", f"{activation} {self.output_note}".strip()),
            ("loss function", loss),
        )

    def usual(self, hidden) -> bool:
        """Whether hidden widths ``hidden`` lie in the lecture's usual ranges."""
        hidden = _hidden(hidden)
        (l0, l1), (w0, w1) = self.hidden_layers, self.hidden_width
        return l0 <= len(hidden) <= l1 and all(w0 <= h <= w1 for h in hidden)


REGRESSION_DEFAULTS = ArchitectureDefaults(
    task="regression", hidden=(64, 64), outputs="1 per prediction dimension",
    output_activation=None, output_note="(if the target is unbounded)", losses=("mse", "mae", "huber"),
)
# the slides write "the name of classes": the number of classes is meant
CLASSIFICATION_DEFAULTS = ArchitectureDefaults(
    task="classification", hidden=(64, 64), outputs="1 per class",
    output_activation="softmax", output_note="(eq 34)", losses=("cross_entropy",),
)
REGRESSION_TABLE = REGRESSION_DEFAULTS.rows()
CLASSIFICATION_TABLE = CLASSIFICATION_DEFAULTS.rows()


def hyperparameter_table(*defaults: ArchitectureDefaults) -> str:
    """The tables side by side as a Markdown table: one row per hyperparameter, one column per task.

    A last row gives the ``hidden`` widths the constructors use by default.
    Without arguments: regression and classification.
    """
    defaults = defaults or (REGRESSION_DEFAULTS, CLASSIFICATION_DEFAULTS)
    if not all(isinstance(d, ArchitectureDefaults) for d in defaults):
        got = [type(d).__name__ for d in defaults]
        raise ValueError(f"hyperparameter_table expects ArchitectureDefaults, got {got}")
    header = "| hyperparameter | " + " | ".join(d.task for d in defaults) + " |"
    lines = [header, "|---" * (len(defaults) + 1) + "|"]
    for i, (name, _) in enumerate(defaults[0].rows()):
        lines.append(f"| {name} | " + " | ".join(d.rows()[i][1] for d in defaults) + " |")
    lines.append("| default here (`hidden=`) | " + " | ".join(f"`{d.hidden}`" for d in defaults) + " |")
    return "\n".join(lines)


# -- constructors ------------------------------------------------------------------------------------

def _hidden(hidden) -> tuple:
    if not isinstance(hidden, (list, tuple)):
        raise ValueError(f"hidden must be a tuple of hidden-layer widths, e.g. (64, 64), got {hidden!r}")
    return tuple(positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden))


def regression_mlp(n_features: int, hidden=REGRESSION_DEFAULTS.hidden, n_outputs: int = 1,
                   activation: str = REGRESSION_DEFAULTS.hidden_activation) -> Sequential:
    """``Linear, act, ..., Linear``: n_features -> hidden... -> n_outputs, no output activation.

    Input x : (N, n_features), output : (N, n_outputs), one neuron per predicted quantity.
    """
    n_features = positive_int(n_features, "n_features")
    n_outputs = positive_int(n_outputs, "n_outputs")
    return mlp([n_features, *_hidden(hidden), n_outputs], activation=_activation(activation))


def classification_mlp(n_features: int, n_classes: int, hidden=CLASSIFICATION_DEFAULTS.hidden,
                       activation: str = CLASSIFICATION_DEFAULTS.hidden_activation,
                       probabilities: bool = False) -> Sequential:
    """n_features -> hidden... -> n_classes: one output neuron per class.

    Outputs the logits a : (N, n_classes), to be trained with ``softmax_cross_entropy``
    (eqs 34-35, softmax inside the loss); ``probabilities=True`` appends the softmax
    layer of eq 34, for a network that outputs S(a) instead.
    """
    n_features = positive_int(n_features, "n_features")
    n_classes = positive_int(n_classes, "n_classes")
    if n_classes < 2:
        raise ValueError(f"a classifier needs n_classes >= 2 (one output neuron per class), got {n_classes}")
    return mlp([n_features, *_hidden(hidden), n_classes], activation=_activation(activation),
               output_activation="softmax" if probabilities else None)


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return name


def loss_by_name(name: str, delta: float = 1.0) -> Loss:
    """The loss a table names: "mse" (1/2 (y - y_hat)^2, eq 20), "mae", "huber" (threshold ``delta``), "cross_entropy".

    "mse" is lecture_code's ``squared_error``, half the squared error: its gradient is
    y_hat - y, and the 1/2 changes only the scale of the learning rate.
    """
    if name == "huber":
        return huber(positive_float(delta, "delta"))
    table = {"mse": squared_error, "mae": mae, "cross_entropy": softmax_cross_entropy}
    if name not in table:
        raise ValueError(f"loss name must be one of {sorted([*table, 'huber'])}, got {name!r}")
    return table[name]


def _logits(net, thetas, X):
    if not isinstance(net, Layer):
        raise ValueError(f"expected a lecture_code Layer as net, got {type(net).__name__}")
    a = net.forward(X, thetas)
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"expected a classifier with one output per class (logits of shape (N, C), C >= 2) for X "
                         f"of shape (N, D), got outputs of shape {shape_str(a.shape)}")
    return a


def predict_proba(net: Layer, thetas, X) -> np.ndarray:
    """S(a) : (N, C), the softmax (eq 34) of the logits a = net(X) for X : (N, D)."""
    return softmax(_logits(net, thetas, X))


def predict_classes(net: Layer, thetas, X) -> np.ndarray:
    """(N,) int: the class with the largest logit (the same as the largest probability) for X : (N, D)."""
    return np.argmax(_logits(net, thetas, X), axis=1)


# -- baselines ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearBaseline:
    """y_hat = X w + b, fit by least squares. w : (D,) for a 1-d target, (D, M) for targets (N, M)."""

    w: np.ndarray
    b: np.ndarray

    def predict(self, X) -> np.ndarray:
        """X : (N, D) -> (N,) or (N, M), shaped like the targets it was fit on."""
        X = as_array(X, "X")
        d = self.w.shape[0]
        if X.ndim != 2 or X.shape[1] != d:
            raise ValueError(f"LinearBaseline fit on {d} features expects X of shape (N, {d}), "
                             f"got {shape_str(X.shape)}")
        return X @ self.w + self.b


def linear_baseline(X, y) -> LinearBaseline:
    """Least squares with an intercept, in closed form: min over (w, b) of ||y - X w - b||^2.

    X : (N, D), y : (N,) or (N, M). Solved by ``numpy.linalg.lstsq`` on [1, X]
    (the minimum-norm solution if columns are collinear).
    """
    X, y = as_array(X, "X"), as_array(y, "y")
    if X.ndim != 2 or y.ndim not in (1, 2) or y.shape[0] != X.shape[0] or X.shape[0] == 0:
        raise ValueError(f"linear_baseline expects X of shape (N, D) and y of shape (N,) or (N, M) with the same "
                         f"N >= 1, got {shape_str(X.shape)} and {shape_str(y.shape)}")
    A = np.concatenate([np.ones((X.shape[0], 1)), X], axis=1)
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    return LinearBaseline(w=coef[1:], b=np.asarray(coef[0]))


@dataclass(frozen=True)
class MajorityBaseline:
    """Predicts ``label``, the most frequent class of the labels it was fit on, for every example."""

    label: int
    counts: np.ndarray

    def predict(self, X) -> np.ndarray:
        """(N,) int, all equal to ``label``, for X with N rows."""
        n = np.shape(X)[0] if np.ndim(X) >= 1 else 0
        if n == 0:
            raise ValueError(f"MajorityBaseline.predict expects X with N >= 1 rows, got shape {shape_str(np.shape(X))}")
        return np.full(n, self.label, dtype=np.int64)


def majority_baseline(y, n_classes: int) -> MajorityBaseline:
    """The majority-class classifier of labels y : (N,) in [0, n_classes); a tie goes to the smaller label."""
    counts = class_counts(y, n_classes)
    return MajorityBaseline(label=int(np.argmax(counts)), counts=counts)


# -- data for the examples ---------------------------------------------------------------------------

def _edges(edges) -> np.ndarray:
    e = as_array(edges, "edges")
    if e.ndim != 1 or e.size == 0 or (np.diff(e) <= 0).any():
        raise ValueError(f"edges must be an increasing 1-d sequence of at least one number, got {edges!r}")
    return e


def strength_classes(y, edges=(20.0, 40.0)) -> np.ndarray:
    """(N,) int labels for values y : (N,): class c holds edges[c-1] <= y < edges[c] (len(edges) + 1 classes)."""
    y = as_array(y, "y")
    if y.ndim != 1:
        raise ValueError(f"strength_classes expects y of shape (N,), got {shape_str(y.shape)}")
    return np.searchsorted(_edges(edges), y, side="right").astype(np.int64)


def band_names(edges=(20.0, 40.0), unit: str = "MPa") -> list:
    """Names of the classes of :func:`strength_classes`: ``['< 20 MPa', '20-40 MPa', '>= 40 MPa']``."""
    e = [f"{v:g}" for v in _edges(edges)]
    return [f"< {e[0]} {unit}", *(f"{a}-{b} {unit}" for a, b in zip(e[:-1], e[1:])), f">= {e[-1]} {unit}"]


def make_spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.05, turns: float = 0.75, rng=0):
    """``(X, y)``: X : (n_per_class * n_classes, 2) points on ``n_classes`` interleaved spiral arms, y : (N,) int.

    Arm c runs from near the centre (radius 0.05) out to radius 1 through ``turns`` turns,
    rotated by 2 pi c / C; each coordinate gets Gaussian noise of SD ``noise``. Seeded by ``rng``.
    """
    n = positive_int(n_per_class, "n_per_class")
    c = positive_int(n_classes, "n_classes")
    if c < 2:
        raise ValueError(f"make_spirals needs n_classes >= 2, got {c}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    turns = positive_float(turns, "turns")
    gen = rng_from(rng)
    r = np.linspace(0.05, 1.0, n)
    X, y = [], []
    for k in range(c):
        angle = 2 * np.pi * (turns * r + k / c)
        arm = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        X.append(arm + noise * gen.normal(size=arm.shape))
        y.append(np.full(n, k, dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)
