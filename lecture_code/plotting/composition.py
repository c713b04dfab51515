"""Chapter 1: the network diagram, each f_l marked (eq 2), and the computational graph."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

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


def _label(value, caller: str, name: str):
    """An activation's name for the diagram: ``None`` (no activation) or a non-empty str."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise ValueError(f"{caller} expects {name} to be an activation's name (a non-empty str) or None, got {value!r}")


# one color per function f_l (colorblind-safe, cycled for deeper networks); its band is a light tint of it
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def draw_network(sizes, ax=None, names=None, activation="ReLU", output_activation=None):
    """The network ``f = f_K o ... o f_1`` (eq 2) with widths ``sizes``, unit by unit, each ``f_l`` marked.

    Column ``x_l`` holds the units of ``x_l`` (``sizes[l - 1]`` of them). Each
    ``f_l`` is a shaded band labelled ``f_l`` above and its parameters' shapes
    below (``W_l: D_(l+1) x D_l``, ``b_l: D_(l+1)``): inside it, one line per
    weight joins every unit of ``x_l`` to every unit of the affine map's
    output, and where ``f_l`` has an activation (``activation`` for the hidden
    layers, ``output_activation`` for the last; ``None`` for none) that step
    is drawn on its own, one line per unit, as ``Sequential([Linear, ReLU])``
    holds it. Returns the axes. Artists carry a gid: the band
    ``Rectangle`` ``"f1"``, its lines ``"f1 linear"`` and ``"f1 ReLU"``, the
    unit ``Circle`` patches ``"x1"``, ..., and ``"z1"``, ... for the affine
    outputs before an activation.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"draw_network expects sizes to be a list of at least two layer widths, got {sizes!r}")
    sizes = [positive_int(s, "draw_network", f"sizes[{i}]") for i, s in enumerate(sizes)]
    names = layer_names(len(sizes)) if names is None else list(names)
    if len(names) != len(sizes):
        raise ValueError(f"draw_network expects {len(sizes)} names, one per layer, got {len(names)}")
    activation = _label(activation, "draw_network", "activation")
    output_activation = _label(output_activation, "draw_network", "output_activation")
    k_last = len(sizes) - 1
    acts = [activation] * (k_last - 1) + [output_activation]  # acts[l - 1]: the activation inside f_l
    dense, step, radius, gap = 2.0, 0.9, 0.17, 0.6  # column spacings, unit radius, spacing of units
    columns, x = [0.0], 0.0  # x positions of the columns x_1, ..., x_(K+1)
    for act in acts:
        x += dense + (step if act else 0.0)
        columns.append(x)
    top = gap * (max(sizes) - 1) / 2
    ax = _axes(ax, (0.6 * (columns[-1] + 1.4), 0.6 * (2 * top + 4.4)))

    def units(n, x):
        return [(x, gap * (j - (n - 1) / 2)) for j in range(n)]

    def circles(centres, r, face, gid):
        for centre in centres:
            ax.add_patch(Circle(centre, r, facecolor=face, edgecolor="black", lw=0.8, zorder=3, gid=gid))

    band_top, band_bottom = top + 0.4, -top - 0.4
    for ell, act in enumerate(acts, start=1):
        color = _COLORS[(ell - 1) % len(_COLORS)]
        left, right = columns[ell - 1], columns[ell]
        d_in, d_out = sizes[ell - 1], sizes[ell]
        ax.add_patch(Rectangle((left + radius, band_bottom), right - left - 2 * radius,
                               band_top - band_bottom, facecolor=color, alpha=0.12, edgecolor="none",
                               zorder=0, gid=f"f{ell}"))
        affine = units(d_out, left + dense)
        for x0, y0 in units(d_in, left):
            for x1, y1 in affine:
                ax.plot([x0 + radius, x1 - radius], [y0, y1], color=color, lw=0.6, alpha=0.8, zorder=1,
                        gid=f"f{ell} linear")
        middle = (left + right) / 2
        ax.text(middle, band_top + 0.12, rf"$\mathbf{{f}}_{{{ell}}}$", ha="center", va="bottom", fontsize=14,
                color=color)
        ax.text(left + dense / 2, band_bottom - 0.1, "Linear", ha="center", va="top", fontsize=9, color="0.25")
        if act:
            circles(affine, 0.12, "white", f"z{ell}")
            for (x0, y0), (x1, y1) in zip(affine, units(d_out, right)):
                ax.plot([x0 + 0.12, x1 - radius], [y0, y1], color=color, lw=1.4, zorder=1, gid=f"f{ell} {act}")
            ax.text(left + dense + step / 2, band_bottom - 0.1, act, ha="center", va="top", fontsize=9,
                    color="0.25")
        ax.text(middle, band_bottom - 0.55, rf"$\mathbf{{W}}_{{{ell}}}$: {d_out} × {d_in}" "\n"
                rf"$\mathbf{{b}}_{{{ell}}}$: {d_out}", ha="center", va="top", fontsize=10, linespacing=1.4)
    for k, (n, x) in enumerate(zip(sizes, columns), start=1):
        circles(units(n, x), radius, "#E8EEF7", f"x{k}")
        symbol = r"$\mathbf{o}$" if k == len(sizes) else rf"$\mathbf{{x}}_{{{k}}}$"
        ax.text(x, band_top + 0.12, f"{names[k - 1]} ({n})\n{symbol}", ha="center", va="bottom", fontsize=10,
                linespacing=1.3)
    ax.set_xlim(-0.7, columns[-1] + 0.7)
    ax.set_ylim(band_bottom - 1.5, band_top + 1.0)
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
