"""Chapter 8: Jacobian patterns (dense, banded, triangular), forecasts of a series, gradient norms through time,
the gradient norm of every update (clipping), and test errors over several seeds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

from .._validate import as_array, positive_int, shape_str

__all__ = ["plot_jacobian_patterns", "plot_forecasts", "plot_gradient_norms", "plot_update_norms"]

_MAX_WIDTH = 7.0  # inches: the book's content column is about 700 px at 100 dpi
_MIN_CELL = 0.18  # inches per matrix entry in a new figure, so that the tick labels do not crowd
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]


def _matrix(J, name, caller):
    J = as_array(J, name)
    if J.ndim != 2 or 0 in J.shape:
        raise ValueError(f"{caller} expects {name} to be a matrix of shape (M, D) with M, D >= 1, "
                         f"got {shape_str(J.shape)}")
    return J


def _blocks(block, shape, name, caller):
    if block is None:
        return None
    if not isinstance(block, (tuple, list)) or len(block) != 2:
        raise ValueError(f"{caller} expects {name} to be None or a pair (rows, columns) per block, got {block!r}")
    rows, cols = positive_int(block[0], caller, f"{name}[0]"), positive_int(block[1], caller, f"{name}[1]")
    if shape[0] % rows or shape[1] % cols:
        raise ValueError(f"{caller} expects {name} to tile the matrix of shape {shape_str(shape)}, "
                         f"got ({rows}, {cols})")
    return rows, cols


def _panel_grid(mats):
    """A new figure with one axes per matrix, at most ``_MAX_WIDTH`` wide: side by side while each entry
    gets at least ``_MIN_CELL`` inches, else wrapped onto rows (the unused slots of the last row removed)."""
    n = len(mats)
    for ncols in range(n, 0, -1):
        rows = [mats[i:i + ncols] for i in range(0, n, ncols)]
        columns = [max(row[c].shape[1] for row in rows if c < len(row)) for c in range(ncols)]
        span = sum(columns) + 2 * ncols  # entries across, plus room for the tick labels of each panel
        if ncols == 1 or _MIN_CELL * span + 1.2 <= _MAX_WIDTH - 0.2:
            break
    heights = [max(J.shape[0] for J in row) for row in rows]
    # 1.2 inches for the colorbar; the layout fills the figure, and the inline backend's
    # bbox="tight" adds 0.1 inches on either side: 0.2 inches less than the column
    cell = min(0.28, (_MAX_WIDTH - 0.2 - 1.2) / span)
    height = cell * sum(heights) + 1.6 + 0.4 * (len(rows) - 1)  # titles, labels: 1.6 in, 0.4 more a row
    fig, grid = plt.subplots(len(rows), ncols, squeeze=False, layout="constrained",
                             figsize=(cell * span + 1.2, height),
                             gridspec_kw={"width_ratios": columns, "height_ratios": heights})
    for ax in grid.ravel()[n:]:
        fig.delaxes(ax)
    return list(grid.ravel()[:n])


def plot_jacobian_patterns(jacobians, titles=None, blocks=None, axes=None, *, log: bool = False, title=None):
    """Jacobians J : (M, D) side by side, exact zeros white, so that their sparsity shows.

    A new figure is at most 7 inches wide (the book's column): panels that would get less
    than 0.18 inches per entry side by side wrap onto a second row (and a third ...).

    Colors are signed values on one symmetric scale shared by the panels, or, with
    ``log=True``, log10 |J_ij| on one shared scale (a decay over orders of magnitude shows).
    ``blocks`` (one entry per matrix: None or (rows, columns)) draws the grid of channel or
    time-step blocks. Tick labels are 1-based, as in the equations. Returns the list of axes.
    """
    if not isinstance(jacobians, (list, tuple)) or not jacobians:
        raise ValueError(f"plot_jacobian_patterns expects jacobians to be a non-empty list of matrices, "
                         f"got {type(jacobians).__name__}")
    mats = [_matrix(J, f"jacobians[{k}]", "plot_jacobian_patterns") for k, J in enumerate(jacobians)]
    n = len(mats)
    titles = [f"{J.shape[0]} × {J.shape[1]}" for J in mats] if titles is None else list(titles)
    blocks = [None] * n if blocks is None else list(blocks)
    if len(titles) != n or len(blocks) != n:
        raise ValueError(
            f"plot_jacobian_patterns expects {n} titles and {n} blocks, got {len(titles)} and {len(blocks)}")
    blocks = [_blocks(b, J.shape, f"blocks[{k}]", "plot_jacobian_patterns")
              for k, (b, J) in enumerate(zip(blocks, mats))]
    fresh = axes is None
    if fresh:
        axes = _panel_grid(mats)
    elif len(axes) != n:
        raise ValueError(f"plot_jacobian_patterns expects {n} axes, got {len(axes)}")
    values = np.concatenate([np.abs(J[J != 0]) for J in mats] + [np.zeros(0)])
    values = values if values.size else np.ones(1)  # all zeros: any scale will do
    norm = LogNorm(vmin=values.min(), vmax=values.max()) if log else None
    vmax = float(values.max())
    for ax, J, name, block in zip(axes, mats, titles, blocks):
        if log:
            shown = np.ma.masked_where(J == 0.0, np.abs(J))
            image = ax.imshow(shown, cmap=plt.get_cmap("viridis_r").with_extremes(bad="white"), norm=norm,
                              interpolation="nearest")
        else:
            image = ax.imshow(np.ma.masked_where(J == 0.0, J), cmap=plt.get_cmap("coolwarm").with_extremes(bad="white"),
                              vmin=-vmax, vmax=vmax, interpolation="nearest")
        m, d = J.shape
        for axis, size in ((ax.xaxis, d), (ax.yaxis, m)):  # 1-based ticks, as in the equations
            ticks = np.arange(0, size, max(1, int(np.ceil(size / 12))))
            axis.set_ticks(ticks, [str(i + 1) for i in ticks])
        ax.set_xticks(np.arange(-0.5, d), minor=True)
        ax.set_yticks(np.arange(-0.5, m), minor=True)
        ax.grid(which="minor", color="0.88", lw=0.4)
        ax.tick_params(which="minor", length=0)
        ax.tick_params(labelsize=9)
        if block is not None:
            for r in range(block[0], m, block[0]):
                ax.axhline(r - 0.5, color="0.2", lw=1.2)
            for c in range(block[1], d, block[1]):
                ax.axvline(c - 0.5, color="0.2", lw=1.2)
        ax.set_xlabel("input  j", fontsize=10)
        ax.set_ylabel("output  i", fontsize=10)
        ax.set_title(name, fontsize=10)
    label = r"$\log_{10}$-scaled $|J_{ij}|$" if log else r"$J_{ij}$ (zeros white)"
    axes[0].figure.colorbar(image, ax=axes if fresh else axes[-1], fraction=0.05, pad=0.03, label=label)
    if title is not None:
        axes[0].figure.suptitle(title, fontsize=12)
    return axes


def plot_forecasts(y, predictions, ax=None, *, start: int = 0, title=None, ylabel: str = "value (standardized)"):
    """A series ``y : (T,)`` (black dots) and one-step-ahead ``predictions`` (``label -> (T,)``), against time.

    ``start`` is the time index of ``y[0]``. Returns the axes.
    """
    y = as_array(y, "y")
    if y.ndim != 1 or y.size < 1:
        raise ValueError(f"plot_forecasts expects y to be a series of shape (T,), got {shape_str(y.shape)}")
    if not isinstance(predictions, dict) or not predictions:
        raise ValueError(f"plot_forecasts expects predictions to be a non-empty dict label -> (T,) array, "
                         f"got {type(predictions).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    t = start + np.arange(y.size)
    ax.plot(t, y, "o", color="black", ms=3.5, label="measured", zorder=3)
    for (label, p), color in zip(predictions.items(), _COLORS * len(predictions)):
        p = as_array(p, f"predictions[{label!r}]")
        if p.shape != y.shape:
            raise ValueError(f"plot_forecasts expects predictions[{label!r}] to have the shape of y, "
                             f"{shape_str(y.shape)}, got {shape_str(p.shape)}")
        ax.plot(t, p, "-", color=color, lw=1.6, label=str(label))
    ax.set_xlabel("time step")
    ax.set_ylabel(ylabel)
    ax.set_title("One-step-ahead predictions" if title is None else title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, ncol=min(4, len(predictions) + 1), loc="upper left")
    return ax


def plot_gradient_norms(norms, ax=None, *, normalize: bool = True, title=None):
    """``||u_t|| = ||dL/dh_t||`` against the steps back k = T - t (eq 8.4), one line per ``label -> norms : (T,)``.

    ``norms[k]`` is the norm k steps back from the last state, as
    ``lecture_code.recurrent.gradient_norms_through_time`` returns it; with ``normalize`` each
    line is divided by its ``norms[0]``. Log y axis. Returns the axes.
    """
    if not isinstance(norms, dict) or not norms:
        raise ValueError(f"plot_gradient_norms expects norms to be a non-empty dict label -> (T,) array, "
                         f"got {type(norms).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    styles = ["o-", "s-", "^-", "d-", "v-"]
    for (label, values), color, style in zip(norms.items(), _COLORS * len(norms), styles * len(norms)):
        values = as_array(values, f"norms[{label!r}]")
        if values.ndim != 1 or values.size < 1 or not (values > 0).all():
            smallest = f" with smallest entry {values.min():g}" if values.size else ""
            raise ValueError(f"plot_gradient_norms expects norms[{label!r}] to be positive norms of shape (T,), "
                             f"got shape {shape_str(values.shape)}{smallest}")
        shown = values / values[0] if normalize else values
        ax.semilogy(np.arange(values.size), shown, style, color=color, ms=3.5, lw=1.5, label=str(label))
    ax.set_xlabel("steps back from the last state,  k = T − t")
    ax.set_ylabel(r"$\|\mathbf{u}_t\| \,/\, \|\mathbf{u}_T\|$" if normalize else r"$\|\mathbf{u}_t\|$")
    ax.set_title("The gradient through time" if title is None else title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_update_norms(norms, max_norm=None, ax=None, *, title=None):
    """The global gradient norm of every update r = 1, 2, ... (``label -> norms : (R,)``), log y axis.

    The norms are those before clipping, as ``lecture_code.optimizers.clip_grad_norm`` returns
    them; ``max_norm`` (the threshold c) draws a dashed line: with clipping by norm, every update
    above it takes a step of length lr * c instead. Returns the axes.
    """
    if not isinstance(norms, dict) or not norms:
        raise ValueError(f"plot_update_norms expects norms to be a non-empty dict label -> (R,) array, "
                         f"got {type(norms).__name__}")
    if max_norm is not None and not (np.isscalar(max_norm) and np.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"plot_update_norms expects max_norm to be None or a number > 0, got {max_norm!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    for (label, values), color in zip(norms.items(), _COLORS * len(norms)):
        values = as_array(values, f"norms[{label!r}]")
        if values.ndim != 1 or values.size < 1 or not (values > 0).all():
            raise ValueError(f"plot_update_norms expects norms[{label!r}] to be positive norms of shape (R,), "
                             f"got shape {shape_str(values.shape)}")
        ax.semilogy(np.arange(1, values.size + 1), values, "-", color=color, lw=0.9, alpha=0.85,
                    label=str(label))
    if max_norm is not None:
        ax.axhline(max_norm, color="black", ls="--", lw=1.3, label=f"threshold c = {max_norm:g}")
    ax.set_xlabel("update  r")
    ax.set_ylabel(r"$\|\mathbf{g}_r\|$ (all parameters)")
    ax.set_title("Gradient norm per update" if title is None else title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax
