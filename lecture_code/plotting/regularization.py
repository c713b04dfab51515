"""Chapter 6: training and validation curves, a 1-D fit with and without regularization, early
stopping, the cross-validation curve of lambda, the zeros of an L1-trained weight matrix (units
sorted), dropout (units switched off; outputs over many masks), Adam's L2 term against AdamW's
decoupled decay per weight, and a comparison of methods over seeds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Circle, Patch
from matplotlib.ticker import FormatStrFormatter, NullFormatter

from .._validate import as_array, finite_float, labelled, one_of, positive_float, positive_int, shape_str

__all__ = [
    "plot_curves", "plot_function_fit", "plot_early_stopping", "plot_cv_curve", "unit_order",
    "plot_weight_pattern", "plot_sparsity", "draw_dropout", "plot_dropout_outputs", "plot_decay_by_gradient",
    "plot_seed_comparison",
]

_MAX_WIDTH = 7.0  # inches: the book's content column is about 700 px at 100 dpi
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]
_CURVES = {"train": ("train_loss", "--", "training"), "val": ("val_loss", "-", "validation")}


def _curve(history, which, name, caller):
    """``(epochs, losses)`` of a History (``which`` is ``"train"`` or ``"val"``) as float arrays."""
    if not all(hasattr(history, a) for a in ("epoch", "train_loss", "val_loss")):
        raise ValueError(f"{caller} expects {name} to be a training History (epoch, train_loss, val_loss), "
                         f"got {type(history).__name__}")
    losses = getattr(history, _CURVES[which][0])
    if len(history.epoch) == 0 or any(v is None for v in losses):
        raise ValueError(f"{caller} expects {name} to have a {_CURVES[which][2]} loss, got a History without one: "
                         f"train with validation=(X_val, Y_val)")
    return np.asarray(history.epoch, dtype=np.float64), as_array(losses, f"{name}.{_CURVES[which][0]}")


def _index(history, epoch, name, caller):
    if epoch not in history.epoch:
        raise ValueError(f"{caller} expects {name} to be one of the recorded epochs "
                         f"{history.epoch[0]}..{history.epoch[-1]}, got {epoch!r}")
    return history.epoch.index(epoch)


def _loss_axis(ax, log):
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss  (½ squared error, mean)")
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="both", alpha=0.25)


def plot_curves(runs, ax=None, which=("train", "val"), title: str = "Training and validation loss", log: bool = True):
    """One color per run (``label -> History``): training loss dashed, validation loss solid; log y axis if ``log``.

    The losses are the data loss per epoch (row 0: before training). Returns the axes;
    every line is labelled ``"<label>: training"`` or ``"<label>: validation"``.
    """
    labelled(runs, "plot_curves", "runs", "History")
    which = tuple(which)
    if not which or not set(which) <= set(_CURVES):
        raise ValueError(f"plot_curves expects which to name curves from {list(_CURVES)}, got {which!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for (label, history), color in zip(runs.items(), _COLORS * len(runs)):
        for key in which:
            epochs, losses = _curve(history, key, f"runs[{label!r}]", "plot_curves")
            ax.plot(epochs, losses, _CURVES[key][1], color=color, lw=1.6, label=f"{label}: {_CURVES[key][2]}")
    _loss_axis(ax, log)
    ax.set_title(title)
    ax.legend(fontsize=9)
    return ax


def _points(x, y, name, caller):
    """``(x, y)`` as two 1-D float arrays of equal length (columns ``(n, 1)`` are flattened)."""
    x, y = as_array(x, f"{name} x"), as_array(y, f"{name} y")
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if x.ndim != 1 or x.size == 0 or y.shape != x.shape:
        raise ValueError(f"{caller} expects {name} as x and y of shape (n,) or (n, 1), the same n >= 1, "
                         f"got {shape_str(x.shape)} and {shape_str(y.shape)}")
    return x, y


def plot_function_fit(x_train, y_train, grid, fits, truth=None, test=None, ax=None,
                      title: str = "Twelve noisy points, two fits"):
    """Fitted functions of one input, drawn over a ``grid``, with the points they were fitted to.

    x_train, y_train : (n,) or (n, 1), the training points (filled dots); grid : (G,) or (G, 1),
    increasing; ``fits``: label -> (G,) predictions on the grid, one line each; ``truth`` : (G,)
    the function the points were drawn from (dotted); ``test = (x, y)``: points of the same
    function the fits never saw (hollow dots). The y axis spans the points and the truth with a
    margin, so that a fit that shoots off between the points leaves the plot instead of
    flattening it. Returns the axes: the fits are the lines labelled with their labels.
    """
    caller = "plot_function_fit"
    x_train, y_train = _points(x_train, y_train, "the training points", caller)
    grid = as_array(grid, "grid")
    grid = grid[:, 0] if grid.ndim == 2 and grid.shape[1] == 1 else grid
    if grid.ndim != 1 or grid.size < 2 or (np.diff(grid) <= 0).any():
        raise ValueError(f"{caller} expects grid to be an increasing array of shape (G,) or (G, 1), G >= 2, "
                         f"got {grid!r:.80}")
    labelled(fits, caller, "fits", "predictions on the grid")
    curves = {}
    for label, f in fits.items():
        f = as_array(f, f"fits[{label!r}]")
        f = f[:, 0] if f.ndim == 2 and f.shape[1] == 1 else f
        if f.shape != grid.shape:
            raise ValueError(f"{caller} expects fits[{label!r}] to hold one prediction per grid point "
                             f"{shape_str(grid.shape)}, got {shape_str(f.shape)}")
        curves[label] = f
    if truth is not None:
        truth = as_array(truth, "truth")
        truth = truth[:, 0] if truth.ndim == 2 and truth.shape[1] == 1 else truth
        if truth.shape != grid.shape:
            raise ValueError(f"{caller} expects truth to hold one value per grid point {shape_str(grid.shape)}, "
                             f"got {shape_str(truth.shape)}")
    if test is not None:
        if not isinstance(test, (tuple, list)) or len(test) != 2:
            raise ValueError(f"{caller} expects test to be a pair (x, y) of points, got {type(test).__name__}")
        test = _points(*test, "the test points", caller)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.6))
    if truth is not None:
        ax.plot(grid, truth, ":", color="black", lw=1.8, label="the function sampled")
    for (label, f), color in zip(curves.items(), _COLORS * len(curves)):
        ax.plot(grid, f, "-", color=color, lw=2, label=label)
    if test is not None:
        ax.plot(*test, "o", ms=5, mfc="none", mec="0.45", mew=1, label=f"test points ({test[0].size})")
    ax.plot(x_train, y_train, "o", ms=7, color="black", zorder=5, label=f"training points ({x_train.size})")
    seen = [y_train] + ([test[1]] if test is not None else []) + ([truth] if truth is not None else [])
    low, high = min(float(v.min()) for v in seen), max(float(v.max()) for v in seen)
    margin = 0.35 * (high - low) or 1.0
    ax.set_ylim(low - margin, high + margin)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, frameon=False)
    return ax


def plot_early_stopping(history, best_epoch: int, stopped_epoch: int, ax=None, full=None, patience=None,
                        title: str = "Early stopping: the run is cut short, the best epoch restored", log: bool = True):
    """The curves of a run stopped at ``stopped_epoch``, a marker at ``best_epoch`` (the restored parameters).

    ``full``: the same run without stopping, drawn in grey behind it; the span from the best to
    the stopping epoch is shaded (``patience`` epochs without enough improvement); log y axis if ``log``.
    Returns the axes.
    """
    caller = "plot_early_stopping"
    epochs, train = _curve(history, "train", "history", caller)
    _, val = _curve(history, "val", "history", caller)
    i_best = _index(history, best_epoch, "best_epoch", caller)
    _index(history, stopped_epoch, "stopped_epoch", caller)
    if stopped_epoch < best_epoch:
        raise ValueError(f"{caller} expects stopped_epoch >= best_epoch (training stops at or after its best "
                         f"epoch), got stopped_epoch {stopped_epoch} and best_epoch {best_epoch}")
    span = "patience" if patience is None else f"patience = {positive_int(patience, caller, 'patience')} epochs"
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if full is not None:
        for key in ("train", "val"):
            e, loss = _curve(full, key, "full", caller)
            ax.plot(e, loss, _CURVES[key][1], color="0.7", lw=1.2, label=f"without stopping: {_CURVES[key][2]}")
    ax.plot(epochs, train, "--", color=_COLORS[0], lw=1.8, label="training")
    ax.plot(epochs, val, "-", color=_COLORS[1], lw=1.8, label="validation")
    ax.axvspan(best_epoch, stopped_epoch, color=_COLORS[1], alpha=0.12, label=span)
    ax.axvline(stopped_epoch, color="0.3", ls=":", lw=1.5, label=f"stopped after epoch {stopped_epoch}")
    ax.plot([best_epoch], [val[i_best]], "o", ms=9, mfc="white", mec="black", mew=2, zorder=5,
            label=f"restored: epoch {best_epoch}")
    _loss_axis(ax, log)
    ax.set_title(title)
    # below the axes: inside, it would cover the curves, which fill the plot from corner to corner
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    return ax


def plot_cv_curve(lams, scores, chosen=None, ax=None, title: str = "k-fold cross-validation of λ",
                  bars: str = "se"):
    """The mean over the folds of the validation loss against lambda (log axis), each fold as a dot.

    lams : (L,) values > 0; scores : (L, k), row l the k fold scores of ``lams[l]``;
    ``chosen``: the selected lambda, marked by a star and a dotted line. ``bars``: the error
    bars, ``"se"`` the standard error of the mean, SD / sqrt(k) (how far the mean could move with
    other folds), or ``"sd"`` the spread of single folds, the sample SD (ddof = 1). The legend sits
    below the axes, clear of the dots. Returns the axes.
    """
    lams = as_array(lams, "lams")
    scores = as_array(scores, "scores")
    if lams.ndim != 1 or lams.size == 0 or (lams <= 0).any():
        raise ValueError(f"plot_cv_curve expects lams to be a non-empty list of values > 0 (a log axis), "
                         f"got {lams!r:.80}")
    if scores.ndim != 2 or scores.shape[0] != lams.size or scores.shape[1] < 2:
        raise ValueError(f"plot_cv_curve expects scores of shape (L, k) = ({lams.size}, k >= 2), one row per "
                         f"lambda, got {shape_str(scores.shape)}")
    one_of(bars, ["se", "sd"], "plot_cv_curve", "bars")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    k = scores.shape[1]
    mean, sd = scores.mean(axis=1), scores.std(axis=1, ddof=1)
    for j in range(k):
        ax.plot(lams, scores[:, j], ".", color="0.6", ms=7, label="one fold" if j == 0 else None)
    if bars == "se":
        error, name = sd / np.sqrt(k), f"mean ± standard error (SD/√{k})"
    else:
        error, name = sd, f"mean ± SD over {k} folds"
    ax.errorbar(lams, mean, yerr=error, fmt="o-", color=_COLORS[0], capsize=4, lw=1.8, label=name)
    if chosen is not None:
        chosen = float(as_array(chosen, "chosen")) if np.ndim(chosen) == 0 else chosen
        if not isinstance(chosen, float) or not np.isclose(lams, chosen, rtol=1e-12, atol=0).any():
            raise ValueError(f"plot_cv_curve expects chosen to be one of lams {lams.tolist()}, got {chosen!r}")
        i = int(np.argmin(np.abs(lams - chosen)))
        ax.axvline(chosen, color=_COLORS[3], ls=":", lw=1.5)
        ax.plot([chosen], [mean[i]], "*", color=_COLORS[3], ms=16, zorder=5, label=f"chosen λ = {chosen:g}")
    ax.set_xscale("log")
    ax.set_xlabel("λ  (weight decay strength)")
    ax.set_ylabel("validation loss of the held-out fold")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
    return ax


def unit_order(W):
    """``(rows, cols)``: the output units (rows of W) and the input units (columns) in the order
    ``plot_weight_pattern(W, sort=True)`` draws them, most non-zero weights first (ties: larger norm first).

    W : (out, in). A row of zeros (a unit that receives nothing) sorts last, as does a column of
    zeros (a unit whose output goes nowhere).
    """
    W = as_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"unit_order expects W to be a weight matrix of shape (out, in), got {shape_str(W.shape)}")
    nonzero, size = W != 0.0, W ** 2

    def order(axis):
        return np.lexsort((-size.sum(axis=axis), -nonzero.sum(axis=axis)))  # the last key sorts first

    return order(1), order(0)


def plot_weight_pattern(W, ax=None, title=None, colorbar: bool = True, sort: bool = False, signs: bool = False):
    """The weight matrix W : (out, in) as an image; entries exactly 0 are white, the others colored.

    The color scale is symmetric about 0. ``signs``: every non-zero entry in one of two full
    colors, red if positive, blue if negative, however small (a sparsity pattern, with a legend
    instead of a colorbar; on a color scale a weight of 1e-6 looks as white as a zero).
    ``sort``: rows and columns in the order of :func:`unit_order` (the units with most non-zero
    weights first), so that the all-zero rows and columns collect at the bottom and on the
    right, behind a dashed line each. The default title gives the fraction of exact zeros.
    Returns the axes; the image is ``ax.images[0]`` (a masked array: the zeros are masked;
    with ``signs`` its entries are the signs).
    """
    W = as_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"plot_weight_pattern expects W to be a weight matrix of shape (out, in), "
                         f"got {shape_str(W.shape)}")
    for name, flag in (("sort", sort), ("signs", signs)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ValueError(f"plot_weight_pattern expects {name} to be True or False, got {flag!r}")
    if sort:
        rows, cols = unit_order(W)
        W = W[rows][:, cols]
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    zero = W == 0.0
    if signs:
        cmap = ListedColormap([_COLORS[0], _COLORS[3]]).with_extremes(bad="white")
        image = ax.imshow(np.ma.masked_array(np.sign(W), mask=zero), cmap=cmap, vmin=-1, vmax=1,
                          interpolation="nearest", aspect="auto")
        handles = [Patch(facecolor=_COLORS[3], label="positive"), Patch(facecolor=_COLORS[0], label="negative"),
                   Patch(facecolor="white", edgecolor="0.5", label="exactly 0")]
        ax.legend(handles=handles, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3,
                  frameon=False)
    else:
        vmax = float(np.abs(W).max()) or 1.0
        cmap = plt.get_cmap("RdBu_r").with_extremes(bad="white")
        image = ax.imshow(np.ma.masked_array(W, mask=zero), cmap=cmap, vmin=-vmax, vmax=vmax,
                          interpolation="nearest", aspect="auto")
        if colorbar:
            ax.figure.colorbar(image, ax=ax, label="weight")
    if sort:
        dead_rows, dead_cols = int(zero.all(axis=1).sum()), int(zero.all(axis=0).sum())
        if 0 < dead_rows < W.shape[0]:
            ax.axhline(W.shape[0] - dead_rows - 0.5, color="0.3", ls="--", lw=1)
        if 0 < dead_cols < W.shape[1]:
            ax.axvline(W.shape[1] - dead_cols - 0.5, color="0.3", ls="--", lw=1)
        ax.set_xlabel(f"input unit ({W.shape[1]}), sorted: {dead_cols} all-zero columns on the right")
        ax.set_ylabel(f"output unit ({W.shape[0]}), sorted:\n{dead_rows} all-zero rows at the bottom")
    else:
        ax.set_xlabel(f"input unit ({W.shape[1]})")
        ax.set_ylabel(f"output unit ({W.shape[0]})")
    ax.set_title(title if title is not None else f"{zero.mean():.0%} of the weights are exactly 0 (white)")
    return ax


def plot_sparsity(lams, zero_fractions, ax=None, title: str = "L1: more of the weights are exactly 0 as λ grows"):
    """The fraction of weights that are exactly 0 against lambda (log axis).

    lams : (L,) values > 0; zero_fractions : (L,) in [0, 1]. Returns the axes.
    """
    lams = as_array(lams, "lams")
    fractions = as_array(zero_fractions, "zero_fractions")
    if lams.ndim != 1 or lams.size == 0 or (lams <= 0).any():
        raise ValueError(f"plot_sparsity expects lams to be a non-empty list of values > 0 (a log axis), "
                         f"got {lams!r:.80}")
    if fractions.shape != lams.shape or (fractions < 0).any() or (fractions > 1).any():
        raise ValueError(f"plot_sparsity expects zero_fractions to be {lams.size} values in [0, 1], one per "
                         f"lambda, got {fractions!r:.80}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ax.plot(lams, fractions, "o-", color=_COLORS[2], lw=1.8, ms=6)
    for lam, f in zip(lams, fractions):
        ax.annotate(f"{f:.0%}", (lam, f), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_ylim(-0.05, 1.1)
    ax.set_xlabel("λ  (L1 strength)")
    ax.set_ylabel("fraction of weights exactly 0")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    return ax


def draw_dropout(sizes, dropped, ax=None,
                 title: str = "Dropout switches off units: all their connections go with them"):
    """A fully connected network with widths ``sizes``; the units in ``dropped`` are switched off.

    ``dropped``: one boolean sequence per layer (``True`` = switched off). A dropped unit is drawn
    hollow with a cross, and none of its connections, in or out, is drawn. Returns the axes:
    one ``Circle`` per unit, one ``Line2D`` per remaining connection (plus two per cross).
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"draw_dropout expects sizes to be a list of at least two layer widths, got {sizes!r}")
    sizes = [positive_int(s, "draw_dropout", f"sizes[{i}]") for i, s in enumerate(sizes)]
    if not isinstance(dropped, (list, tuple)) or len(dropped) != len(sizes):
        raise ValueError(f"draw_dropout expects dropped to hold one boolean list per layer ({len(sizes)}), "
                         f"got {dropped!r:.80}")
    off = [np.asarray(d, dtype=bool).ravel() for d in dropped]
    for i, (d, n) in enumerate(zip(off, sizes)):
        if d.size != n:
            raise ValueError(f"draw_dropout expects dropped[{i}] to have {n} entries (one per unit of layer {i}), "
                             f"got {d.size}")
    if ax is None:
        width, height = 1.9 * len(sizes) + 1, 0.55 * max(sizes) + 1.5
        shrink = min(1.0, _MAX_WIDTH / width)  # at most the book's column, same proportions
        _, ax = plt.subplots(figsize=(shrink * width, shrink * height))
    gap, radius = 0.6, 0.17
    centres = [[(2.0 * k, gap * (j - (n - 1) / 2)) for j in range(n)] for k, n in enumerate(sizes)]
    for k in range(len(sizes) - 1):
        for i, (x0, y0) in enumerate(centres[k]):
            for j, (x1, y1) in enumerate(centres[k + 1]):
                if not off[k][i] and not off[k + 1][j]:
                    ax.plot([x0 + radius, x1 - radius], [y0, y1], color="0.55", lw=0.7, zorder=1)
    colors = ["#4C72B0"] + ["#DD8452"] * (len(sizes) - 2) + ["#55A868"]
    for k, (layer, color) in enumerate(zip(centres, colors)):
        for j, (x, y) in enumerate(layer):
            if off[k][j]:
                ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="0.5", lw=1, ls="--", zorder=2))
                r = 0.7 * radius
                ax.plot([x - r, x + r], [y - r, y + r], color="0.5", lw=1, zorder=3)
                ax.plot([x - r, x + r], [y + r, y - r], color="0.5", lw=1, zorder=3)
            else:
                ax.add_patch(Circle((x, y), radius, facecolor=color, edgecolor="black", lw=0.8, zorder=2))
    top = gap * (max(sizes) - 1) / 2
    names = ["Input"] + [f"Hidden {i}" for i in range(1, len(sizes) - 1)] + ["Output"]
    for k, name in enumerate(names):
        ax.text(2.0 * k, top + 0.55, f"{name}\n({int((~off[k]).sum())} of {sizes[k]} on)", ha="center",
                va="bottom", fontsize=10)
    ax.set_xlim(-0.6, 2.0 * (len(sizes) - 1) + 0.6)
    ax.set_ylim(-top - 0.5, top + 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    return ax


def plot_dropout_outputs(samples, eval_output: float, ax=None, bins: int = 40,
                         title: str = "One input, many dropout masks"):
    """Histogram of training-mode outputs (one per mask), their mean (dashed) and the evaluation-mode output (solid).

    samples : (S,) outputs of the same input under S masks; ``eval_output``: the output with dropout off.
    Returns the axes.
    """
    samples = as_array(samples, "samples")
    if samples.ndim != 1 or samples.size < 2:
        raise ValueError(f"plot_dropout_outputs expects samples to be a 1-D array of at least 2 outputs, "
                         f"got shape {shape_str(samples.shape)}")
    value = as_array(eval_output, "eval_output")
    if value.ndim != 0:
        raise ValueError(f"plot_dropout_outputs expects eval_output to be one number, "
                         f"got shape {shape_str(value.shape)}")
    eval_output = float(value)
    bins = positive_int(bins, "plot_dropout_outputs", "bins")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ax.hist(samples, bins=bins, color=_COLORS[0], alpha=0.6, label=f"training mode, {samples.size} masks")
    ax.axvline(samples.mean(), color="black", ls="--", lw=1.8, label=f"mean over the masks: {samples.mean():.3f}")
    ax.axvline(eval_output, color=_COLORS[3], ls="-", lw=2, label=f"evaluation mode: {eval_output:.3f}")
    ax.set_xlabel("output")
    ax.set_ylabel("number of masks")
    ax.set_title(title)
    ax.legend(fontsize=9)
    return ax


def _quantile_groups(x, groups):
    """Index of the quantile group (0 .. groups - 1) of every entry of ``x``: equal counts, smallest first."""
    edges = np.quantile(x, np.linspace(0, 1, groups + 1)[1:-1])
    return np.searchsorted(edges, x, side="right")


def plot_decay_by_gradient(rms, ratios, expected=None, ax=None, groups: int = 4,
                           title: str = "How much of each weight the decay leaves, by its gradients"):
    """Per weight, |w with decay| / |w without| against the weight's gradient RMS sqrt(v-hat); log-log.

    rms : (n,) the gradient RMS of each weight (> 0; weights that never had a gradient left out
    by the caller); ``ratios``: label -> (n,) ratios > 0, one cloud of dots per label, with the
    median of each of ``groups`` quantile groups of ``rms`` drawn as large markers joined by a
    line; ``expected = (label, ratio)``: a dotted horizontal line (AdamW's (1 - rho wd)^T). The
    axes span the central 99% of the dots (a few outliers fall outside). Returns the axes; the
    medians are the lines labelled ``"<label>: median per quartile"`` (``"... per group"``
    unless ``groups`` is 4).
    """
    caller = "plot_decay_by_gradient"
    rms = as_array(rms, "rms")
    if rms.ndim != 1 or rms.size < 2 or (rms <= 0).any():
        raise ValueError(f"{caller} expects rms to be a 1-D array of at least 2 gradient RMS values > 0 "
                         f"(leave out the weights that never had a gradient), got {rms!r:.80}")
    labelled(ratios, caller, "ratios", "array of ratios")
    clouds = {}
    for label, r in ratios.items():
        r = as_array(r, f"ratios[{label!r}]")
        if r.shape != rms.shape or (r <= 0).any():
            raise ValueError(f"{caller} expects ratios[{label!r}] to be {rms.size} values > 0, one per weight "
                             f"(a log axis), got {r!r:.80}")
        clouds[label] = r
    if expected is not None:
        if not isinstance(expected, (tuple, list)) or len(expected) != 2:
            raise ValueError(f"{caller} expects expected to be a pair (label, ratio), got {expected!r:.60}")
        expected = (str(expected[0]), positive_float(expected[1], caller, "the expected ratio"))
    groups = positive_int(groups, caller, "groups")
    if groups > rms.size:
        raise ValueError(f"{caller} expects groups between 1 and the number of weights ({rms.size}), got {groups}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    group = _quantile_groups(rms, groups)
    centres = np.array([np.median(rms[group == g]) for g in range(groups)])
    which = "quartile" if groups == 4 else "group"
    for (label, r), color in zip(clouds.items(), [_COLORS[1], _COLORS[0]] + _COLORS[2:] * len(clouds)):
        ax.scatter(rms, r, s=4, color=color, alpha=0.25, linewidths=0, rasterized=True)
        medians = [np.median(r[group == g]) for g in range(groups)]
        ax.plot(centres, medians, "o-", color=color, mec="black", ms=8, lw=1.8,
                label=f"{label}: median per {which}")
    if expected is not None:
        ax.axhline(expected[1], color="0.2", ls=":", lw=1.5, label=expected[0])
    ax.set_xscale("log")
    ax.set_yscale("log")
    every = np.concatenate(list(clouds.values()))  # the axes span the central 99% of the dots
    ax.set_xlim(np.quantile(rms, 0.005) / 2, rms.max() * 2)
    ax.set_ylim(np.quantile(every, 0.005) / 2, np.quantile(every, 0.995) * 2)
    ax.set_xlabel("gradient RMS of the weight, √v̂  (no decay)")
    ax.set_ylabel("|w| with decay / |w| without")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(fontsize=9)
    return ax


def plot_seed_comparison(results, references=None, ax=None, *, seeds=None,
                         xlabel: str = "test loss  (½ squared error, mean)",
                         title: str = "Test loss of each method, one dot per seed"):
    """One row per method (``label -> (S,) scores``, entry s from seed s): a dot per seed, mean ± SD.

    The dots of one seed share a color and are joined by a faint line across the methods (every
    method ran on the same seeds); the mean is a black bar with the sample standard deviation
    (ddof = 1) as its error bar. ``references`` (``label -> number``: a baseline, the loss of
    always predicting the training mean) are drawn as vertical lines, dashed, dotted and
    dash-dotted in turn. ``seeds``: the S seeds, for the legend (default 0 to S - 1). Returns the
    axes; the first method is the top row.
    """
    caller = "plot_seed_comparison"
    labelled(results, caller, "results", "scores, one per seed")
    rows = {label: as_array(v, f"results[{label!r}]") for label, v in results.items()}
    shapes = {v.shape for v in rows.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1 or next(iter(shapes))[0] < 2:
        raise ValueError(f"{caller} expects every entry of results to hold the same number (>= 2) of scores, "
                         f"one per seed, got shapes {sorted(shapes)}")
    references = {} if references is None else references
    if not isinstance(references, dict):
        raise ValueError(f"{caller} expects references to be a dict label -> value, got {references!r:.60}")
    references = {str(label): finite_float(value, caller, f"references[{label!r}]")
                  for label, value in references.items()}
    scores = np.array(list(rows.values()))  # (methods, seeds)
    n_methods, n_seeds = scores.shape
    if seeds is None:
        seeds = range(n_seeds)
    if not isinstance(seeds, (list, tuple, range)) or len(seeds) != n_seeds:
        raise ValueError(f"{caller} expects seeds to be a list of the {n_seeds} seeds, one per score, "
                         f"got {seeds!r:.60}")
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=(7, 1.0 + 0.75 * n_methods))
    y = np.arange(n_methods)[::-1].astype(float)  # the first method on top
    offsets = 0.25 * (np.arange(n_seeds) - (n_seeds - 1) / 2) / max(n_seeds - 1, 1)
    seed_colors = plt.get_cmap("viridis")(np.linspace(0.05, 0.85, n_seeds))
    for s in range(n_seeds):
        ax.plot(scores[:, s], y + offsets[s], "-", color=seed_colors[s], alpha=0.3, lw=1)
        ax.plot(scores[:, s], y + offsets[s], "o", color=seed_colors[s], ms=6, mec="white", mew=0.5,
                label=f"seed {seeds[s]}")
    mean, sd = scores.mean(axis=1), scores.std(axis=1, ddof=1)
    ax.errorbar(mean, y, xerr=sd, fmt="|", color="black", ms=22, mew=2.5, capsize=5, lw=1.5,
                label=f"mean ± SD over {n_seeds} seeds", zorder=5)
    styles = [(_COLORS[3], "--"), ("0.3", ":"), ("0.45", "-.")]
    for i, (label, value) in enumerate(references.items()):
        color, style = styles[i % len(styles)]
        ax.axvline(value, color=color, ls=style, lw=1.5, label=label)
    ax.set_yticks(y)
    ax.set_yticklabels(list(rows))
    ax.set_ylim(y.min() - 0.5, y.max() + 0.5)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.25)
    ax.legend(fontsize=9, loc="best", ncol=2)
    if own:
        ax.figure.tight_layout()  # the method names inside the figure's width
    return ax
