"""Chapter 2: heatmaps of Jacobians, one matrix or the chain-rule product of eq 6."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from .._validate import as_array, int_between, positive_float, shape_str

__all__ = ["jacobian_heatmap", "jacobian_chain"]

_CMAP = "coolwarm"  # diverging: negative blue, positive red, small values grey; exact zeros are left white
_MAX_WIDTH = 7.0  # inches: the book's content column is about 700 px at 100 dpi


def _matrix(J, name: str, caller: str) -> np.ndarray:
    J = as_array(J, name)
    if J.ndim != 2 or 0 in J.shape:
        raise ValueError(f"{caller} expects {name} to be a matrix of shape (M, D) with M, D >= 1, "
                         f"got {shape_str(J.shape)}")
    return J


def _index(k, n: int, name: str, caller: str):
    """A 0-based row or column index ``k`` into ``n`` entries (or None), else ``ValueError``."""
    return None if k is None else int_between(k, 0, n - 1, caller, name)


def _draw(ax, J, vmax, annotate, fmt, labelsize=9):
    """J as colored cells with exact zeros white, a light grid and 1-based ticks; returns the image."""
    masked = np.ma.masked_where(J == 0.0, J)
    cmap = plt.get_cmap(_CMAP).with_extremes(bad="white")
    image = ax.imshow(masked, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    m, d = J.shape
    ax.set_xticks(range(d), [str(j + 1) for j in range(d)])
    ax.set_yticks(range(m), [str(i + 1) for i in range(m)])
    ax.set_xticks(np.arange(-0.5, d), minor=True)
    ax.set_yticks(np.arange(-0.5, m), minor=True)
    ax.grid(which="minor", color="0.75", lw=0.6)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(labelsize=labelsize)
    if annotate:
        for (i, j), value in np.ndenumerate(J):
            if value == 0.0:  # an exact zero: a plain grey 0, so that it differs from a rounded "0.00"
                ax.text(j, i, "0", ha="center", va="center", fontsize=10, color="0.6")
                continue
            color = "white" if abs(value) > 0.6 * vmax else "black"
            ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=10, color=color)
    return image


def jacobian_heatmap(J, ax=None, *, title=None, annotate=False, fmt=".2f", vmax=None,
                     highlight_row=None, highlight_col=None, colorbar=True):
    """One Jacobian J : (M, D) (eq 5) as a heatmap: output i down the rows, input j across the columns.

    Cells are colored by value on a symmetric scale ``[-vmax, vmax]`` (default:
    the largest |entry|); exact zeros are left white, so sparsity shows. Tick
    labels are 1-based, as in the equations. ``highlight_row`` / ``highlight_col``
    (0-based, as in ``J[i]`` and ``J[:, j]``) frame one row, a gradient
    (eq 7), or one column, a derivative wrt one input. Returns the axes.
    """
    J = _matrix(J, "J", "jacobian_heatmap")
    m, d = J.shape
    row = _index(highlight_row, m, "highlight_row", "jacobian_heatmap")
    col = _index(highlight_col, d, "highlight_col", "jacobian_heatmap")
    largest = float(np.abs(J).max())
    vmax = (largest if largest > 0 else 1.0) if vmax is None else positive_float(vmax, "jacobian_heatmap", "vmax")
    if ax is None:
        cell = min(0.55, (_MAX_WIDTH - 2.2) / d)  # inches per entry: at most the book's column
        _, ax = plt.subplots(figsize=(cell * d + 2.2, cell * m + 1.4))
    image = _draw(ax, J, vmax, annotate, fmt)
    if row is not None:
        ax.add_patch(Rectangle((-0.5, row - 0.5), d, 1, fill=False, edgecolor="black", lw=2.5, zorder=3))
    if col is not None:
        ax.add_patch(Rectangle((col - 0.5, -0.5), 1, m, fill=False, edgecolor="#2ca02c", lw=2.5, ls="--", zorder=3))
    ax.set_xlabel("input  j", fontsize=11)
    ax.set_ylabel("output  i", fontsize=11)
    ax.set_title(f"Jacobian ({m} × {d})" if title is None else title, fontsize=12)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def jacobian_chain(factors, names=None, product=None, product_name=r"$\mathbf{J}$", title=None, axes=None):
    """The chain-rule product of eq 6 drawn as it is written: ``factors[0] · factors[1] · ... = product``.

    ``factors`` are matrices in the order of eq 6, the last layer's Jacobian
    first (``[J_K, ..., J_1]``; shapes must chain: factors[k] : (A, B),
    factors[k+1] : (B, C)); ``product`` defaults to their product. The factors
    share one color scale, the product has its own; exact zeros are white.
    ``axes`` (optional) holds ``len(factors) + 1`` axes. Returns the list of
    axes, the product's last.
    """
    if not isinstance(factors, (list, tuple)) or not factors:
        raise ValueError(f"jacobian_chain expects factors to be a non-empty list of matrices, got {factors!r:.60}")
    factors = [_matrix(F, f"factors[{k}]", "jacobian_chain") for k, F in enumerate(factors)]
    for k, (left, right) in enumerate(zip(factors[:-1], factors[1:])):
        if left.shape[1] != right.shape[0]:
            raise ValueError(
                f"jacobian_chain expects factors whose shapes chain (in a product A · B the columns of A match "
                f"the rows of B), got factors[{k}] of shape {shape_str(left.shape)} and factors[{k + 1}] of shape "
                f"{shape_str(right.shape)}"
            )
    computed = factors[0]
    for F in factors[1:]:
        computed = computed @ F
    product = computed if product is None else _matrix(product, "product", "jacobian_chain")
    if product.shape != computed.shape:
        raise ValueError(f"jacobian_chain expects product of shape {shape_str(computed.shape)} (that of the "
                         f"factors' product), got {shape_str(product.shape)}")
    names = [f"factor {k + 1}" for k in range(len(factors))] if names is None else list(names)
    if len(names) != len(factors):
        raise ValueError(f"jacobian_chain expects {len(factors)} names, one per factor, got {len(names)}")
    panels = factors + [product]
    if axes is None:
        widths = [F.shape[1] + 1.6 for F in panels]
        # inches per entry: the figure at most 6.8 inches wide, for the book's 7-inch column (the
        # constrained layout fills the figure, and a saved PNG adds 0.1 inch of padding on each side)
        cell = min(0.4, (_MAX_WIDTH - 0.2 - 0.6) / sum(widths))
        # tall enough that no panel is squeezed by the height (its tick labels take about 0.3 inch of
        # its width): an equal-aspect panel that fills its height has its title up in the suptitle
        height = max(F.shape[0] * ((F.shape[1] + 1.6) * cell - 0.3) / F.shape[1] for F in panels)
        _, axes = plt.subplots(1, len(panels), figsize=(cell * sum(widths) + 0.6, max(height, 0) + 2.1),
                               gridspec_kw={"width_ratios": widths}, squeeze=False, layout="constrained")
        axes = list(axes[0])
    else:
        axes = list(np.ravel(axes))
        if len(axes) != len(panels):
            raise ValueError(f"jacobian_chain expects {len(panels)} axes (one per factor and one for the product), "
                             f"got {len(axes)}")

    def scale(mats):
        largest = max(float(np.abs(F).max()) for F in mats)
        return largest if largest > 0 else 1.0

    vmax_factors, vmax_product = scale(factors), scale([product])
    for k, (ax, F, label) in enumerate(zip(axes, panels, names + [product_name])):
        image = _draw(ax, F, vmax_product if k == len(factors) else vmax_factors, annotate=False, fmt=".2f")
        if k == len(factors) - 1:
            factor_image = image
        ax.set_title(f"{label}\n{F.shape[0]} × {F.shape[1]}", fontsize=11)
        ax.set_xlabel("input j", fontsize=9)
        if k == 0:
            ax.set_ylabel("output i", fontsize=9)
        if k < len(factors):
            ax.annotate("$=$" if k == len(factors) - 1 else r"$\cdot$", xy=(1.0, 0.5), xycoords="axes fraction",
                        xytext=(0.2, 0), textcoords="offset fontsize", ha="left", va="center",
                        fontsize=20 if k == len(factors) - 1 else 30)
    fig = axes[0].figure
    bar = fig.colorbar(factor_image, ax=axes[:-1], location="bottom", shrink=0.5, aspect=40)
    bar.set_label("entries of the factors", fontsize=9)
    bar.ax.tick_params(labelsize=9)
    bar = fig.colorbar(image, ax=axes[-1], location="bottom", shrink=1.0, aspect=12)
    bar.set_ticks([-vmax_product, 0.0, vmax_product], labels=[f"{-vmax_product:.2g}", "0", f"{vmax_product:.2g}"])
    bar.set_label("product", fontsize=9)
    bar.ax.tick_params(labelsize=9)
    if title is not None:
        fig.suptitle(title, fontsize=12)
    return axes
