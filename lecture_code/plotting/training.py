"""Chapter 5: training curves (eqs 29-32), learning-rate schedules, and optimizers per gradient evaluation."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from .._validate import one_of, positive_int
from ..training import rate_at

__all__ = ["plot_loss_curves", "plot_schedules", "plot_evaluations"]

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
    ``"val"`` losses. On a log axis the points at 0 (row 0, before training) are left out, and
    so are losses that are not finite or above 1e200 (a run that diverged: matplotlib cannot
    draw them). Returns the axes; one line per run, in the order given.
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
        keep = (np.abs(ys) <= _HUGE) & ((xs > 0) if log_x else True) & ((ys > 0) if log_y else True)
        ax.plot(xs[keep], ys[keep], marker="o" if keep.sum() <= 25 else None, ms=3.5, lw=1.6, label=label)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(_X_LABELS[x])
    ax.set_ylabel(f"mean {'training' if which == 'train' else 'validation'} loss")
    kind = "Training" if which == "train" else "Validation"
    default = f"{kind} loss per {'epoch' if x == 'epoch' else 'update count'}"
    return _finish(ax, fresh, default if title is None else title)


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
    evaluations and the raw losses (line searches try points that are worse) are drawn
    faintly behind it. Returns the axes; the bold lines come first, in the order given.
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
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, a) in enumerate(arrays.items()):
        k = np.arange(1, a.size + 1)
        ax.plot(k, np.minimum.accumulate(a) if best_so_far else a, lw=1.8, color=colors[i % len(colors)], label=label)
    if best_so_far:
        for i, a in enumerate(arrays.values()):
            ax.plot(np.arange(1, a.size + 1), a, lw=0.8, alpha=0.3, color=colors[i % len(colors)])
    if log_y:
        ax.set_yscale("log")
        top = max(float(np.minimum.accumulate(a)[0]) for a in arrays.values())
        low = min(float(a.min()) for a in arrays.values())
        if best_so_far and low > 0:  # the faint raw trials may spike far up: keep the bold lines readable
            ax.set_ylim(low / 1.3, top * 1.5 if math.isfinite(top) else None)
    ax.set_xlabel("evaluations of loss and gradient (forward + reverse sweep over all N)")
    ax.set_ylabel("mean training loss" + (" (lowest so far)" if best_so_far else ""))
    return _finish(ax, fresh, "Loss per gradient evaluation" if title is None else title)
