"""Chapter 7: the regression losses, parity plots, confusion matrices, decision regions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_array, nonneg_float, positive_float, positive_int, shape_str
from ..metrics import _labels

__all__ = ["plot_regression_losses", "plot_parity", "plot_confusion_matrix", "plot_decision_regions"]

_MAX_WIDTH = 7.0  # inches: the book's content column is about 700 px at 100 dpi
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def plot_regression_losses(delta: float = 1.0, ax=None, *, limit: float = 3.0, title=None):
    """The three regression losses of one residual d = y_hat - y: 1/2 d^2, |d| and Huber(delta).

    Huber is quadratic for |d| <= delta and linear beyond; the dotted lines mark +-delta.
    Returns the axes.
    """
    delta = positive_float(delta, "plot_regression_losses", "delta")
    limit = positive_float(limit, "plot_regression_losses", "limit")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    d = np.linspace(-limit, limit, 601)
    small = np.abs(d) <= delta
    ax.plot(d, 0.5 * d**2, color=_COLORS[0], lw=2, label=r"squared error $\frac{1}{2} d^2$")
    ax.plot(d, np.abs(d), color=_COLORS[1], lw=2, label=r"absolute error $|d|$")
    ax.plot(d, np.where(small, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta)), color=_COLORS[2], lw=2.5,
            ls="--", label=rf"Huber, $\delta = {delta:g}$")
    for s in (-delta, delta):
        ax.axvline(s, color="0.6", lw=0.8, ls=":")
    ax.set_ylim(0, 0.5 * limit**2 * 1.02)
    ax.set_xlabel(r"residual $d = \hat y - y$")
    ax.set_ylabel("loss of one example")
    ax.set_title(title or "Regression losses: outliers weigh less under MAE and Huber")
    ax.legend(frameon=False)
    return ax


def plot_parity(y_hat, y, ax=None, *, label=None, unit: str = "MPa", title=None, color=None):
    """Predicted values ``y_hat`` (vertical) against measured ``y`` (horizontal), with the diagonal y_hat = y.

    y_hat, y : (N,), the prediction first, as in the metrics and the losses. Call it twice on
    one ``ax`` (with ``label``) to compare two models. Returns the axes.
    """
    y_hat, y = as_array(y_hat, "y_hat"), as_array(y, "y")
    if y.ndim != 1 or y_hat.shape != y.shape or y.size == 0:
        raise ValueError(f"plot_parity expects y_hat and y of the same shape (N,), got "
                         f"{shape_str(y_hat.shape)} and {shape_str(y.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    n_before = len(ax.collections)
    ax.scatter(y, y_hat, s=16, alpha=0.75, label=label, edgecolors="none",
               color=color or _COLORS[n_before % len(_COLORS)])
    points = np.concatenate([np.ravel(c.get_offsets()) for c in ax.collections])
    lo, hi = points.min(), points.max()
    pad = 0.04 * (hi - lo if hi > lo else 1.0)
    lo, hi = lo - pad, hi + pad
    for line in [ln for ln in ax.lines if ln.get_label() == "_diagonal"]:
        line.remove()
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, ls="--", label="_diagonal")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(f"measured ({unit})" if unit else "measured")
    ax.set_ylabel(f"predicted ({unit})" if unit else "predicted")
    ax.set_title(title or "Parity plot: points on the diagonal are predicted exactly")
    if label is not None:
        ax.legend(frameon=False, loc="upper left")
    return ax


def plot_confusion_matrix(counts, class_names=None, ax=None, *, title=None, cmap="Blues"):
    """The matrix ``counts : (C, C)`` (rows true, columns predicted) with its counts written in. Returns the axes."""
    counts = as_array(counts, "counts")
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0 or (counts < 0).any():
        raise ValueError(f"plot_confusion_matrix expects non-negative counts of shape (C, C), "
                         f"got {shape_str(counts.shape)}")
    c = counts.shape[0]
    names = [str(i) for i in range(c)] if class_names is None else [str(n) for n in class_names]
    if len(names) != c:
        raise ValueError(f"plot_confusion_matrix expects class_names to have {c} entries, one per class, "
                         f"got {len(names)}")
    if ax is None:
        width, height = 1.3 * c + 2, 1.2 * c + 1.5
        shrink = min(1.0, _MAX_WIDTH / width)  # at most the book's column, same proportions
        _, ax = plt.subplots(figsize=(shrink * width, shrink * height))
    ax.imshow(counts, cmap=cmap, vmin=0, vmax=max(counts.max(), 1))
    top = counts.max() if counts.max() > 0 else 1
    for i in range(c):
        for j in range(c):
            ax.text(j, i, f"{counts[i, j]:g}", ha="center", va="center", fontsize=12,
                    color="white" if counts[i, j] > 0.6 * top else "black")
    ax.set_xticks(range(c), names)
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "Confusion matrix (rows: true, columns: predicted)")
    return ax


def plot_decision_regions(predict, X, y, ax=None, *, resolution: int = 200, class_names=None, title=None,
                          margin: float = 0.1):
    """The class ``predict`` gives every point of a grid over the data, as colored regions, and the data on top.

    ``predict`` : (M, 2) -> (M,) int labels; X : (N, 2), y : (N,) int. Returns the axes.
    """
    if not callable(predict):
        raise ValueError(f"plot_decision_regions expects predict to be a function (M, 2) -> (M,) labels, "
                         f"got {type(predict).__name__}")
    X, y = as_array(X, "X"), as_array(y, "y")
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],) or X.shape[0] == 0:
        raise ValueError(f"plot_decision_regions expects X of shape (N, 2) and y of shape (N,), got "
                         f"{shape_str(X.shape)} and {shape_str(y.shape)}")
    resolution = positive_int(resolution, "plot_decision_regions", "resolution")
    margin = nonneg_float(margin, "plot_decision_regions", "margin")
    y = _labels(y, "plot_decision_regions", "y")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = margin * (hi - lo)
    g0, g1 = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    labels = np.asarray(predict(np.stack([g0.ravel(), g1.ravel()], axis=1))).reshape(g0.shape)
    c = int(max(labels.max(), y.max())) + 1
    names = [f"class {k}" for k in range(c)] if class_names is None else list(class_names)
    colors = [_COLORS[k % len(_COLORS)] for k in range(c)]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    ax.contourf(g0, g1, labels, levels=np.arange(c + 1) - 0.5, colors=colors, alpha=0.25)
    for k in np.unique(labels):  # the border of each class's region, drawn the same way for every pair of classes
        ax.contour(g0, g1, (labels == k).astype(float), levels=[0.5], colors="0.35", linewidths=0.8)
    for k in range(c):
        pts = X[y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=14, color=colors[k], edgecolors="white", linewidths=0.4, label=names[k])
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    ax.set_title(title or "Decision regions: the predicted class at every point")
    ax.legend(frameon=True, loc="upper right", fontsize=9)
    return ax

