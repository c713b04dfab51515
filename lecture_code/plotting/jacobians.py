"""Chapter 2: heatmaps of Jacobians (one matrix, or the chain-rule product of eq 6), the Jacobian as a
local linear map, and the linear regions of a ReLU network."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .._validate import _is_int, as_array, int_between, positive_float, positive_int, shape_str

__all__ = ["jacobian_heatmap", "jacobian_chain", "linear_map_grid", "activation_patterns", "linear_regions"]

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


# -- the Jacobian as a local linear map --------------------------------------------------------

_FAMILIES = ("#1f77b4", "#ff7f0e")  # the grid's two families of lines: x_2 held fixed, x_1 held fixed


def _images(f, points, caller):
    """``f`` applied to the rows of ``points`` (N, 2), checked to give (N, 2)."""
    values = as_array(f(points), f"{caller}: f(points)")
    if values.shape != points.shape:
        raise ValueError(f"{caller} expects f to map points of shape {shape_str(points.shape)} (one per row) to "
                         f"the same shape, got {shape_str(values.shape)}")
    return values


def linear_map_grid(f, x, J, radius=0.5, lines=7, axes=None, input_names=("$x_1$", "$x_2$"),
                    output_names=("$f_1$", "$f_2$")):
    """A square grid around ``x`` and its images under ``f`` and under ``f(x) + J (x' - x)`` (eq 5).

    ``f`` maps points (N, 2), one per row, to (N, 2); ``x`` : (2,), ``J`` : (2, 2)
    its Jacobian at ``x``. The grid has ``lines`` lines in each direction over
    ``|x'_i - x_i| <= radius``. Two panels, one above the other: the grid in the
    input plane, then in the output plane the image under ``f`` (solid, each
    line in its grid line's color) and under the linear approximation (dashed
    black). Returns the two axes; the lines carry the gids ``"grid"``, ``"f"``
    and ``"linear"``, in the order of the grid lines.
    """
    caller = "linear_map_grid"
    if not callable(f):
        raise ValueError(f"{caller} expects f to be a function of points (N, 2), got {type(f).__name__}")
    x = as_array(x, "x")
    if x.shape != (2,):
        raise ValueError(f"{caller} expects x of shape (2,) (a point of the input plane), got {shape_str(x.shape)}")
    J = as_array(J, "J")
    if J.shape != (2, 2):
        raise ValueError(f"{caller} expects J of shape (2, 2) (two outputs, two inputs), got {shape_str(J.shape)}")
    radius = positive_float(radius, caller, "radius")
    lines = int_between(lines, 2, 101, caller, "lines")
    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(6.8, 7.2), layout="constrained")
    axes = list(np.ravel(axes))
    if len(axes) != 2:
        raise ValueError(f"{caller} expects 2 axes (the input plane, the output plane), got {len(axes)}")
    ax_in, ax_out = axes
    f_x = _images(f, x[None, :], caller)[0]
    levels, along = np.linspace(-radius, radius, lines), np.linspace(-radius, radius, 61)
    for family, color in enumerate(_FAMILIES):
        for level in levels:
            offsets = np.column_stack([along, np.full_like(along, level)] if family == 0
                                      else [np.full_like(along, level), along])
            points = x + offsets
            ax_in.plot(points[:, 0], points[:, 1], color=color, lw=1.2, gid="grid")
            image = _images(f, points, caller)
            ax_out.plot(image[:, 0], image[:, 1], color=color, lw=2.2, alpha=0.75, gid="f")
            linear = f_x + offsets @ J.T
            ax_out.plot(linear[:, 0], linear[:, 1], color="black", lw=0.9, ls=(0, (4, 3)), gid="linear")
    ax_in.plot(*x, "ko", ms=6)
    ax_out.plot(*f_x, "ko", ms=6)
    ax_in.set_title("A grid around $\\mathbf{x}$, in the input plane", fontsize=12)
    linear_map = "$\\mathbf{f}(\\mathbf{x}) + \\mathbf{J}(\\mathbf{x}' - \\mathbf{x})$"
    ax_out.set_title(f"Its image under $\\mathbf{{f}}$ (solid) and under\n{linear_map} (dashed), in the output plane",
                     fontsize=12)
    for ax, (first, second) in ((ax_in, input_names), (ax_out, output_names)):
        ax.set_xlabel(first, fontsize=11)
        ax.set_ylabel(second, fontsize=11)
        ax.set_aspect("equal", adjustable="box")
        ax.tick_params(labelsize=9)
    return axes


# -- the linear regions of a ReLU network ------------------------------------------------------

# pale fills, one per activation pattern (cycled); the boundaries are drawn over them in the colors of
# chapter 1's network diagram, one per layer whose units switch there
_FILLS = [tuple(0.55 * np.array(c) + 0.45) for c in  # lightened toward white, so that the boundaries show
          list(plt.get_cmap("Pastel1").colors) + list(plt.get_cmap("Pastel2").colors)
          + list(plt.get_cmap("Set3").colors)]
_LAYER_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def _hidden_values(net, thetas, X, caller):
    """``[(N, m_l), ...]``: each hidden value (every layer's output but the last) for X : (N, D)."""
    if not callable(getattr(net, "activations", None)):
        raise ValueError(f"{caller} expects net to be a network with activations(x, thetas) (a Sequential), "
                         f"got {net!r:.80}")
    return [np.atleast_2d(v) for v in net.activations(X, thetas)[1:-1]]


def _hidden_on(net, thetas, X, caller):
    """``[(N, m_l) bool, ...]``: which entries of each hidden value are > 0."""
    return [v > 0 for v in _hidden_values(net, thetas, X, caller)]


def activation_patterns(net, thetas, X):
    """Which hidden units are on: ``(N, H)`` booleans for X : (N, D), ``(H,)`` for one x : (D,).

    A unit is on where its entry of a hidden value is > 0; the hidden values are
    the outputs of every layer but the last (``net.activations(X, thetas)[1:-1]``,
    for ``Sequential([f1, f2, f3, f4])`` the vectors x_2, x_3, x_4), side by side.
    Inputs with the same pattern see the same ReLU masks, so the same Jacobian (eq 6).
    """
    X = as_array(X, "X")
    if X.ndim not in (1, 2):
        raise ValueError(f"activation_patterns expects X of shape (D,) or (N, D), got {shape_str(X.shape)}")
    on = _hidden_on(net, thetas, X, "activation_patterns")
    if not on:
        raise ValueError(f"activation_patterns expects a network with at least one hidden layer, got {net!r:.80}")
    patterns = np.concatenate(on, axis=1)
    return patterns[0] if X.ndim == 1 else patterns


def _dims(dims, d, caller):
    if not isinstance(dims, (list, tuple)) or len(dims) != 2 or not all(_is_int(i) for i in dims) \
            or not all(0 <= i < d for i in dims) or dims[0] == dims[1]:
        raise ValueError(f"{caller} expects dims to be two different input indices in 0..{d - 1}, got {dims!r}")
    return int(dims[0]), int(dims[1])


def _signed(h):
    """A field on the pixel grid whose 0 contour is where a unit with value ``h`` = relu(z) : (R, C) switches.

    Where the unit is on, the field is h = z itself. At an off pixel next to the
    boundary it is z extrapolated from the two on pixels beyond it, 2 h_1 - h_2,
    which is exact where z is affine over the three pixels (as it is inside a
    linear region); so the contour finds the switch to a fraction of a pixel, not
    on the pixels' staircase. Off pixels far from the boundary get -1.
    """
    field = np.where(h > 0, h, -1.0)
    off = h <= 0
    padded = np.pad(h, 2, constant_values=0.0)
    rows, cols = h.shape
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        near = padded[2 + dr:2 + dr + rows, 2 + dc:2 + dc + cols]
        far = padded[2 + 2 * dr:2 + 2 * dr + rows, 2 + 2 * dc:2 + 2 * dc + cols]
        guess = np.where(far > 0, np.minimum(2 * near - far, 0.0), -near)  # -near: a one-pixel sliver
        use = off & (near > 0)
        field[use] = np.where(field[use] == -1.0, guess[use], np.maximum(field[use], guess[use]))
    return field


def _pattern_ids(patterns):
    """``(number of distinct rows, (N,) index of each row's pattern)`` for booleans (N, H); the rows are
    packed into bytes first (into one 64-bit integer each for H <= 64), which makes this fast for many N."""
    codes = np.packbits(patterns, axis=1)
    if codes.shape[1] <= 8:
        codes = np.pad(codes, ((0, 0), (0, 8 - codes.shape[1]))).view(np.uint64).ravel()
        keys, ids = np.unique(codes, return_inverse=True)
    else:
        keys, ids = np.unique(codes, axis=0, return_inverse=True)
    return len(keys), ids.ravel()


def linear_regions(net, thetas, x, dims=(0, 1), extent=3.0, resolution=401, ax=None, marks=None,
                   input_names=None, hidden_names=None, title=None):
    """The plane through ``x`` : (D,) in which inputs ``dims`` vary, colored by activation pattern.

    Inputs ``i, j = dims`` run over ``x_i +- extent``, ``x_j +- extent``; the
    others stay at ``x``. Each pattern (:func:`activation_patterns`) gets one pale
    color, and in each such region a ReLU network is one affine map with one
    Jacobian. The boundaries, where a unit switches, are traced between the
    pixels from the unit's value (straight where they are straight), in one color
    per hidden value (``hidden_names`` names them in the legend). ``marks``
    (optional, ``{label: point}``, points of the plane) are drawn as labelled
    dots. The title (by default) counts the patterns in the window; each is one
    convex region, since within a region every unit's input is affine in x.
    Returns the axes; its image holds the pattern index of every pixel (rows:
    input j, columns: input i).
    """
    caller = "linear_regions"
    x = as_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"{caller} expects x of shape (D,), got {shape_str(x.shape)}")
    i, j = _dims(dims, x.size, caller)
    extent = positive_float(extent, caller, "extent")
    resolution = positive_int(resolution, caller, "resolution")
    if resolution < 2:
        raise ValueError(f"{caller} expects resolution to be an integer >= 2, got {resolution}")
    marks = {} if marks is None else dict(marks)
    for label, point in marks.items():
        point = as_array(point, f"marks[{label!r}]")
        others = [k for k in range(x.size) if k not in (i, j)]
        if point.shape != x.shape or not np.allclose(point[others], x[others], rtol=0, atol=1e-12):
            raise ValueError(f"{caller} expects marks[{label!r}] to be a point of the plane: shape {shape_str(x.shape)}"
                             f" and inputs {[k + 1 for k in others]} equal to x's, got {point}")
        marks[label] = point
    s = np.linspace(x[i] - extent, x[i] + extent, resolution)
    t = np.linspace(x[j] - extent, x[j] + extent, resolution)
    S, T = np.meshgrid(s, t)
    X = np.tile(x, (S.size, 1))
    X[:, i], X[:, j] = S.ravel(), T.ravel()
    values = _hidden_values(net, thetas, X, caller)
    on = [v > 0 for v in values]
    if not on:
        raise ValueError(f"{caller} expects a network with at least one hidden layer, got {net!r:.80}")
    hidden_names = [f"layer {k + 1}'s output" for k in range(len(on))] if hidden_names is None else list(hidden_names)
    if len(hidden_names) != len(on):
        raise ValueError(f"{caller} expects {len(on)} hidden_names, one per hidden value, got {len(hidden_names)}")
    _, ids = _pattern_ids(np.concatenate(on, axis=1))
    ids = ids.reshape(S.shape)
    n_regions = int(ids.max()) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(6.8, 6.4), layout="constrained")
    colors = [_FILLS[k % len(_FILLS)] for k in range(n_regions)]
    ax.imshow(ids, origin="lower", extent=(s[0], s[-1], t[0], t[-1]), cmap=ListedColormap(colors),
              norm=BoundaryNorm(np.arange(n_regions + 1) - 0.5, n_regions), interpolation="nearest")
    handles = []
    for layer, layer_values in enumerate(values):
        color = _LAYER_COLORS[layer % len(_LAYER_COLORS)]
        for unit in range(layer_values.shape[1]):
            h = layer_values[:, unit].reshape(S.shape)
            if 0 < np.count_nonzero(h > 0) < h.size:  # the unit switches inside the window
                ax.contour(S, T, _signed(h), levels=[0.0], colors=[color], linewidths=1.3)
        handles.append(Line2D([], [], color=color, lw=1.5, label=f"a unit of {hidden_names[layer]} switches"))
    for label, point in marks.items():
        ax.plot(point[i], point[j], "o", color="black", ms=6, zorder=4)
        ax.annotate(label, (point[i], point[j]), xytext=(6, 6), textcoords="offset points", fontsize=12,
                    zorder=4, bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))
    names = input_names or (f"input {i + 1}", f"input {j + 1}")
    ax.set_xlabel(names[0], fontsize=11)
    ax.set_ylabel(names[1], fontsize=11)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=9)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, fontsize=10, frameon=False)
    ax.set_title(f"{n_regions} activation patterns in this window" if title is None else title, fontsize=12)
    return ax
