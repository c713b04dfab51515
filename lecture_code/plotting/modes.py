"""Chapter 3: the two sweeps through the chain of Jacobians, and what they cost."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .._validate import labelled, one_of, positive_float, positive_int

__all__ = ["draw_sweep", "plot_sweep_memory", "plot_costs", "plot_sweep_pair", "plot_ratio"]

_FORWARD, _REVERSE, _DENSE = "#4C72B0", "#DD8452", "#55A868"
_VALUE, _KEPT = "0.82", "#F3D9B1"  # the forward pass's current value; what reverse mode keeps
_COLORS = {"forward": _FORWARD, "reverse": _REVERSE, "dense": _DENSE}
#: legend labels of the strategies, by the mode names of :mod:`lecture_code.cost`
MODE_LABELS = {"forward": "forward mode (D JVPs)", "reverse": "reverse mode (M VJPs)",
               "dense": "dense product, eq 6 (right to left)"}


def _sizes(sizes, caller):
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"{caller} expects sizes to be a list of at least two layer widths [D, ..., M], got {sizes!r}")
    return [positive_int(s, caller, f"sizes[{i}]") for i, s in enumerate(sizes)]


def draw_sweep(sizes, mode: str, ax=None, scale: float = 0.3):
    """Eq 13 (``mode="forward"``: ``J_K ... J_1 v``) or eq 14 (``"reverse"``: ``u^T J_K ... J_1``) to scale.

    ``sizes = [D_1, ..., D_{K+1}]``: factor ``J_l`` is a ``D_{l+1} x D_l`` box;
    under each gap, the length of the vector the sweep carries there, and in bold
    the length of the result (M for ``J v``, D for ``u^T J``).
    Returns the axes; the matrices and the vector are ``Rectangle`` patches.
    """
    sizes = _sizes(sizes, "draw_sweep")
    one_of(mode, ("forward", "reverse"), "draw_sweep", "mode")
    scale = positive_float(scale, "draw_sweep", "scale")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))  # the book's column is about 7 inches wide
    K = len(sizes) - 1
    # (label, rows, cols) from left to right on the page
    items = [(rf"$\mathbf{{J}}_{l}$", sizes[l], sizes[l - 1], False) for l in range(K, 0, -1)]
    if mode == "forward":
        items.append((r"$\mathbf{v}$", sizes[0], 1, True))
    else:
        items.insert(0, (r"$\mathbf{u}^\top$", 1, sizes[-1], True))
    color = _COLORS[mode]
    gap, left, lefts = 1.1, 0.0, []
    top = scale * max(sizes) / 2
    for label, rows, cols, vector in items:
        w, h = cols * scale, rows * scale
        ax.add_patch(Rectangle((left, -h / 2), w, h, facecolor=color if vector else "0.85", edgecolor="black", lw=1))
        ax.text(left + w / 2, h / 2 + 0.15, label, ha="center", va="bottom", fontsize=13)
        ax.text(left + w / 2, -h / 2 - 0.15, rf"${rows}\times{cols}$", ha="center", va="top", fontsize=9, color="0.3")
        lefts.append((left, w))
        left += w + gap
    right = left - gap
    # between J_(l+1) and J_l both sweeps carry a vector of length D_(l+1); the ends differ
    widths = sizes[:-1][::-1] if mode == "forward" else sizes[1:][::-1]
    y_arrow = -top - 0.9
    for (l0, w0), (l1, _), n in zip(lefts[:-1], lefts[1:], widths):
        ax.text((l0 + w0 + l1) / 2, y_arrow + 0.25, f"{n}", ha="center", va="bottom", fontsize=10, color=color)
    start, end = (right, 0.0) if mode == "forward" else (0.0, right)
    result = sizes[-1] if mode == "forward" else sizes[0]  # J v has M entries, u^T J has D
    ax.text(end + (-0.5 if mode == "forward" else 0.5), y_arrow, f"{result}", ha="center", va="center",
            fontsize=11, fontweight="bold", color=color)
    ax.annotate("", xy=(end, y_arrow), xytext=(start, y_arrow),
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 2, "mutation_scale": 18})
    words = "right to left: one matrix-vector product per layer" if mode == "forward" else \
        "left to right: one vector-matrix product per layer"
    ax.text(right / 2, y_arrow - 0.25, words, ha="center", va="top", fontsize=10, color=color)
    ax.set_title(("Forward mode (eq 13)" if mode == "forward" else "Reverse mode (eq 14)") +
                 "\nthe numbers are the lengths of the vector carried between factors", fontsize=11)
    ax.set_xlim(-0.9, right + 0.9)
    ax.set_ylim(y_arrow - 0.9, top + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _memory_columns(sizes, mode):
    """What a sweep holds after each step: a list of columns, each ``[(name, kind, length), ...]``.

    Steps: the start, then f_1 ... f_K (the forward pass), then, in reverse mode, the
    pullbacks through f_K ... f_1. ``kind`` is ``"value"`` (the current x of the forward
    pass), ``"kept"`` (a layer input x_l stored for the backward sweep) or ``"vector"`` (the
    tangent x_dot_l of forward mode, the cotangent u_l of reverse mode).
    """
    K = len(sizes) - 1
    columns = []
    for j in range(K + 1):  # after f_j; x_(j+1) is the current value
        if mode == "forward":
            columns.append([(rf"$\mathbf{{x}}_{j + 1}$", "value", sizes[j]),
                            (rf"$\dot{{\mathbf{{x}}}}_{j + 1}$", "vector", sizes[j])])
        else:
            kept = [(rf"$\mathbf{{x}}_{l + 1}$", "kept", sizes[l]) for l in range(min(j + 1, K))]
            columns.append(kept + ([(rf"$\mathbf{{x}}_{K + 1}$", "value", sizes[K])] if j == K else []))
    if mode == "reverse":
        for l in range(K, 0, -1):  # after the pullback through f_l: x_1 .. x_(l-1) and u_l remain
            columns.append([(rf"$\mathbf{{x}}_{i + 1}$", "kept", sizes[i]) for i in range(l - 1)]
                           + [(rf"$\mathbf{{u}}_{l}$", "vector", sizes[l - 1])])
    return columns


def plot_sweep_memory(sizes, axes=None):
    """What each sweep holds in memory after each step, for one example of ``mlp(sizes)``, stacked by vector.

    ``sizes = [D_1, ..., D_{K+1}]`` are the widths of x_1 .. x_{K+1} (each f_l one step).
    Top, forward mode: only the current x_l and its tangent x_dot_l. Bottom, reverse mode:
    the forward pass keeps every layer input x_1 .. x_K for the backward sweep, which then
    frees them one by one while it carries the cotangent u_l back. Each stacked bar segment
    is a ``Rectangle`` of height ``D_l`` whose gid is its kind (``"value"``, ``"kept"``,
    ``"vector"``); returns the two axes.
    """
    sizes = _sizes(sizes, "plot_sweep_memory")
    K = len(sizes) - 1
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(6.8, 6.6), sharex=True, sharey=True)
    top = max(sum(sizes), 2 * max(sizes))
    labels = ["start"] + [rf"$\mathbf{{f}}_{l}$" for l in range(1, K + 1)] + \
        [rf"back $\mathbf{{f}}_{l}$" for l in range(K, 0, -1)]
    for ax, mode in zip(axes, ("forward", "reverse")):
        colors = {"value": _VALUE, "kept": _KEPT, "vector": _COLORS[mode]}
        for i, column in enumerate(_memory_columns(sizes, mode)):
            bottom = 0
            for name, kind, n in column:
                bar = ax.bar(i, n, bottom=bottom, width=0.72, color=colors[kind], edgecolor="black", lw=0.8)[0]
                bar.set_gid(kind)
                if n >= 0.07 * top:  # room for a 9-point label
                    ax.text(i, bottom + n / 2, name, ha="center", va="center", fontsize=9,
                            color="white" if kind == "vector" else "black")
                bottom += n
            ax.text(i, bottom + 0.01 * top, f"{bottom}", ha="center", va="bottom", fontsize=9, color="0.25")
        ax.axvline(K + 0.5, color="0.5", ls=":", lw=1.2)
        ax.set_ylim(0, 1.22 * top)
        ax.set_ylabel("numbers held")
        ax.spines[["top", "right"]].set_visible(False)
    fwd_peak = 2 * max(sizes)
    rev_peak = sum(sizes)
    axes[0].set_title(f"Forward mode: the current $\\mathbf{{x}}_\\ell$ and its tangent, at most {fwd_peak} numbers",
                      fontsize=11)
    axes[0].text(K + 1 + (K - 1) / 2, 0.55 * top, "done after the forward pass:\n"
                 r"$\dot{\mathbf{x}}_{%d} = \mathbf{J}\mathbf{v}$" % (K + 1),
                 ha="center", va="center", fontsize=10, color=_FORWARD)
    axes[1].set_title(f"Reverse mode: every layer input $\\mathbf{{x}}_\\ell$ kept, at most {rev_peak} numbers",
                      fontsize=11)
    axes[1].text(K + 0.6, 1.17 * top, "backward sweep", ha="left", va="top", fontsize=9, color="0.3")
    axes[1].text(K + 0.4, 1.17 * top, "forward pass", ha="right", va="top", fontsize=9, color="0.3")
    axes[1].set_xticks(range(2 * K + 1), labels, fontsize=9)
    axes[1].tick_params(axis="x", labelbottom=True)
    axes[1].set_xlabel("after step")
    kinds = [(_VALUE, r"current value $\mathbf{x}_\ell$ of the forward pass"),
             (_KEPT, r"$\mathbf{x}_\ell$ kept for the backward sweep"),
             (_FORWARD, r"tangent $\dot{\mathbf{x}}_\ell$ (forward mode)"),
             (_REVERSE, r"cotangent $\mathbf{u}_\ell$ (reverse mode)")]
    handles = [Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="black", lw=0.8) for c, _ in kinds]
    fig = axes[0].figure
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(handles, [label for _, label in kinds], fontsize=9, ncol=2, frameon=False,
               loc="lower center", bbox_to_anchor=(0.5, 0.0))
    return axes


def _positive(values, name, caller, n=None):
    """``values`` as a float array (n,) of finite values > 0, for a log axis."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{caller} expects {name} to be a list of numbers, got {values!r:.60}") from None
    if arr.ndim != 1 or arr.size == 0 or (n is not None and arr.size != n):
        want = f"{n} values" if n is not None else "a non-empty list of values"
        raise ValueError(f"{caller} expects {name} to be {want}, got shape {arr.shape}")
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        bad = float(arr[~(np.isfinite(arr) & (arr > 0))][0])
        raise ValueError(f"{caller} expects {name} to be finite values > 0 (a log axis), got {bad!r}")
    return arr


def plot_costs(x, series, ax=None, *, xlabel: str, ylabel: str, title: str = "", crossover=None):
    """One log-log line per ``series`` entry (label -> values at ``x``), a dotted line at ``x = crossover``.

    A label starting with ``forward``, ``reverse`` or ``dense`` gets that strategy's
    color. Returns the axes.
    """
    x = _positive(x, "x", "plot_costs")
    labelled(series, "plot_costs", "series", "values")
    crossover = None if crossover is None else positive_float(crossover, "plot_costs", "crossover")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        y = _positive(values, f"series[{label!r}]", "plot_costs", x.size)
        color = next((c for key, c in _COLORS.items() if str(label).lower().startswith(key)), None)
        ax.plot(x, y, "o-", ms=4, color=color, label=label)
    if crossover is not None:
        ax.axvline(crossover, color="0.4", ls=":", lw=1.5, label="D = M")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_sweep_pair(n, vary_M, vary_D, *, fixed: int = 1000, ylabel: str, title: str = "", axes=None):
    """Two stacked :func:`plot_costs` panels: D = ``fixed`` with M = ``n``, then M = ``fixed`` with D = ``n``.

    ``vary_M`` and ``vary_D`` map a mode (``"forward"``, ``"reverse"``, ``"dense"``)
    to its costs at ``n``. Returns the two axes.
    """
    for name, data in (("vary_M", vary_M), ("vary_D", vary_D)):
        if not isinstance(data, dict) or not data or not set(data) <= set(MODE_LABELS):
            raise ValueError(f"plot_sweep_pair expects {name} to map modes from {list(MODE_LABELS)} to costs, "
                             f"got {data!r:.80}")
    fixed = positive_int(fixed, "plot_sweep_pair", "fixed")
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(7, 8))  # stacked: the book's column is about 7 inches wide
        fig.suptitle(title, fontsize=12)
    panels = [(axes[0], vary_M, "M, number of outputs", f"D = {fixed} inputs, M varies"),
              (axes[1], vary_D, "D, number of inputs", f"M = {fixed} outputs, D varies")]
    for ax, data, xlabel, panel_title in panels:
        plot_costs(n, {MODE_LABELS[mode]: values for mode, values in data.items()}, ax=ax, crossover=fixed,
                   xlabel=xlabel, ylabel=ylabel, title=panel_title)
    axes[0].figure.tight_layout()
    return axes


def plot_ratio(points, ax=None, *, counted=None, ylabel: str = "reverse / forward",
               title: str = "Reverse mode is cheaper exactly when M < D"):
    """Ratio of reverse- to forward-mode cost against ``M / D``, on log-log axes.

    ``points``: label -> ``(m_over_d, ratio)``, drawn as markers; ``counted``: an
    optional ``(m_over_d, ratio)`` drawn as a line. Dotted lines mark ratio 1 and
    ``M = D``. Returns the axes.
    """
    labelled(points, "plot_ratio", "points", "(m_over_d, ratio)")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    if counted is not None:
        r = _positive(counted[0], "counted m_over_d", "plot_ratio")
        ax.plot(r, _positive(counted[1], "counted ratio", "plot_ratio", r.size), "-", color="0.3", lw=1.5,
                label="counted multiply-adds")
    for (label, (r, ratio)), marker in zip(points.items(), "osD^v"):
        r = _positive(r, f"points[{label!r}] m_over_d", "plot_ratio")
        ratio = _positive(ratio, f"points[{label!r}] ratio", "plot_ratio", r.size)
        ax.plot(r, ratio, marker, ms=6, mfc="none", mew=1.5, label=label)
    ax.axhline(1.0, color="0.5", ls=":", lw=1.2)
    ax.axvline(1.0, color="0.5", ls=":", lw=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("M / D  (outputs per input)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax
