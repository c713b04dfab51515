"""MLPs for regression and classification: the lecture's two hyperparameter tables as code.

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

The losses the tables name are looked up by :func:`lecture_code.losses.loss_by_name`, the
baselines a model has to beat are in :mod:`lecture_code.baselines`, and the data of the
chapter's examples (strength classes, spirals) in :mod:`lecture_code.data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._stable import softmax
from ._validate import one_of, positive_int, shape_str
from .layers import Layer
from .sequential import ACTIVATIONS, Sequential, mlp

__all__ = [
    "ArchitectureDefaults", "REGRESSION_DEFAULTS", "CLASSIFICATION_DEFAULTS",
    "REGRESSION_TABLE", "CLASSIFICATION_TABLE", "hyperparameter_table",
    "regression_mlp", "classification_mlp", "predict_proba", "predict_classes",
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
    :func:`lecture_code.losses.loss_by_name`, the first one is the default.
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
        hidden = _hidden(hidden, "ArchitectureDefaults.usual")
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

def _hidden(hidden, caller: str) -> tuple:
    if not isinstance(hidden, (list, tuple)):
        raise ValueError(f"{caller} expects hidden to be a tuple of hidden-layer widths, e.g. (64, 64), "
                         f"got {hidden!r}")
    return tuple(positive_int(h, caller, f"hidden[{i}]") for i, h in enumerate(hidden))


def regression_mlp(n_features: int, hidden=REGRESSION_DEFAULTS.hidden, n_outputs: int = 1,
                   activation: str = REGRESSION_DEFAULTS.hidden_activation) -> Sequential:
    """``Linear, act, ..., Linear``: n_features -> hidden... -> n_outputs, no output activation.

    Input x : (N, n_features), output : (N, n_outputs), one neuron per predicted quantity.
    """
    n_features = positive_int(n_features, "regression_mlp", "n_features")
    n_outputs = positive_int(n_outputs, "regression_mlp", "n_outputs")
    return mlp([n_features, *_hidden(hidden, "regression_mlp"), n_outputs],
               activation=_activation(activation, "regression_mlp"))


def classification_mlp(n_features: int, n_classes: int, hidden=CLASSIFICATION_DEFAULTS.hidden,
                       activation: str = CLASSIFICATION_DEFAULTS.hidden_activation,
                       probabilities: bool = False) -> Sequential:
    """n_features -> hidden... -> n_classes: one output neuron per class.

    Outputs the logits a : (N, n_classes), to be trained with ``softmax_cross_entropy``
    (eqs 34-35, softmax inside the loss); ``probabilities=True`` appends the softmax
    layer of eq 34, for a network that outputs S(a) instead.
    """
    n_features = positive_int(n_features, "classification_mlp", "n_features")
    n_classes = positive_int(n_classes, "classification_mlp", "n_classes")
    if n_classes < 2:
        raise ValueError(f"classification_mlp expects n_classes to be an integer >= 2 (one output neuron per class), "
                         f"got {n_classes}")
    return mlp([n_features, *_hidden(hidden, "classification_mlp"), n_classes],
               activation=_activation(activation, "classification_mlp"),
               output_activation="softmax" if probabilities else None)


def _activation(name, caller: str):
    return one_of(name, sorted(ACTIVATIONS), caller, "activation")


def _logits(net, thetas, X, caller: str):
    if not isinstance(net, Layer):
        raise ValueError(f"{caller} expects a lecture_code Layer as net, got {type(net).__name__}")
    a = net.forward(X, thetas)
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"{caller} expects a classifier with one output per class (logits of shape (N, C), C >= 2) "
                         f"for X of shape (N, D), got outputs of shape {shape_str(a.shape)}")
    return a


def predict_proba(net: Layer, thetas, X) -> np.ndarray:
    """S(a) : (N, C), the softmax (eq 34) of the logits a = net(X) for X : (N, D)."""
    return softmax(_logits(net, thetas, X, "predict_proba"))


def predict_classes(net: Layer, thetas, X) -> np.ndarray:
    """(N,) int: the class with the largest logit (the same as the largest probability) for X : (N, D)."""
    return np.argmax(_logits(net, thetas, X, "predict_classes"), axis=1)
