"""Chapter 5: training curves (eqs 29-32), the paths of the three regimes on a loss surface, learning-rate
schedules, per-parameter rates, optimizers per unit of work, and quantities per layer (initialization,
vanishing gradients)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from .._validate import _is_real, one_of, positive_int
from ..training import rate_at

__all__ = ["plot_loss_curves", "plot_loss_curves_broken", "plot_loss_paths", "plot_schedules",
           "plot_evaluations", "plot_rates", "plot_work", "plot_layer_curves"]

_HUGE = 1e200  # larger losses (a diverged run) overflow matplotlib's axis margins: not drawn
_X_LABELS = {"epoch": "epoch (one pass over the training set)", "updates": "number of updates (parameter steps)"}


def _labelled(items, name: str, caller: str) -> dict:
    if not isinstance(items, dict) or not items:
        raise ValueError(f"{caller} expects {name} to be a non-empty dict {{label: ...}}, "
                         f"got {type(items).__name__} {items!r:.60}")
    return {str(label): value for label, value in items.items()}


def _column(history, field: str, name: str, caller: str) -> np.ndarray:
    if not all(hasattr(history, a) for a in ("epoch", "updates", "train_loss", "val_loss")):
        raise ValueError(f"{caller} expects {name} to be a History from lc.training.train, "
                         f"got {type(history).__name__}")
    values = getattr(history, field)
    if len(values) == 0:
        raise ValueError(f"{caller} expects {name} to hold at least row 0 (before any update), as train records it, "
                         f"got an empty History")
    if any(v is None for v in values):
        raise ValueError(f"{caller} expects {name} to have a validation loss, got a History without one: "
                         f"train it with validation=(X_val, Y_val)")
    return np.asarray(values, dtype=np.float64)


def _plain_log_ticks(axis):
    """Tick labels 0.3, 1, 20 on a log axis (not 3 x 10^-1); minor labels 2, 3, 5 (or 2, 5) on short ranges."""

    def major(value, _):
        if value <= 0 or 1e-3 <= value < 1e5:
            return f"{value:g}"
        exponent = math.log10(value)
        return f"$10^{{{round(exponent)}}}$" if abs(exponent - round(exponent)) < 1e-9 else f"{value:.0e}"

    def minor(value, _):
        low, high = sorted(axis.get_view_interval())
        if not low > 0:
            return ""
        digits = "235" if high / low < 100 else "25" if high / low < 1000 else ""
        return f"{value:g}" if f"{value:.0e}"[0] in digits else ""

    axis.set_major_formatter(ticker.FuncFormatter(major))
    axis.set_minor_formatter(ticker.FuncFormatter(minor))


def _finish(ax, fresh, title):
    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            _plain_log_ticks(axis)
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9, loc="best", framealpha=0.9)
    if fresh:
        ax.figure.tight_layout()
    return ax


def plot_loss_curves(histories, x: str = "epoch", ax=None, *, which: str = "train", log_x: bool = False,
                     log_y: bool = True, title=None):
    """The mean loss of each run in ``histories`` (``{label: History}``) against epochs or updates.

    ``x="epoch"`` puts epoch e at e; ``x="updates"`` puts it at the number of updates made
    by then (1, N or ceil(N/B) per epoch: eqs 29, 30, 32). ``which`` picks ``"train"`` or
    ``"val"`` losses. On a log axis the points at 0 (row 0, before training) are left out.
    A loss that is not finite or above 1e200 (the run overflowed: no axis can show it) is not
    part of the line; it is marked by an x in the run's color at the top edge of the axes.
    Returns the axes; one line per run, in the order given; the x marks are
    ``ax.collections`` with the gid ``"overflow"``.
    """
    histories = _labelled(histories, "histories", "plot_loss_curves")
    one_of(x, tuple(_X_LABELS), "plot_loss_curves", "x")
    one_of(which, ("train", "val"), "plot_loss_curves", "which")
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    for label, history in histories.items():
        name = f"histories[{label!r}]"
        xs = _column(history, "epoch" if x == "epoch" else "updates", name, "plot_loss_curves")
        ys = _column(history, f"{which}_loss", name, "plot_loss_curves")
        finite = np.abs(ys) <= _HUGE  # False for NaN too
        keep = finite & ((xs > 0) if log_x else True) & ((ys > 0) if log_y else True)
        (line,) = ax.plot(xs[keep], ys[keep], marker="o" if keep.sum() <= 25 else None, ms=3.5, lw=1.6,
                          label=label)
        over = ~finite & ((xs > 0) if log_x else True)
        if over.any():
            ax.scatter(xs[over], np.ones(int(over.sum())), marker="x", s=45, color=line.get_color(),
                       transform=ax.get_xaxis_transform(), clip_on=False, zorder=4, gid="overflow")
    if log_x:
        ax.set_xscale("log")
    elif x == "epoch":
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # epochs are whole numbers
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(_X_LABELS[x])
    ax.set_ylabel(f"mean {'training' if which == 'train' else 'validation'} loss")
    kind = "Training" if which == "train" else "Validation"
    default = f"{kind} loss per {'epoch' if x == 'epoch' else 'update count'}"
    return _finish(ax, fresh, default if title is None else title)


def plot_loss_curves_broken(histories, split: float, x: str = "epoch", axes=None, *, which: str = "train",
                            log_x: bool = False, title=None):
    """:func:`plot_loss_curves` on a broken log axis: losses above ``split`` in a short top panel.

    A run that blows up (a loss of 1e13 where the others stay below 10) would squash every
    other curve onto a few pixels. Here each run is drawn in both panels: the bottom panel
    shows the losses up to ``split``, the top panel (a third of its height) those above it,
    with break marks on the axis between; a loss that overflowed is an x at the top of the top
    panel. ``axes``: a pair ``(top, bottom)`` sharing the x axis, or None for a new 7 x 5.6 inch
    figure. Returns ``(top, bottom)``; in each, one line per run in the order given, then the
    break marks; the legend is in the bottom panel.
    """
    if not _is_real(split) or not math.isfinite(split) or split <= 0:
        raise ValueError(f"plot_loss_curves_broken expects split to be a finite loss > 0 (where the axis breaks), "
                         f"got {split!r}")
    split = float(split)
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(6.8, 5.6), sharex=True, gridspec_kw={"height_ratios": (1, 3)})
    elif not (isinstance(axes, (tuple, list, np.ndarray)) and len(axes) == 2):
        raise ValueError(f"plot_loss_curves_broken expects axes to be a pair (top, bottom), got {axes!r:.60}")
    top, bottom = axes
    plot_loss_curves(histories, x=x, ax=top, which=which, log_x=log_x, title=title)
    plot_loss_curves(histories, x=x, ax=bottom, which=which, log_x=log_x, title="")
    top.get_legend().remove()
    for marks in [c for c in bottom.collections if c.get_gid() == "overflow"]:
        marks.remove()  # an overflow is marked once, at the top of the top panel
    drawn = np.concatenate([line.get_ydata() for line in bottom.lines])
    low, high = (float(drawn.min()), float(drawn.max())) if drawn.size else (split / 10, split)
    bottom.set_ylim(min(low, split / 1.5) / 1.3, split)
    top.set_ylim(split, max(3 * high, 10 * split))
    top.spines["bottom"].set_visible(False)
    bottom.spines["top"].set_visible(False)
    top.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    top.set_xlabel("")
    top.set_ylabel(f"above {split:g}")
    marks = dict(marker=[(-1, -0.5), (1, 0.5)], markersize=10, linestyle="none", color="k", mec="k", mew=1,
                 clip_on=False)
    top.plot([0, 1], [0, 0], transform=top.transAxes, **marks)
    bottom.plot([0, 1], [1, 1], transform=bottom.transAxes, **marks)
    top.figure.tight_layout(h_pad=0.4)
    return top, bottom


def _grid(values, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"plot_loss_paths expects {name} to be an array of numbers, "
                         f"got {type(values).__name__}") from None
    if a.ndim != 1 or a.size < 2 or not np.isfinite(a).all() or (np.diff(a) <= 0).any():
        raise ValueError(f"plot_loss_paths expects {name} to be an increasing 1-d grid of at least 2 finite "
                         f"numbers, got shape {a.shape}")
    return a


def plot_loss_paths(w1, w2, losses, paths, ax=None, *, minimum=None, levels: int = 10,
                    labels=("$w_1$", "$w_2$"), title=None):
    """Contours of a loss over two parameters, and the path of each optimizer on them.

    ``w1 : (G1,)`` and ``w2 : (G2,)`` are the grid, ``losses : (G2, G1)`` the loss at
    ``(w1[j], w2[i])`` (``np.meshgrid`` order). ``paths``: ``{label: points}``, ``points : (K, 2)``
    the parameters after 0, 1, ..., K - 1 updates. ``levels`` contour lines at
    ``min + (max - min) (k / levels)^2`` (evenly spaced ellipses for a quadratic loss). A path of
    at most 30 points gets markers, a longer one a thinner line; the start of the first path is
    a black dot, ``minimum`` (a point ``(w1, w2)``) a black star. Equal scales on both axes.
    Returns the axes; one line per path in the order given, then the start, then the minimum.
    """
    w1, w2 = _grid(w1, "w1"), _grid(w2, "w2")
    try:
        C = np.asarray(losses, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"plot_loss_paths expects losses to be an array of numbers, "
                         f"got {type(losses).__name__}") from None
    if C.shape != (w2.size, w1.size) or not np.isfinite(C).all():
        raise ValueError(f"plot_loss_paths expects losses to be finite, of shape (len(w2), len(w1)) = "
                         f"{(w2.size, w1.size)}, got shape {C.shape}")
    n_levels = positive_int(levels, "plot_loss_paths", "levels")
    if not (isinstance(labels, (tuple, list)) and len(labels) == 2 and all(isinstance(t, str) for t in labels)):
        raise ValueError(f"plot_loss_paths expects labels to be a pair of axis labels (str, str), got {labels!r:.60}")
    paths = _labelled(paths, "paths", "plot_loss_paths")
    points = {}
    for label, path in paths.items():
        try:
            p = np.asarray(path, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"plot_loss_paths expects paths[{label!r}] to be an array of points") from None
        if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] != 2 or not np.isfinite(p).all():
            raise ValueError(f"plot_loss_paths expects paths[{label!r}] to be finite points of shape (K, 2), "
                             f"got shape {p.shape}")
        points[label] = p
    if minimum is not None:
        star = np.asarray(minimum, dtype=np.float64)
        if star.shape != (2,) or not np.isfinite(star).all():
            raise ValueError(f"plot_loss_paths expects minimum to be a point (w1, w2), got {minimum!r:.60}")
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(6.8, 6.0))
    low, high = float(C.min()), float(C.max())
    if high > low:
        ax.contour(w1, w2, C, levels=low + (high - low) * (np.arange(1, n_levels + 1) / n_levels) ** 2,
                   colors="0.6", linewidths=0.8)
    for label, p in points.items():
        short = p.shape[0] <= 30
        ax.plot(p[:, 0], p[:, 1], lw=2.0 if short else 1.2 if p.shape[0] <= 500 else 0.6,
                marker="o" if short else None, ms=4, label=label, zorder=3 if short else 2)
    first = next(iter(points.values()))[0]
    ax.plot(*first, "o", color="k", ms=6, label="start", zorder=4)
    if minimum is not None:
        ax.plot(*star, "*", color="k", ms=12, label="minimum", zorder=4)
    ax.set_xlim(w1[0], w1[-1])
    ax.set_ylim(w2[0], w2[-1])
    ax.set_aspect("equal")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return _finish(ax, fresh, "Paths on the loss surface" if title is None else title)


def plot_schedules(schedules, n_updates: int, ax=None, *, title=None):
    """The learning rate rho_r of each schedule (``{label: r -> rho_r}``) for updates r = 1 .. n_updates, log-log.

    Returns the axes; one line per schedule, its y data the rates rho_1 .. rho_n.
    """
    schedules = _labelled(schedules, "schedules", "plot_schedules")
    n = positive_int(n_updates, "plot_schedules", "n_updates")
    r = np.arange(1, n + 1)
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(6.0, 4.0))
    for label, schedule in schedules.items():
        if not callable(schedule):
            raise ValueError(f"plot_schedules expects schedules[{label!r}] to be a function r -> rho_r, "
                             f"got {type(schedule).__name__}")
        rates = np.array([rate_at(schedule, int(k), f"plot_schedules (schedules[{label!r}])") for k in r])
        ax.plot(r, rates, lw=1.8, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("update r (counted from 1, over all epochs)")
    ax.set_ylabel(r"learning rate $\rho_r$")
    return _finish(ax, fresh, "Learning-rate schedules" if title is None else title)


def plot_evaluations(curves, ax=None, *, best_so_far: bool = True, log_y: bool = True, title=None):
    """Loss against the number of loss-and-gradient evaluations, one line per optimizer.

    ``curves``: ``{label: losses}``, ``losses[k - 1]`` the loss at the point of evaluation k
    (``MinimizeHistory.losses``; a full-batch ``History.train_loss``, one epoch = one
    evaluation). With ``best_so_far`` each line is the lowest loss found within k
    evaluations (a line search tries points that are worse: those are not drawn); without
    it, the loss of every evaluation. Returns the axes; one line per optimizer, in the order given.
    """
    curves = _labelled(curves, "curves", "plot_evaluations")
    arrays = {}
    for label, losses in curves.items():
        try:
            a = np.asarray(losses, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"plot_evaluations expects curves[{label!r}] to be a sequence of losses, "
                             f"got {type(losses).__name__}") from None
        if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
            raise ValueError(f"plot_evaluations expects curves[{label!r}] to be a non-empty 1-d sequence of finite "
                             f"losses, got shape {a.shape}")
        arrays[label] = a
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    for label, a in arrays.items():
        ax.plot(np.arange(1, a.size + 1), np.minimum.accumulate(a) if best_so_far else a, lw=1.8, label=label)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("evaluations of loss and gradient (forward + reverse sweep over all N)")
    ax.set_ylabel("mean training loss" + (" (lowest so far)" if best_so_far else ""))
    return _finish(ax, fresh, "Loss per gradient evaluation" if title is None else title)


def _positive_finite(values, name: str, caller: str, ndim=(1,)) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{caller} expects {name} to be an array of numbers, got {type(values).__name__}") from None
    if a.ndim not in ndim or a.size == 0:
        dims = " or ".join(f"{d}-d" for d in ndim)
        raise ValueError(f"{caller} expects {name} to be a non-empty {dims} array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{caller} expects {name} to hold finite numbers > 0, got a NaN or an infinity")
    if not (a > 0).all():
        raise ValueError(f"{caller} expects {name} to hold numbers > 0 (drawn on a log axis), got a minimum of "
                         f"{a.min():g}")
    return a


def plot_rates(rates, ax=None, *, band=(10, 90), title=None):
    """The learning rate each update applies, against the update r = 1, 2, ..., log-log.

    ``rates``: ``{label: array}``. A 1-d array ``(R,)`` is one rate per update, the same for
    every parameter (a schedule rho_r); a 2-d array ``(R, P)`` holds one rate per update and
    parameter (Adam's rho / (sqrt(v_hat) + eps)): it is drawn as the median over the P
    parameters, with the percentiles ``band`` shaded in the same color. Returns the axes;
    one line per entry, in the order given (the shaded bands are ``ax.collections``).
    """
    rates = _labelled(rates, "rates", "plot_rates")
    if (not isinstance(band, (tuple, list)) or len(band) != 2
            or not all(isinstance(q, (int, float)) and not isinstance(q, bool) for q in band)
            or not 0 <= band[0] < band[1] <= 100):
        raise ValueError(f"plot_rates expects band to be a pair of percentiles (low, high) with "
                         f"0 <= low < high <= 100, got {band!r}")
    arrays = {label: _positive_finite(a, f"rates[{label!r}]", "plot_rates", ndim=(1, 2))
              for label, a in rates.items()}
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    low, high = band
    for i, (label, a) in enumerate(arrays.items()):
        color = colors[i % len(colors)]
        r = np.arange(1, a.shape[0] + 1)
        if a.ndim == 1:
            ax.plot(r, a, lw=1.8, color=color, label=label)
            continue
        ax.plot(r, np.median(a, axis=1), lw=1.8, color=color, label=f"{label}: median")
        lo, hi = np.percentile(a, [low, high], axis=1)
        ax.fill_between(r, lo, hi, color=color, alpha=0.2, lw=0,
                        label=f"{label}: {low:g}th to {high:g}th percentile")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("update r (counted from 1, over all epochs)")
    ax.set_ylabel("learning rate applied")
    return _finish(ax, fresh, "Learning rate per update" if title is None else title)


_WORK_LABELS = {"epoch": "epochs of gradient work (one epoch = the gradients of N examples)",
                "evaluation": "gradient evaluations (full batch: N examples each; mini-batch: B)"}


def plot_work(curves, per: str = "epoch", ax=None, *, log_x=None, best_so_far: bool = True, title=None):
    """Training loss against the work done, for optimizers that spend it differently.

    ``curves``: ``{label: (work, losses)}``, two 1-d sequences of one length: ``losses[k]``
    is the loss of the point reached after ``work[k]`` units of work, in increasing order.
    ``per="epoch"`` counts epochs of gradient work (one full-batch evaluation, or
    ceil(N / B) mini-batch updates, is one epoch); ``per="evaluation"`` counts gradient
    evaluations, whatever their size. With ``best_so_far`` each line is the lowest loss found
    within the work so far (points a line search tried and rejected are not drawn), as in
    :func:`plot_evaluations`; without it, every loss. The y axis is logarithmic. ``log_x``
    defaults to False per epoch, True per evaluation (then a point at work 0 is left out).
    Returns the axes; one line per entry, in the order given.
    """
    curves = _labelled(curves, "curves", "plot_work")
    one_of(per, tuple(_WORK_LABELS), "plot_work", "per")
    log_x = (per == "evaluation") if log_x is None else bool(log_x)
    pairs = {}
    for label, pair in curves.items():
        name = f"curves[{label!r}]"
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"plot_work expects {name} to be a pair (work, losses), got {type(pair).__name__}")
        try:
            work, losses = (np.asarray(p, dtype=np.float64) for p in pair)
        except (TypeError, ValueError):
            raise ValueError(f"plot_work expects {name} to hold two sequences of numbers") from None
        if work.ndim != 1 or work.shape != losses.shape or work.size == 0:
            raise ValueError(f"plot_work expects {name} to be two non-empty 1-d sequences of one length, "
                             f"got shapes {work.shape} and {losses.shape}")
        if not (np.isfinite(work).all() and np.isfinite(losses).all() and (losses > 0).all()):
            raise ValueError(f"plot_work expects {name} to hold finite work and finite losses > 0")
        if (work < 0).any() or (np.diff(work) <= 0).any():
            raise ValueError(f"plot_work expects the work of {name} to be >= 0 and increasing")
        keep = work > 0 if log_x else np.ones(work.size, dtype=bool)
        if not keep.any():
            raise ValueError(f"plot_work expects {name} to have some work > 0 on a log axis")
        pairs[label] = (work[keep], losses[keep])
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    for label, (work, losses) in pairs.items():
        ax.plot(work, np.minimum.accumulate(losses) if best_so_far else losses, lw=1.8, label=label)
    ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(_WORK_LABELS[per])
    ax.set_ylabel("mean training loss" + (" (lowest so far)" if best_so_far else ""))
    default = "Loss per epoch of work" if per == "epoch" else "Loss per gradient evaluation"
    return _finish(ax, fresh, default if title is None else title)


def plot_layer_curves(curves, ax=None, *, x_label: str = "layer", y_label: str = "value", threshold=None,
                      threshold_label=None, log_y: bool = True, title=None):
    """One line with markers per entry of ``curves`` against a layer index or a depth.

    ``curves``: ``{label: values}`` (drawn at x = 1, 2, ...) or ``{label: (x, values)}``. On a
    log axis (``log_y``) values that are not > 0 are left out. ``threshold`` draws a dotted
    horizontal line (labelled ``threshold_label``), such as the 1e-3 below which a gradient
    counts as vanished. Returns the axes; one line per entry in the order given, then the
    threshold's line; the x ticks are integers.
    """
    curves = _labelled(curves, "curves", "plot_layer_curves")
    series = {}
    for label, item in curves.items():
        name = f"curves[{label!r}]"
        pair = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        try:
            ys = np.asarray(pair[1], dtype=np.float64)
            xs = np.arange(1, ys.size + 1, dtype=np.float64) if pair[0] is None else np.asarray(pair[0], np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"plot_layer_curves expects {name} to be a sequence of numbers or a pair (x, values), "
                             f"got {type(item).__name__}") from None
        if ys.ndim != 1 or ys.size == 0 or xs.shape != ys.shape:
            raise ValueError(f"plot_layer_curves expects {name} to be a non-empty 1-d sequence (with as many x), "
                             f"got shapes {xs.shape} and {ys.shape}")
        if not (np.isfinite(xs).all() and not np.isinf(ys).any()):
            raise ValueError(f"plot_layer_curves expects {name} to hold finite numbers")
        keep = (ys > 0) & ~np.isnan(ys) if log_y else ~np.isnan(ys)
        series[label] = (xs[keep], ys[keep])
    if threshold is not None and not (isinstance(threshold, (int, float)) and math.isfinite(threshold)
                                      and (threshold > 0 or not log_y)):
        raise ValueError(f"plot_layer_curves expects threshold to be a finite number{' > 0' if log_y else ''}, "
                         f"got {threshold!r}")
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(7.0, 4.0))
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", ms=3.5, lw=1.6, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="0.4", ls=":", lw=1.2,
                   label=threshold_label if threshold_label is not None else f"{threshold:g}")
    if log_y:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    return _finish(ax, fresh, "Per layer" if title is None else title)
