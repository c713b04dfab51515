"""Chapter 1: the network diagram and the computational graph."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

from .._validate import positive_int

__all__ = ["draw_network", "draw_computational_graph", "layer_names"]

# inches: the book's content column is about 700 px, 7 inches at 100 dpi; a constrained layout
# fills the figure, and a PNG saved with bbox_inches="tight" adds 0.1 inch on each side
_MAX_WIDTH = 6.8


def _axes(ax, size):
    if ax is None:
        width, height = size
        shrink = min(1.0, _MAX_WIDTH / width)  # at most the book's column, same proportions
        _, ax = plt.subplots(figsize=(shrink * width, shrink * height), layout="constrained")
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def layer_names(n_layers: int) -> list:
    """``['Input', 'Hidden 1', ..., 'Output']`` for ``n_layers`` >= 2 layers of units."""
    n_layers = positive_int(n_layers, "layer_names", "n_layers")
    if n_layers < 2:
        raise ValueError(f"layer_names expects n_layers to be an integer >= 2 (an input and an output layer), "
                         f"got {n_layers}")
    return ["Input"] + [f"Hidden {i}" for i in range(1, n_layers - 1)] + ["Output"]


def draw_network(sizes, ax=None, names=None):
    """The units of a fully connected network with widths ``sizes`` and every connection between them.

    Returns the axes; the units are ``Circle`` patches, one per unit, and the
    connections ``Line2D`` objects, one per weight.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"draw_network expects sizes to be a list of at least two layer widths, got {sizes!r}")
    sizes = [positive_int(s, "draw_network", f"sizes[{i}]") for i, s in enumerate(sizes)]
    names = layer_names(len(sizes)) if names is None else list(names)
    if len(names) != len(sizes):
        raise ValueError(f"draw_network expects {len(sizes)} names, one per layer, got {len(names)}")
    ax = _axes(ax, (1.9 * len(sizes) + 1, 0.55 * max(sizes) + 1.5))
    gap, radius = 0.6, 0.17
    centres = [[(2.0 * k, gap * (j - (n - 1) / 2)) for j in range(n)] for k, n in enumerate(sizes)]
    for left, right in zip(centres[:-1], centres[1:]):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0 + radius, x1 - radius], [y0, y1], color="0.65", lw=0.6, zorder=1)
    colors = ["#4C72B0"] + ["#DD8452"] * (len(sizes) - 2) + ["#55A868"]
    top = gap * (max(sizes) - 1) / 2
    for k, (layer, color) in enumerate(zip(centres, colors)):
        for x, y in layer:
            ax.add_patch(Circle((x, y), radius, facecolor=color, edgecolor="black", lw=0.8, zorder=2))
        ax.text(2.0 * k, top + 0.55, f"{names[k]}\n({sizes[k]})", ha="center", va="bottom", fontsize=10)
    ax.set_xlim(-0.6, 2.0 * (len(sizes) - 1) + 0.6)
    ax.set_ylim(-top - 0.5, top + 1.3)
    return ax


def draw_computational_graph(n_functions: int = 4, ax=None, output="o"):
    """The chain ``x_1 -> f_1 -> x_2 -> ... -> f_K -> output``, each ``f_l`` fed by its parameters ``theta_l``.

    Returns the axes; the variables and functions are ``FancyBboxPatch`` boxes.
    """
    k = positive_int(n_functions, "draw_computational_graph", "n_functions")
    ax = _axes(ax, (1.6 * (2 * k + 1), 2.6))
    labels = []
    for i in range(1, k + 1):
        labels += [(rf"$\mathbf{{x}}_{i}$", "var"), (rf"$\mathbf{{f}}_{i}$", "fun")]
    labels.append((rf"$\mathbf{{{output}}}$", "var"))
    step = 1.6
    for i, (text, kind) in enumerate(labels):
        x = step * i
        face = "#E8EEF7" if kind == "var" else "#FBE3D2"
        ax.add_patch(FancyBboxPatch((x - 0.45, -0.3), 0.9, 0.6, boxstyle="round,pad=0.05",
                                    facecolor=face, edgecolor="black", lw=0.9))
        ax.text(x, 0, text, ha="center", va="center", fontsize=13)
        if i < len(labels) - 1:
            ax.annotate("", xy=(x + step - 0.5, 0), xytext=(x + 0.5, 0),
                        arrowprops=dict(arrowstyle="->", lw=1.2))
        if kind == "fun":
            ax.text(x, 1.15, rf"$\theta_{i // 2 + 1}$", ha="center", va="center", fontsize=12)
            ax.annotate("", xy=(x, 0.37), xytext=(x, 0.95), arrowprops=dict(arrowstyle="->", lw=1.0, color="0.35"))
    ax.set_xlim(-0.7, step * (len(labels) - 1) + 0.7)
    ax.set_ylim(-0.6, 1.5)
    return ax
