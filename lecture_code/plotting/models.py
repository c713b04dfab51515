"""Chapter 7: the regression losses and their gradients, a 1-D fit and its hidden units,
a depth/width sweep, parity plots, confusion matrices, decision regions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_array, nonneg_float, positive_float, positive_int, shape_str
from ..metrics import _labels

__all__ = ["plot_regression_losses", "plot_loss_gradients", "plot_losses_and_gradients", "plot_fit_1d",
           "plot_unit_contributions", "plot_architecture_sweep", "plot_parity", "plot_confusion_matrix",
           "plot_decision_regions"]

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


def plot_loss_gradients(delta: float = 1.0, ax=None, *, limit: float = 3.0, title=None):
    """The derivatives of the three losses with respect to the residual d = y_hat - y.

    d for 1/2 d^2, sign(d) for |d|, and for Huber(delta) d clipped to [-delta, delta];
    the dotted lines mark +-delta. Returns the axes.
    """
    delta = positive_float(delta, "plot_loss_gradients", "delta")
    limit = positive_float(limit, "plot_loss_gradients", "limit")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    d = np.linspace(-limit, limit, 601)
    ax.plot(d, d, color=_COLORS[0], lw=2, label=r"squared error: $d$")
    ax.plot(d, np.sign(d), color=_COLORS[1], lw=2, label=r"absolute error: sign$(d)$")
    ax.plot(d, np.clip(d, -delta, delta), color=_COLORS[2], lw=2.5, ls="--",
            label=rf"Huber: $d$ clipped to $\pm{delta:g}$")
    for s in (-delta, delta):
        ax.axvline(s, color="0.6", lw=0.8, ls=":")
    ax.axhline(0.0, color="0.8", lw=0.8)
    ax.set_ylim(-1.3 * max(1.0, delta), 1.3 * max(1.0, delta))
    ax.set_xlabel(r"residual $d = \hat y - y$")
    ax.set_ylabel(r"gradient $\partial\ell / \partial \hat y$")
    ax.set_title(title or "Their gradients: how hard one example pulls")
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_losses_and_gradients(delta: float = 1.0, axes=None, *, limit: float = 3.0, unit: str = ""):
    """Two stacked panels: the losses (:func:`plot_regression_losses`) above, their gradients below.

    ``unit`` is appended to the residual's label, e.g. ``"(SDs of the target)"``. Returns the two axes.
    """
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(6.5, 7.5), sharex=True)
    if len(axes) != 2:
        raise ValueError(f"plot_losses_and_gradients expects two axes (losses, gradients), got {len(axes)}")
    if not isinstance(unit, str):
        raise ValueError(f"plot_losses_and_gradients expects unit to be a str, got {type(unit).__name__}")
    top = plot_regression_losses(delta, axes[0], limit=limit)
    bottom = plot_loss_gradients(delta, axes[1], limit=limit)
    bottom.set_xlabel(f"{bottom.get_xlabel()} {unit}".strip())
    if top.get_shared_x_axes().joined(top, bottom):
        top.set_xlabel("")  # the shared axis is labelled once, below
    else:
        top.set_xlabel(bottom.get_xlabel())
    top.figure.tight_layout()
    return axes


def plot_fit_1d(x, y, grid, fitted, ax=None, *, truth=None, kinks=None, title=None):
    """Noisy samples (x, y), a fitted curve ``fitted`` over ``grid``, and optionally the true curve.

    x, y : (N,); grid, fitted, truth : (G,); ``kinks`` : positions where a ReLU unit switches,
    drawn as thin vertical lines. Returns the axes.
    """
    x, y, grid, fitted = (as_array(a, name) for a, name in ((x, "x"), (y, "y"), (grid, "grid"),
                                                              (fitted, "fitted")))
    if x.ndim != 1 or y.shape != x.shape or grid.ndim != 1 or fitted.shape != grid.shape:
        raise ValueError(f"plot_fit_1d expects x, y of one shape (N,) and grid, fitted of one shape (G,), got "
                         f"{shape_str(x.shape)}, {shape_str(y.shape)}, {shape_str(grid.shape)}, "
                         f"{shape_str(fitted.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    if kinks is not None:
        kinks = as_array(kinks, "kinks").ravel()
        for i, k in enumerate(kinks[(kinks >= grid.min()) & (kinks <= grid.max())]):
            ax.axvline(k, color="0.75", lw=0.8, label="a ReLU unit switches" if i == 0 else "_kink")
    if truth is not None:
        truth = as_array(truth, "truth")
        if truth.shape != grid.shape:
            raise ValueError(f"plot_fit_1d expects truth of the shape of grid {shape_str(grid.shape)}, "
                             f"got {shape_str(truth.shape)}")
        ax.plot(grid, truth, color="0.3", lw=1.2, ls="--", label="true function")
    ax.plot(x, y, "o", ms=4, color=_COLORS[0], label="noisy samples")
    ax.plot(grid, fitted, color=_COLORS[1], lw=2, label="MLP fit")
    ax.set_xlabel(r"$x$")
    ax.set_ylabel(r"$y$")
    ax.set_title(title or "A one-hidden-layer ReLU MLP fits a piecewise linear curve")
    ax.legend(frameon=False, fontsize=9)
    return ax


def plot_unit_contributions(grid, contributions, ax=None, *, title=None):
    """What each hidden unit adds to a 1-D fit: column j of ``contributions : (G, H)`` over ``grid : (G,)``.

    For a 1-H-1 ReLU net, column j is v_j max(0, w_j x + b_j), a ramp that is flat on one side of
    its kink; the fit is their sum plus the output bias. One thin line per unit. Returns the axes.
    """
    grid, contributions = as_array(grid, "grid"), as_array(contributions, "contributions")
    if grid.ndim != 1 or contributions.ndim != 2 or contributions.shape[0] != grid.size:
        raise ValueError(f"plot_unit_contributions expects grid (G,) and contributions (G, H), got "
                         f"{shape_str(grid.shape)} and {shape_str(contributions.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for j in range(contributions.shape[1]):
        ax.plot(grid, contributions[:, j], color=plt.cm.tab10(j % 10), lw=1.4,
                label="one unit each" if j == 0 else "_unit")
    ax.axhline(0.0, color="0.8", lw=0.8)
    ax.set_xlabel(r"$x$")
    ax.set_ylabel(r"$v_j \max(0, w_j x + b_j)$")
    ax.set_title(title or f"The {contributions.shape[1]} hidden units' contributions")
    return ax


def plot_architecture_sweep(errors, depths, widths, ax=None, *, unit: str = "MPa", title=None, cmap="viridis_r"):
    """A heat map of ``errors : (len(depths), len(widths))``, one cell per architecture, values written in.

    Rows are the numbers of hidden layers, columns the widths. Returns the axes.
    """
    errors = as_array(errors, "errors")
    depths, widths = list(depths), list(widths)
    if errors.shape != (len(depths), len(widths)) or errors.size == 0:
        raise ValueError(f"plot_architecture_sweep expects errors of shape (len(depths), len(widths)) = "
                         f"({len(depths)}, {len(widths)}), got {shape_str(errors.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    image = ax.imshow(errors, cmap=cmap, aspect="auto")
    lo, hi = errors.min(), errors.max()
    for i in range(len(depths)):
        for j in range(len(widths)):
            dark = (errors[i, j] - lo) > 0.5 * (hi - lo) if hi > lo else False
            ax.text(j, i, f"{errors[i, j]:.2f}", ha="center", va="center", fontsize=11,
                    color="white" if dark else "black")
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    ax.set_xlabel("units per hidden layer")
    ax.set_ylabel("hidden layers")
    ax.figure.colorbar(image, ax=ax, label=f"validation RMSE ({unit})" if unit else "validation error")
    ax.set_title(title or "Validation error per architecture")
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

