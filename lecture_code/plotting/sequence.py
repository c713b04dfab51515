"""Chapter 8: Jacobian patterns (dense, banded, triangular), images with predicted classes and learned kernels,
the unrolled RNN with its reverse sweep, forecasts of a series, gradient norms through time, and the gradient
norm of every update (clipping)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyBboxPatch

from .._validate import _is_int, as_array, labelled, positive_int, shape_str

__all__ = ["plot_jacobian_patterns", "plot_image_predictions", "draw_unrolled_rnn", "plot_forecasts",
           "plot_gradient_norms", "plot_update_norms"]

_MAX_WIDTH = 7.0  # inches: the book's content column is about 700 px at 100 dpi
_MIN_CELL = 0.18  # inches per matrix entry in a new figure, so that the tick labels do not crowd
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]
_FORWARD, _BACKWARD = "black", "#C44E52"  # forward pass, reverse sweep: as chapter 4's figure


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


def _labels_of(a, name, caller, n=None, n_classes=None):
    a = as_array(a, name)
    if a.ndim != 1 or (n is not None and a.size != n) or (a != np.round(a)).any() or (a < 0).any() \
            or (n_classes is not None and (a >= n_classes).any()):
        want = "" if n is None else f" of shape ({n},)"
        classes = "" if n_classes is None else f" in 0..{n_classes - 1}"
        raise ValueError(f"{caller} expects {name} to be integer labels{classes}{want}, got shape "
                         f"{shape_str(a.shape)} with values {np.unique(a)[:5]}")
    return a.astype(np.int64)


def plot_image_predictions(images, labels, predictions, class_names, *, kernels=None, ncols: int = 4):
    """Example images with their class and each model's prediction, and (optionally) learned kernels.

    images : (n, H, W), or (n, H*W) flattened row-major from square images; labels : (n,) int,
    the true classes, written above each image; predictions : ``model -> (n,) int``, one line per
    model under each image, a wrong prediction marked "✗" and drawn in red, a right one "✓";
    class_names : one name per class. kernels : (C, Q_H, Q_W) or (C, 1, Q_H, Q_W), drawn in rows of
    their own under the images on a diverging scale shared by all kernels (white is 0).
    ``ncols`` panels per row. Returns ``(image_axes, kernel_axes)``, lists of axes.
    """
    caller = "plot_image_predictions"
    images = as_array(images, "images")
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"{caller} expects flattened images of shape (n, H*W) with H = W, "
                             f"got {shape_str(images.shape)}")
        images = images.reshape(-1, side, side)
    if images.ndim != 3 or images.shape[0] < 1:
        raise ValueError(f"{caller} expects images of shape (n, H, W) or (n, H*W), got {shape_str(images.shape)}")
    n = images.shape[0]
    if not isinstance(class_names, (list, tuple)) or len(class_names) < 2:
        raise ValueError(f"{caller} expects class_names to be a list of at least two names, got {class_names!r:.60}")
    labels = _labels_of(labels, "labels", caller, n, len(class_names))
    if not isinstance(predictions, dict):
        raise ValueError(f"{caller} expects predictions to be a dict model -> (n,) labels, "
                         f"got {type(predictions).__name__}")
    predictions = {str(k): _labels_of(v, f"predictions[{k!r}]", caller, n, len(class_names))
                   for k, v in predictions.items()}
    ncols = positive_int(ncols, caller, "ncols")
    if kernels is not None:
        kernels = as_array(kernels, "kernels")
        if kernels.ndim == 4 and kernels.shape[1] == 1:
            kernels = kernels[:, 0]
        if kernels.ndim != 3:
            raise ValueError(f"{caller} expects kernels of shape (C, Q_H, Q_W) or (C, 1, Q_H, Q_W), "
                             f"got {shape_str(kernels.shape)}")
    image_rows = -(-n // ncols)
    kernel_rows = 0 if kernels is None else -(-kernels.shape[0] // ncols)
    cell = min(1.3, (_MAX_WIDTH - 0.2) / ncols - 0.35)  # inches per panel, room between panels
    text = 0.3 + 0.18 * len(predictions)  # the title and one line per model
    heights = [cell + text] * image_rows + [cell + 0.3] * kernel_rows
    fig, grid = plt.subplots(image_rows + kernel_rows, ncols, squeeze=False, layout="constrained",
                             figsize=(_MAX_WIDTH - 0.2, sum(heights)), gridspec_kw={"height_ratios": heights})
    fig.get_layout_engine().set(h_pad=0.08)  # room between a row's x labels and the next row's titles
    image_axes = list(grid[:image_rows].ravel()[:n])
    kernel_axes = [] if kernels is None else list(grid[image_rows:].ravel()[:kernels.shape[0]])
    for ax in set(grid.ravel()) - set(image_axes) - set(kernel_axes):
        fig.delaxes(ax)
    low, high = np.percentile(images, [0.5, 99.5])  # a few extreme noise pixels do not set the scale
    for ax, image, label, k in zip(image_axes, images, labels, range(n)):
        ax.imshow(image, cmap="gray_r", vmin=low, vmax=high, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(class_names[label], fontsize=10)
        ax.set_xlabel("\n".join(f"{model}: {class_names[guess[k]]} {'✓' if guess[k] == label else '✗'}"
                                for model, guess in predictions.items()), fontsize=9)
    if kernels is not None:
        vmax = float(np.abs(kernels).max()) or 1.0
        for k, (ax, kernel) in enumerate(zip(kernel_axes, kernels)):
            picture = ax.imshow(kernel, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"kernel {k + 1}", fontsize=10)
        fig.colorbar(picture, ax=kernel_axes, fraction=0.04, pad=0.02, label="weight")
    return image_axes, kernel_axes


def _rnn_columns(first, last):
    """The columns of the unrolled RNN: "0" (h_0), steps "1".."first", None (the gap), "T-(last-1)".."T"."""
    tail = ["T" if j == 0 else f"T-{j}" for j in range(last - 1, -1, -1)]
    return ["0"] + [str(t) for t in range(1, first + 1)] + [None] + tail


def draw_unrolled_rnn(ax=None, *, first: int = 2, last: int = 2):
    """The RNN of eq 8.3 unrolled over T steps, with its reverse sweep (eq 8.4): the picture of BPTT.

    Middle row: the states h_0 (grey: the constant 0), h_1 .. h_first, a gap, h_{T-last+1} .. h_T,
    joined by forward arrows that all carry the same W_hh; bottom row: the inputs x_t, each
    feeding h_t through the same W_ih; top row: the loss terms L_t that the outputs at step t feed
    (in a forecast that reads only h_T, all but L_T are 0). The reverse sweep is red and dashed:
    from each L_t down to h_t the cotangent y_bar_t, and from h_t back to h_{t-1}, right to
    left, the part of u_{t-1} that comes through step t; every state h_t is labelled with its
    cotangent u_t. Nothing flows back into h_0. Arrows carry gids: "forward-h", "forward-x",
    "forward-loss", "backward-h", "backward-loss". Returns the axes.
    """
    first = positive_int(first, "draw_unrolled_rnn", "first")
    last = positive_int(last, "draw_unrolled_rnn", "last")
    if first + last > 6:
        raise ValueError(f"draw_unrolled_rnn expects first + last <= 6 steps, to fit the column, "
                         f"got first = {first} and last = {last}")
    columns = _rnn_columns(first, last)
    if ax is None:
        _, ax = plt.subplots(figsize=(_MAX_WIDTH - 0.2, 3.9), layout="constrained")
    ax.set_aspect("equal")
    ax.axis("off")
    y_x, y_h, y_loss, radius = 0.0, 1.3, 2.6, 0.3

    def math(symbol, step):
        sub = step.replace("-", "{-}")  # T-1: a minus, no spacing
        return rf"${symbol}_{{{sub}}}$"

    def arrow(tail, head, gid, color=_FORWARD, style="-"):
        ax.annotate("", xy=head, xytext=tail, gid=gid,
                    arrowprops=dict(arrowstyle="-|>", lw=1.3, color=color, ls=style, mutation_scale=11,
                                    shrinkA=0, shrinkB=0))

    for x, step in enumerate(columns):
        if step is None:  # the gap: the steps between
            for y in (y_x, y_h, y_loss):
                ax.text(x, y, "⋯", ha="center", va="center", fontsize=16)
        elif step == "0":
            ax.add_patch(Circle((x, y_h), radius, facecolor="0.88", edgecolor="0.4", lw=1.0))
            ax.text(x, y_h, r"$\mathbf{h}_0$", ha="center", va="center", fontsize=13, color="0.3")
            ax.text(x, y_h - radius - 0.12, r"$= \mathbf{0}$", ha="center", va="top", fontsize=11, color="0.3")
        else:
            ax.add_patch(Circle((x, y_h), radius, facecolor="#E8EEF7", edgecolor="black", lw=1.0))
            ax.text(x, y_h, math(r"\mathbf{h}", step), ha="center", va="center", fontsize=13)
            for y, symbol, face in ((y_x, r"\mathbf{x}", "#F2F2F2"), (y_loss, r"\mathcal{L}", "#FBE3D2")):
                ax.add_patch(FancyBboxPatch((x - 0.27, y - 0.22), 0.54, 0.44, boxstyle="round,pad=0.04",
                                            facecolor=face, edgecolor="black", lw=0.9))
                ax.text(x, y, math(symbol, step), ha="center", va="center", fontsize=13)
            arrow((x, y_x + 0.28), (x, y_h - radius), "forward-x")
            ax.text(x - 0.07, (y_x + y_h) / 2 - 0.05, r"$\mathbf{W}_{ih}$", ha="right", va="center", fontsize=10)
            arrow((x - 0.1, y_h + radius - 0.02), (x - 0.1, y_loss - 0.27), "forward-loss")
            arrow((x + 0.1, y_loss - 0.27), (x + 0.1, y_h + radius - 0.02), "backward-loss", _BACKWARD, "--")
            ax.text(x + 0.16, (y_h + y_loss) / 2 + 0.05, math(r"\bar{\mathbf{y}}", step), ha="left",
                    va="center", fontsize=11, color=_BACKWARD)
            ax.text(x + 0.27, y_h - radius - 0.06, math(r"\mathbf{u}", step), ha="left", va="top", fontsize=11,
                    color=_BACKWARD)
        if x + 1 < len(columns):  # to the next column: the same W_hh forward, the cotangent back
            left = x + (radius if step is not None else 0.25)
            right = x + 1 - (radius if columns[x + 1] is not None else 0.25)
            arrow((left, y_h + 0.08), (right, y_h + 0.08), "forward-h")
            ax.text(x + 0.5, y_h + 0.16, r"$\mathbf{W}_{hh}$", ha="center", va="bottom", fontsize=10)
            if step != "0":  # nothing flows back into the constant h_0
                arrow((right, y_h - 0.08), (left, y_h - 0.08), "backward-h", _BACKWARD, "--")
    ax.legend(handles=[Line2D([], [], color=_FORWARD, lw=1.3, label="forward pass: values"),
                       Line2D([], [], color=_BACKWARD, lw=1.3, ls="--", label="reverse sweep: cotangents")],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=10, frameon=False)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(y_x - 0.45, y_loss + 0.4)
    return ax


def plot_forecasts(y, predictions, ax=None, *, start: int = 0, title=None, ylabel: str = "value (standardized)"):
    """A series ``y : (T,)`` (black dots) and one-step-ahead ``predictions`` (``label -> (T,)``), against time.

    ``start`` is the time index of ``y[0]``. Returns the axes.
    """
    y = as_array(y, "y")
    if y.ndim != 1 or y.size < 1:
        raise ValueError(f"plot_forecasts expects y to be a series of shape (T,), got {shape_str(y.shape)}")
    labelled(predictions, "plot_forecasts", "predictions", "(T,) array")
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
    labelled(norms, "plot_gradient_norms", "norms", "(T,) array")
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
    labelled(norms, "plot_update_norms", "norms", "(R,) array")
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
