"""Chapter 10: the Hessian's spectrum, the loss against the learning rate with 2/lambda_max marked,
the top eigenvalue along training against 2/rho, and optimizers per gradient evaluation.

Every function draws on an ``ax`` it is given (or a new one, 6.8 inches wide: the book's
column at 100 dpi with the padding of ``bbox_inches="tight"``) and returns it. Losses and
eigenvalues are drawn as given; a run that diverged to an infinite loss is marked, not dropped.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib import ticker

from ._axes import MAX_WIDTH as _MAX_WIDTH
from ._axes import finish as _finish
from ._axes import new_axes as _new_axes
from .training import _plain_log_ticks

__all__ = ["plot_spectra", "plot_loss_by_rate", "plot_losses", "plot_sharpness", "plot_optimizer_costs"]

_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3"]
_MARKERS = "osd^vP*"
_DIVERGED = "#C44E52"


def _power_of_ten(value):
    """``$10^{6}$`` for 1e6; other numbers as ``%g``."""
    exponent = math.log10(value)
    return f"$10^{{{round(exponent)}}}$" if abs(exponent - round(exponent)) < 1e-9 else f"{value:g}"


def _dict(items, name, caller):
    if not isinstance(items, dict) or not items:
        raise ValueError(f"{caller} expects {name} to be a non-empty dict {{label: ...}}, "
                         f"got {type(items).__name__}")
    return {str(label): value for label, value in items.items()}


def _vector(values, name, caller, *, finite=True, positive=False, n=None):
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{caller} expects {name} to be a 1-d array of numbers, got {type(values).__name__}") from None
    if a.ndim != 1 or a.size == 0 or (n is not None and a.size != n):
        size = "non-empty" if n is None else f"{n}-entry"
        raise ValueError(f"{caller} expects {name} to be a {size} 1-d array, got shape {a.shape}")
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{caller} expects {name} to hold finite numbers, got a NaN or an infinity")
    if positive and not (a[np.isfinite(a)] > 0).all():
        raise ValueError(f"{caller} expects {name} to hold numbers > 0 (a log axis), got a minimum of "
                         f"{np.nanmin(a):g}")
    return a


def _positive_number(x, name, caller):
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)) or not math.isfinite(x) \
            or x <= 0:
        raise ValueError(f"{caller} expects {name} to be a finite number > 0, got {x!r}")
    return float(x)


def _pair(value, name, caller, *, positive=False, finite=True):
    """``(x, y)`` from a pair of equal-length 1-d arrays, or from ``y`` alone (then x = 0, 1, 2, ...)."""
    if isinstance(value, tuple) and len(value) == 2:
        x = _vector(value[0], f"{name} x", caller)
        y = _vector(value[1], f"{name} y", caller, positive=positive, finite=finite, n=x.size)
        return x, y
    y = _vector(value, name, caller, positive=positive, finite=finite)
    return np.arange(y.size, dtype=np.float64), y


# -- the spectrum ---------------------------------------------------------------------------------------------

def plot_spectra(spectra, ax=None, *, lines=None, symlog=None, ylabel=None, title=None):
    """The eigenvalues of each entry of ``spectra`` (``label -> (k,)``), largest first, against their rank.

    ``lines`` (``label -> value``) adds dashed horizontal reference lines, such as 2/rho. The
    y axis is linear, or with ``symlog = t`` logarithmic on both sides of 0 and linear within
    (-t, t), so that negative eigenvalues and small ones both show. Returns the axes: one
    line per spectrum, in the order given, its y data sorted in decreasing order.
    """
    spectra = _dict(spectra, "spectra", "plot_spectra")
    values = {label: np.sort(_vector(v, f"spectra[{label!r}]", "plot_spectra"))[::-1]
              for label, v in spectra.items()}
    lines = {} if lines is None else _dict(lines, "lines", "plot_spectra")
    refs = {label: float(_vector([v], f"lines[{label!r}]", "plot_spectra")[0]) for label, v in lines.items()}
    if symlog is not None:
        symlog = _positive_number(symlog, "symlog (the linear range around 0)", "plot_spectra")
    ax = _new_axes(ax, 3.6)
    for i, (label, v) in enumerate(values.items()):
        ms = 5 if v.size <= 60 else 2.5
        ax.plot(np.arange(1, v.size + 1), v, _MARKERS[i % len(_MARKERS)] + "-", color=_COLORS[i % len(_COLORS)],
                lw=1.0, ms=ms, label=label)
    for j, (label, value) in enumerate(refs.items()):
        ax.axhline(value, color="0.3", ls=("--", ":", "-.")[j % 3], lw=1.0, label=label)
    if any(v.min() < 0 for v in values.values()):
        ax.axhline(0.0, color="0.6", lw=0.8)
    if symlog is not None:
        ax.set_yscale("symlog", linthresh=symlog)
    ax.set_xlabel("rank k of the eigenvalue (1 = the largest)")
    ax.set_ylabel(r"eigenvalue $\lambda_k$ of $\mathbf{H}$" if ylabel is None else ylabel)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    return _finish(ax, title, "The largest eigenvalues of the Hessian")


# -- the learning rate ----------------------------------------------------------------------------------------

def plot_loss_by_rate(rates, losses, critical, ax=None, *, minimum=None, ceiling=1e6, epochs=None, title=None):
    """The loss after training at each learning rate, log y, with the rate ``critical`` = 2/lambda_max marked.

    ``rates`` : (n,) rates > 0; ``losses`` : (n,) the loss each run ended at (``inf`` or NaN for
    a run that overflowed). With ``minimum`` (the lowest loss, L*) the excess loss - minimum is
    drawn instead, floored at 1e-16 times the minimum (rounding). Values above ``ceiling``, and
    overflows, are drawn as triangles on the ceiling: a diverging run. ``epochs``, if given,
    goes into the axis label. Returns the axes; its first line holds the runs below the ceiling.
    """
    caller = "plot_loss_by_rate"
    rates = _vector(rates, "rates", caller, positive=True)
    losses = _vector(losses, "losses", caller, finite=False, positive=minimum is None, n=rates.size)
    critical = _positive_number(critical, "critical (2 / lambda_max)", caller)
    ceiling = _positive_number(ceiling, "ceiling", caller)
    shown = losses.copy()
    if minimum is not None:
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float, np.floating, np.integer)) \
                or not math.isfinite(minimum) or minimum < 0:
            raise ValueError(f"{caller} expects minimum to be a finite number >= 0 (the lowest loss), got {minimum!r}")
        if np.any(losses[np.isfinite(losses)] < minimum * (1 - 1e-12) - 1e-300):
            raise ValueError(f"{caller} expects every loss to be at least minimum = {minimum:g}, got "
                             f"{np.nanmin(losses):g}")
        shown = np.maximum(losses - minimum, 1e-16 * max(minimum, 1e-300))
    low = np.isfinite(shown) & (shown <= ceiling)
    if not low.any():
        raise ValueError(f"{caller} expects at least one run that ends below the ceiling {ceiling:g}, got none")
    ax = _new_axes(ax, 3.6)
    what = "excess loss L − L* at the end" if minimum is not None else "training loss at the end"
    ax.plot(rates[low], shown[low], "o-", color=_COLORS[0], lw=1.4, ms=4, label=what)
    ax.set_yscale("log")
    if (~low).any():
        ax.plot(rates[~low], np.full(int((~low).sum()), ceiling), "^", color=_DIVERGED, ms=7,
                label=f"above {_power_of_ten(ceiling)}: diverging")
    ax.axvline(critical, color="0.2", ls="--", lw=1.2, label=rf"$2/\lambda_{{\max}}$ = {critical:.4g}")
    ax.set_xlabel("learning rate ρ" if epochs is None else f"learning rate ρ (full batch, {epochs} epochs)")
    ax.set_ylabel(what)
    _plain_log_ticks(ax.yaxis)
    return _finish(ax, title, "Full-batch gradient descent: the loss against the rate")


def plot_losses(curves, ax=None, *, xlabel="epoch", title=None):
    """Training loss against the epoch (log y), one line per ``label -> losses`` or ``label -> (x, losses)``.

    Losses may end in ``inf`` (a run that overflowed): the line stops at the last finite one.
    Returns the axes, one line per curve in the order given.
    """
    curves = _dict(curves, "curves", "plot_losses")
    ax = _new_axes(ax, 3.4)
    for i, (label, value) in enumerate(curves.items()):
        x, y = _pair(value, f"curves[{label!r}]", "plot_losses", positive=True, finite=False)
        keep = np.isfinite(y)
        ax.plot(x[keep], y[keep], "-", color=_COLORS[i % len(_COLORS)], lw=1.5, label=label)
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean training loss")
    return _finish(ax, title, "Training loss")


def plot_sharpness(curves, ax=None, *, title=None):
    """lambda_max of the Hessian along training, one line per ``label -> (epochs, lambdas, rate)``.

    Each run's 2/rate is drawn as a dashed line in its color: gradient descent at rate rho is
    stable only where lambda_max < 2/rho (eq 10.3). Returns the axes: the measured lines first,
    then the dashed ones, in the order given.
    """
    curves = _dict(curves, "curves", "plot_sharpness")
    runs = {}
    for label, value in curves.items():
        if not isinstance(value, tuple) or len(value) != 3:
            raise ValueError(f"plot_sharpness expects curves[{label!r}] to be a triple (epochs, lambdas, rate), "
                             f"got {type(value).__name__}")
        epochs = _vector(value[0], f"curves[{label!r}] epochs", "plot_sharpness")
        lams = _vector(value[1], f"curves[{label!r}] lambdas", "plot_sharpness", n=epochs.size)
        runs[label] = (epochs, lams, _positive_number(value[2], f"the rate of curves[{label!r}]", "plot_sharpness"))
    ax = _new_axes(ax, 3.8)
    for i, (label, (epochs, lams, _)) in enumerate(runs.items()):
        ax.plot(epochs, lams, _MARKERS[i % len(_MARKERS)] + "-", color=_COLORS[i % len(_COLORS)], lw=1.4, ms=4,
                label=label)
    for i, (label, (epochs, _, rate)) in enumerate(runs.items()):
        ax.axhline(2.0 / rate, color=_COLORS[i % len(_COLORS)], ls="--", lw=1.1, label=f"2/ρ = {2.0 / rate:g}")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_ylabel(r"$\lambda_{\max}$ of the Hessian")
    return _finish(ax, title, "The top eigenvalue along training")


# -- optimizers -----------------------------------------------------------------------------------------------

def plot_optimizer_costs(curves, ax=None, *, xlabel="gradient evaluations", best_so_far=True, title=None):
    """Training loss against the cost spent, one line per ``label -> (costs, losses)``; log axes.

    ``costs`` : (n,) the cumulative cost (in gradient evaluations) when each loss was
    computed, increasing; ``losses`` : (n,) > 0. With ``best_so_far`` the bold line is the
    lowest loss found so far and every point tried is drawn faintly behind it. Returns the
    axes; the bold lines come first, in the order given.
    """
    curves = _dict(curves, "curves", "plot_optimizer_costs")
    data = {}
    for label, value in curves.items():
        if not isinstance(value, tuple) or len(value) != 2:
            raise ValueError(f"plot_optimizer_costs expects curves[{label!r}] to be a pair (costs, losses), "
                             f"got {type(value).__name__}")
        costs, losses = _pair(value, f"curves[{label!r}]", "plot_optimizer_costs", positive=True)
        if not (costs > 0).all() or (np.diff(costs) < 0).any():
            raise ValueError(f"plot_optimizer_costs expects the costs of curves[{label!r}] to be > 0 and "
                             f"increasing, got {costs[:5]}")
        data[label] = (costs, losses)
    ax = _new_axes(ax, 4.2)
    for i, (label, (costs, losses)) in enumerate(data.items()):
        shown = np.minimum.accumulate(losses) if best_so_far else losses
        ax.plot(costs, shown, "-", color=_COLORS[i % len(_COLORS)], lw=1.8, label=label,
                drawstyle="steps-post" if best_so_far else "default")
    if best_so_far:
        for i, (costs, losses) in enumerate(data.values()):
            ax.plot(costs, losses, "-", color=_COLORS[i % len(_COLORS)], lw=0.8, alpha=0.3)
        low = min(float(losses.min()) for _, losses in data.values())
        high = max(float(losses[0]) for _, losses in data.values())
        ax.set_ylim(low / 1.3, high * 1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis)
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean training loss" + (" (lowest so far)" if best_so_far else ""))
    return _finish(ax, title, "Training loss per gradient evaluation")
