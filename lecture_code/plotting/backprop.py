"""Chapter 4: the reverse sweep on the computational graph, eq 28's outer product, a gradient check."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch, Patch

from .._validate import _is_int, as_array, positive_int, shape_str
from ..numerical import GradientCheck

__all__ = ["draw_reverse_sweep", "plot_outer_product", "plot_gradient_check", "parameter_label"]

_FORWARD, _BACKWARD = "black", "#C44E52"  # forward pass, reverse sweep
_AGREE, _DISAGREE = "#55A868", "#C44E52"
_CMAP = "coolwarm"  # as chapter 2's Jacobian heatmaps: negative blue, positive red, exact zeros white
# inches: the book's content column is about 700 px, 7 inches at 100 dpi; a constrained layout
# fills the figure, and a PNG saved with bbox_inches="tight" adds 0.1 inch on each side
_MAX_WIDTH = 6.8


def _figsize(width, height):
    """``(width, height)`` shrunk, in the same proportions, to at most the book's column."""
    shrink = min(1.0, _MAX_WIDTH / width)
    return shrink * width, shrink * height


def _labels(given, k: int, default, name: str, caller: str) -> dict:
    """``{l: tex}`` for the functions f_1..f_K that get a label; ``default(l)`` for all when ``given`` is None."""
    if given is None:
        return {ell: default(ell) for ell in range(1, k + 1)}
    if not isinstance(given, dict) or any(not _is_int(ell) or not 1 <= ell <= k for ell in given):
        raise ValueError(f"{caller} expects {name} to be a dict {{l: label}} with l in 1..{k}, got {given!r:.80}")
    return {ell: str(text) for ell, text in given.items()}


def draw_reverse_sweep(n_functions: int = 4, ax=None, *, output=r"\mathcal{L}", parameters=None, gradients=None,
                       target=r"$\mathbf{y}$"):
    """The chain ``x_1 -> f_1 -> ... -> f_K -> output`` with the reverse sweep of eq 25 drawn under it.

    Top row, left to right: the forward pass, each ``f_l`` fed by its parameters
    (``parameters``: ``{l: tex}``; default ``theta_l`` for every l, ``{}`` for none).
    Bottom row, right to left: the cotangents ``u_{K+1} = 1, u_K, ..., u_1``, each
    ``u_l`` under the variable ``x_l`` whose gradient it is; from every ``f_l``
    with parameters an arrow drops to ``dL/dtheta_l = u_{l+1}^T df_l/dtheta_l``
    (``gradients``: ``{l: tex}`` to name them). The last function is the loss: the
    ``target`` (data, not a parameter; ``None`` for none) feeds ``f_K`` from above, as a
    grey arrow drawn with ``gid="target"``. Returns the axes.
    """
    k = positive_int(n_functions, "draw_reverse_sweep", "n_functions")
    if target is not None and (not isinstance(target, str) or not target):
        raise ValueError(f"draw_reverse_sweep expects target to be a label (a non-empty str) or None, "
                         f"got {target!r:.60}")
    params = _labels(parameters, k, lambda ell: rf"$\theta_{ell}$", "parameters", "draw_reverse_sweep")

    def default(ell):
        return rf"$\partial\mathcal{{L}}/\partial\theta_{ell}$"

    given = {} if gradients is None else _labels(gradients, k, default, "gradients", "draw_reverse_sweep")
    if set(given) - set(params):
        raise ValueError(f"draw_reverse_sweep expects gradients only for functions with parameters (drawn for "
                         f"{sorted(params)}), got gradients for functions without parameters: "
                         f"{sorted(set(given) - set(params))}")
    grads = {ell: given.get(ell, default(ell)) for ell in params}
    step, y_back, y_grad = 1.6, -1.25, -2.35
    if ax is None:
        _, ax = plt.subplots(figsize=_figsize(1.45 * (2 * k + 1), 3.8), layout="constrained")
    ax.set_aspect("equal")
    ax.axis("off")
    n_boxes = 2 * k + 1
    for i in range(n_boxes):
        x, is_var = step * i, i % 2 == 0
        if not is_var:
            text = rf"$\mathbf{{f}}_{i // 2 + 1}$"
        else:
            text = rf"$\mathbf{{x}}_{i // 2 + 1}$" if i < n_boxes - 1 else rf"${output}$"
        ax.add_patch(FancyBboxPatch((x - 0.45, -0.3), 0.9, 0.6, boxstyle="round,pad=0.05",
                                    facecolor="#E8EEF7" if is_var else "#FBE3D2", edgecolor="black", lw=0.9))
        ax.text(x, 0, text, ha="center", va="center", fontsize=13)
        if i < n_boxes - 1:  # forward arrow to the next box
            ax.annotate("", xy=(x + step - 0.5, 0), xytext=(x + 0.5, 0),
                        arrowprops=dict(arrowstyle="->", lw=1.2, color=_FORWARD))
        if is_var:  # the cotangent of this variable, under it
            ell = i // 2 + 1
            label = ax.text(x, y_back, rf"$u_{{{k + 1}}} = 1$" if i == n_boxes - 1 else rf"$\mathbf{{u}}_{ell}$",
                            ha="center", va="center", fontsize=13, color=_BACKWARD)
            if i > 0:  # backward arrow through f_{ell-1}: u_{ell-1}^T = u_ell^T J_{ell-1}
                # from the left edge of the label, wherever the figure's scale puts it (the wider
                # "u_{K+1} = 1" included)
                ax.annotate("", xy=(x - 2 * step + 0.38, y_back), xytext=(0.0, 0.5), textcoords=label,
                            arrowprops=dict(arrowstyle="->", lw=1.6, color=_BACKWARD))
                jacobian = rf"$\cdot\,\partial\mathbf{{f}}_{ell - 1}/\partial\mathbf{{x}}_{ell - 1}$"
                ax.text(x - step, y_back + 0.22, jacobian,
                        ha="center", va="bottom", fontsize=10, color=_BACKWARD)
        else:
            ell = i // 2 + 1
            # what feeds f_ell from above: its parameters, and for the loss f_K the target too
            feeds = [(params[ell], "parameters")] if ell in params else []
            if ell == k and target is not None:
                feeds.append((target, "target"))
            for j, (text, gid) in enumerate(feeds):
                dx = 0.0 if len(feeds) == 1 else (j - 0.5) * 0.7
                ax.text(x + dx, 1.15, text, ha="center", va="center", fontsize=12,
                        color="0.35" if gid == "target" else "black")
                ax.annotate("", xy=(x + dx / 2, 0.37), xytext=(x + dx, 0.95), gid=gid,
                            arrowprops=dict(arrowstyle="->", lw=1.0, color="0.35"))
            if ell in params:
                ax.annotate("", xy=(x, y_grad + 0.3), xytext=(x, y_back - 0.15),
                            arrowprops=dict(arrowstyle="->", lw=1.2, color=_BACKWARD, ls="--"))
                ax.text(x, y_grad, grads[ell], ha="center", va="center", fontsize=11, color=_BACKWARD)
    ax.text(-0.75, 0, "forward", ha="right", va="center", fontsize=10)
    ax.text(-0.75, y_back, "reverse", ha="right", va="center", fontsize=10, color=_BACKWARD)
    ax.set_xlim(-2.0, step * (n_boxes - 1) + 0.8)
    ax.set_ylim(y_grad - 0.45, 1.5)
    return ax


def _vector(a, name: str, caller: str) -> np.ndarray:
    a = as_array(a, name)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{caller} expects {name} to be a vector of shape (n,) with n >= 1, got {shape_str(a.shape)}")
    return a


def _block(ax, A, left, top, cmap, vmax):
    """A as colored cells, exact zeros white, its top-left corner at (left, top), with a light grid."""
    m, d = A.shape
    image = ax.imshow(np.ma.masked_where(A == 0.0, A), cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest",
                      extent=(left, left + d, top + m, top))
    ax.hlines(np.arange(top, top + m + 1), left, left + d, color="0.6", lw=0.6)
    ax.vlines(np.arange(left, left + d + 1), top, top + m, color="0.6", lw=0.6)
    return image


def _number(v: float) -> str:
    """An entry as printed in a cell: at most 3 significant digits, no "-0"."""
    return f"{v + 0.0:.3g}"


def _write_numbers(ax, A, left, top, vmax, fontsize):
    """Each entry of A printed in its cell (white on the darkest colors); the texts get ``gid="entry"``."""
    m, d = A.shape
    for i in range(m):
        for j in range(d):
            v = float(A[i, j])
            ax.text(left + j + 0.5, top + i + 0.5, _number(v), ha="center", va="center", fontsize=fontsize,
                    color="white" if abs(v) > 0.6 * vmax else "black", gid="entry")


def plot_outer_product(u, x, ax=None, *, u_name=r"\mathbf{u}", x_name=r"\mathbf{x}", title=None, colorbar=True,
                       numbers=None):
    """The weight gradient ``u x^T`` of eq 28 (u : (M,), x : (D,) -> (M, D), shaped like W) as a heatmap.

    The factors are drawn beside it on the same color scale: the column ``u``
    on the left, the row ``x^T`` on top, so entry (i, j) is u_i times x_j.
    Exact zeros are white: a zero u_i blanks row i, a zero x_j column j.
    ``numbers`` prints every entry of all three in its cell (3 significant
    digits), for following the product by hand; by default when ``u x^T`` has
    at most 8 rows and 8 columns. Returns the axes; its first image is the
    product, then ``u``, then ``x^T``.
    """
    u, x = _vector(u, "u", "plot_outer_product"), _vector(x, "x", "plot_outer_product")
    if numbers is not None and not isinstance(numbers, (bool, np.bool_)):
        raise ValueError(f"plot_outer_product expects numbers to be True, False or None, got {numbers!r:.60}")
    G = np.outer(u, x)
    largest = max(float(np.abs(G).max()), float(np.abs(u).max()), float(np.abs(x).max()))
    vmax = largest if largest > 0 else 1.0
    m, d = G.shape
    if numbers is None:
        numbers = max(m, d) <= 8
    if ax is None:
        _, ax = plt.subplots(figsize=_figsize(0.5 * d + 2.4, 0.5 * m + 2.0))
    cmap = plt.get_cmap(_CMAP).with_extremes(bad="white")
    image = _block(ax, G, 0, 0, cmap, vmax)
    _block(ax, u[:, None], -1.5, 0, cmap, vmax)
    _block(ax, x[None, :], 0, -1.5, cmap, vmax)
    if numbers:
        for A, left, top in ((G, 0, 0), (u[:, None], -1.5, 0), (x[None, :], 0, -1.5)):
            _write_numbers(ax, A, left, top, vmax, fontsize=10)
    ax.text(-1.0, -0.12, rf"${u_name}$", ha="center", va="bottom", fontsize=11)
    ax.text(d + 0.15, -1.0, rf"${x_name}^\top$", ha="left", va="center", fontsize=11)
    ax.set_xticks(np.arange(d) + 0.5, [str(j + 1) for j in range(d)])
    ax.set_yticks(np.arange(m) + 0.5, [str(i + 1) for i in range(m)])
    ax.tick_params(length=0, labelsize=9)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xlim(-1.7, d + 1.1)
    ax.set_ylim(m + 0.1, -1.7)
    ax.set_aspect("equal")
    ax.set_xlabel(r"input unit $j$ (column of $\mathbf{W}$)")
    ax.set_ylabel("output unit $i$\n" r"(row of $\mathbf{W}$)")
    ax.set_title(rf"${u_name}\,{x_name}^\top$, shaped like $\mathbf{{W}}$ ({m} × {d})" if title is None else title,
                 fontsize=11)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="value (white: exactly 0)")
    return ax


def parameter_label(name: str) -> str:
    """A parameter array's name as the book counts layers: ``"4.W"`` (thetas[4], 0-based) -> ``"f5.W"``.

    ``lc.check_gradients`` names each array by its place in ``thetas``, a Python list
    counted from 0; the book numbers the functions ``f_1 .. f_K`` from 1, so
    ``thetas[k]`` holds the parameters of ``f_{k+1}``. Names that do not start with a
    layer index are returned unchanged.
    """
    if not isinstance(name, str):
        raise ValueError(f"parameter_label expects a parameter name such as '4.W', got {type(name).__name__}")
    first, dot, rest = name.partition(".")
    return f"f{int(first) + 1}.{rest}" if dot and first.isdigit() else name


def plot_gradient_check(report, ax=None, *, title=None, floor: float = 1e-12):
    """One bar per parameter array of a :class:`~lecture_code.GradientCheck`: its worst error over the tolerance.

    Log scale; a bar above the dashed line at 1 is a parameter whose gradient
    disagrees with finite differences (red), one below agrees (green). Ratios
    under ``floor`` (exact agreement included) are drawn at ``floor``. Bars are
    named by function, counted from 1 (:func:`parameter_label`: ``"f5.W"`` is
    ``thetas[4]["W"]``). Returns the axes.
    """
    if not isinstance(report, GradientCheck):
        raise ValueError(f"plot_gradient_check expects the result of lc.check_gradients, got {type(report).__name__}")
    if not report.rows:
        raise ValueError("plot_gradient_check expects a report with at least one parameter row, got none")
    names = [parameter_label(name) for name, _, _, _ in report.rows]
    ratios = np.array([max(ratio, floor) for _, _, _, ratio in report.rows])
    colors = [_AGREE if r <= 1.0 else _DISAGREE for _, _, _, r in report.rows]
    fresh = ax is None
    if fresh:
        _, ax = plt.subplots(figsize=(min(_MAX_WIDTH, 0.7 * len(names) + 2.5), 3.6))
    ax.bar(range(len(names)), ratios, color=colors, edgecolor="black", lw=0.6)
    ax.axhline(1.0, color="black", ls="--", lw=1.0, label="tolerance (ratio 1)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)), names)
    ax.set_xlabel(r"parameter array (function $\mathbf{f}_k$ . name)")
    ax.set_ylabel("worst |error| / tolerance")
    handles = [Patch(facecolor=_AGREE, edgecolor="black", label="agrees"),
               Patch(facecolor=_DISAGREE, edgecolor="black", label="disagrees"), *ax.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, fontsize=9, loc="best", framealpha=0.9)
    heading = f"Gradient check: {'all agree' if report.ok else 'some gradients disagree'}"
    ax.set_title(heading if title is None else title, fontsize=11)
    if fresh:
        ax.figure.tight_layout()
    return ax
