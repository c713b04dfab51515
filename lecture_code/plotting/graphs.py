"""Chapter 9: a recorded graph with the cotangent on every edge; gradient norms and memory against depth.

:func:`draw_graph` lays the values of a :mod:`lecture_code.graph` computation out by their
depth in the topological order (a value one column right of its deepest input; a leaf one
column left of its first consumer), orders each column so that few edges cross (the
barycenter heuristic, with a waypoint for an edge that skips columns), and labels each edge
with the cotangent it carried in :func:`lecture_code.graph.backward`: the number for a scalar,
the norm for an array. At a value that several consumers feed (a fan-out) it writes their sum
(eq 9.1).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .._validate import as_array, labelled, positive_int, shape_str
from ..graph import Gradients, Value, topological_order
from ._axes import MAX_WIDTH as _MAX_WIDTH
from ._axes import finish as _finish
from ._axes import new_axes as _new_axes

__all__ = ["draw_graph", "format_cotangent", "plot_gradient_norm_by_depth", "plot_memory_by_depth",
           "plot_memory_by_segment"]

_MAX_VALUES = 40  # more would not be legible in one column of the book
_COTANGENT = "#C44E52"  # the reverse sweep's color, as in chapter 4's figure
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860"]
_SYMBOLS = {"add": "+", "subtract": "−", "multiply": "×", "matmul": "@", "transpose": "ᵀ", "index": "[ ]"}
_STEP_RIGHT, _STEP_DOWN = 1.35, 1.75  # inches per column (depth) across, per slot in a row down
_FACE = {"leaf": "#E8EEF7", "constant": "#F2F2F2", "op": "#FBE3D2"}


def format_cotangent(c) -> str:
    """The label of a cotangent on an edge: ``"9"`` for a scalar, ``"‖·‖ 1.23"`` (its norm) for an array."""
    c = np.asarray(c, dtype=np.float64)
    if c.size == 1:
        return _number(float(c.reshape(())))
    return f"‖·‖ {float(np.linalg.norm(c)):.3g}"


def _number(v: float) -> str:
    return f"{v + 0.0:.3g}"  # + 0.0: a negative zero shows 0


def _label(value: Value, show_values: bool) -> str:
    """``name = 6`` and the op on a second line; a leaf or a constant its name (and value) only."""
    name = value.name or ("" if not value.is_leaf else ("leaf" if value.requires_grad else "constant"))
    if show_values and value.data.size == 1:
        number = _number(float(value.data.reshape(())))
        name = f"{name} = {number}" if name else number
    if value.is_leaf:
        return name
    op = _SYMBOLS.get(value.op, value.op)
    return f"{name}\n{op}" if name else op


def _columns(order):
    """``column[v]``: one more than the deepest input; a leaf one column before its first consumer."""
    column, consumers = {}, {v: [] for v in order}
    for v in order:
        column[v] = 0 if v.is_leaf else 1 + max(column[p] for p in v.parents)
        for p in v.parents:
            consumers[p].append(v)
    for v in order:
        if v.is_leaf and consumers[v]:
            column[v] = min(column[c] for c in consumers[v]) - 1
    return column


def _positions(order, column, edges):
    """``(slot of every node and waypoint in its column, waypoints of every edge, most slots, columns)``.

    The slots of a column are centered on 0; barycenter sweeps order them so that few edges cross.
    """
    n_cols = max(column.values()) + 1
    slots = [[] for _ in range(n_cols)]  # items per column: ("node", v) or ("via", edge index, column)
    for v in order:
        slots[column[v]].append(("node", v))
    via = []
    for e, (parent, consumer, _) in enumerate(edges):
        points = [("via", e, col) for col in range(column[parent] + 1, column[consumer])]
        for item in points:
            slots[item[2]].append(item)
        via.append(points)

    def ends(e):
        parent, consumer, _ = edges[e]
        return [("node", parent)] + via[e] + [("node", consumer)]

    left, right = {}, {}  # the neighbours of each item one column to the left and to the right
    for e in range(len(edges)):
        chain = ends(e)
        for a, b in zip(chain[:-1], chain[1:]):
            right.setdefault(_key(a), []).append(b)
            left.setdefault(_key(b), []).append(a)
    position = {}

    def place():
        for items in slots:
            for i, item in enumerate(items):
                position[_key(item)] = i - (len(items) - 1) / 2

    place()
    for _ in range(3):
        for cols, near in ((range(1, n_cols), left), (range(n_cols - 2, -1, -1), right)):
            for col in cols:
                def center(item, near=near):
                    ns = near.get(_key(item), [])
                    return np.mean([position[_key(n)] for n in ns]) if ns else position[_key(item)]
                slots[col].sort(key=center)
                place()
    return position, via, max(len(items) for items in slots), n_cols


def _key(item):
    return ("node", id(item[1])) if item[0] == "node" else item


def _sent(grads: Gradients):
    """``{(id(consumer), id(input)): [cotangent, ...]}`` in the order sent (a value used twice has two)."""
    sent = {}
    for consumer, parent, c in grads.edges:
        sent.setdefault((id(consumer), id(parent)), []).append(c)
    return sent


def draw_graph(output, grads=None, ax=None, *, show_values: bool = True, sums: str = "fan-out",
               direction: str = "auto", title=None):
    """The graph that made ``output``, inputs first, each edge labelled with the cotangent it carried.

    ``output`` is a :class:`lecture_code.graph.Value`; ``grads`` what
    ``lecture_code.graph.backward(output, ...)`` returned (None draws the graph alone). A
    node shows its name (``value.name``), for a scalar its value, and its op (``×`` for
    multiply, ``+`` add, ``−`` subtract, ``@`` matmul, ``ᵀ`` transpose, a layer or loss by
    name); leaves are blue, constants grey, operations orange. An edge from an input to its
    consumer is labelled with :func:`format_cotangent` of the cotangent the consumer sent back
    along it. ``sums``: ``"fan-out"`` writes next to each value that received two or more
    cotangents their sum (eq 9.1), ``"all"`` next to every value that received one, ``"none"``
    nowhere (labels go where they cover no box, label or edge, if there is such a place). ``direction``: ``"right"`` (depth from left to right), ``"down"`` (from top to
    bottom), or ``"auto"``: right when the depths fit the book's column, else down.

    Returns the axes. Node labels have the gid ``"node label"`` (their boxes ``"node"``), edge
    labels ``"cotangent"``, sums ``"sum"``.
    """
    if not isinstance(output, Value):
        raise ValueError(f"draw_graph expects the Value a computation on a lecture_code.graph.Tape made, "
                         f"got {type(output).__name__}")
    if sums not in ("fan-out", "all", "none"):
        raise ValueError(f"draw_graph expects sums to be 'fan-out', 'all' or 'none', got {sums!r}")
    if direction not in ("auto", "right", "down"):
        raise ValueError(f"draw_graph expects direction to be 'auto', 'right' or 'down', got {direction!r}")
    if grads is not None and not isinstance(grads, Gradients):
        raise ValueError(f"draw_graph expects grads = lecture_code.graph.backward(output), got {type(grads).__name__}")
    if grads is not None and not any(v is output for v in grads.cotangents):
        raise ValueError("draw_graph expects grads = lecture_code.graph.backward(output) of this output, "
                         "got the gradients of another output")
    order = topological_order(output)
    if len(order) > _MAX_VALUES:
        raise ValueError(f"draw_graph expects a graph of at most {_MAX_VALUES} values (more are not legible), "
                         f"got {len(order)}")
    column = _columns(order)
    edges = [(p, v, k) for v in order for k, p in enumerate(v.parents)]
    position, via, widest, n_cols = _positions(order, column, edges)
    if direction == "auto":
        direction = "right" if _STEP_RIGHT * n_cols + 0.4 <= _MAX_WIDTH else "down"
    right = direction == "right"

    def at(col, pos):  # data coordinates: one unit per column (depth) and per slot within it
        return (col, -pos) if right else (pos, -col)

    sent = {} if grads is None else _sent(grads)
    if ax is None:
        if right:
            size = (min(_MAX_WIDTH, _STEP_RIGHT * n_cols + 0.4), 0.95 * widest + 0.9)
        else:
            size = (min(_MAX_WIDTH, _STEP_DOWN * widest + 0.4), 0.95 * n_cols + 0.5)
        _, ax = plt.subplots(figsize=size, layout="constrained")
    ax.axis("off")
    boxes = {}
    for v in order:
        kind = "op" if not v.is_leaf else ("leaf" if v.requires_grad else "constant")
        text = ax.text(*at(column[v], position[("node", id(v))]), _label(v, show_values), ha="center",
                       va="center", fontsize=10, zorder=3, linespacing=1.25,
                       bbox=dict(boxstyle="round,pad=0.35", facecolor=_FACE[kind],
                                 edgecolor="black" if kind != "constant" else "0.55", lw=0.9))
        text.set_gid("node label")
        text.get_bbox_patch().set_gid("node")
        boxes[id(v)] = text
    used, labels, paths = {}, [], []  # paths: points along each edge, which a label should not hide
    for e, (parent, consumer, _) in enumerate(edges):
        pair = (id(consumer), id(parent))
        n_same = sum(1 for p in consumer.parents if p is parent)
        k = used[pair] = used.get(pair, -1) + 1  # the k-th edge between these two values
        bend = 0.0 if n_same == 1 else (k - (n_same - 1) / 2) * 0.6
        points = [at(column[parent], position[("node", id(parent))])]
        points += [at(item[2], position[item]) for item in via[e]]
        points.append(at(column[consumer], position[("node", id(consumer))]))
        color = "black" if parent.requires_grad else "0.6"
        for i, (a, b) in enumerate(zip(points[:-1], points[1:])):
            last = i == len(points) - 2
            ax.annotate("", xy=b, xytext=a, zorder=1,
                        arrowprops=dict(arrowstyle="-|>" if last else "-", lw=1.0, color=color, shrinkA=0,
                                        shrinkB=0, mutation_scale=11,
                                        patchA=boxes[id(parent)].get_bbox_patch() if i == 0 else None,
                                        patchB=boxes[id(consumer)].get_bbox_patch() if last else None,
                                        connectionstyle=f"arc3,rad={bend}"))
        cotangents = sent.get(pair, [])
        paths.append((e, _along(points, bend, np.linspace(0.0, 1.0, 41))))
        if k < len(cotangents):
            labels.append((format_cotangent(cotangents[k]), _along(points, bend), points, e))
    span = (widest - 1) / 2
    if right:
        ax.set_xlim(-0.65, n_cols - 0.35)
        ax.set_ylim(-span - 0.6, span + 0.45)
    else:
        ax.set_xlim(-span - 0.62, span + 0.62)
        ax.set_ylim(-n_cols + 0.5, 0.5)
    if title is not None:
        ax.set_title(title, fontsize=11)
    ax.figure.canvas.draw()  # lays the figure out: the labels below are placed where they overlap nothing
    renderer = ax.figure.canvas.get_renderer()
    taken = [box.get_bbox_patch().get_window_extent(renderer) for box in boxes.values()]
    lines = [(e, ax.transData.transform(np.array(pts))) for e, pts in paths]
    if grads is not None and sums != "none":
        _write_sums(ax, order, grads, boxes, sums, right, renderer, taken, np.vstack([p for _, p in lines]))
    to_pixels = ax.transData.transform
    # the labels of short edges first: they have the fewest places to go
    labels.sort(key=lambda item: float(np.sum(np.hypot(*np.diff(to_pixels(item[2]), axis=0).T))))
    for text, candidates, _, e in labels:
        label = ax.text(*candidates[0], text, ha="center", va="center", fontsize=9, color=_COTANGENT, zorder=4,
                        bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none"), gid="cotangent")
        others = [p for f, p in lines if f != e]
        _place(label, [dict(xy=c) for c in candidates], renderer, taken, np.vstack(others) if others else None)
    return ax


def _along(points, bend, fractions=(0.5, 0.38, 0.62, 0.27, 0.73, 0.18, 0.82)):
    """Points at ``fractions`` of the way along an edge drawn through ``points``: label places, middle first.

    A bent edge (arc3 with ``rad = bend``) is the quadratic Bezier curve through the control
    point ``middle + bend * (dy, -dx)``; an edge with waypoints is the polyline through them.
    """
    if len(points) == 2:
        (x0, y0), (x1, y1) = points
        cx, cy = (x0 + x1) / 2 + bend * (y1 - y0), (y0 + y1) / 2 - bend * (x1 - x0)
        return [((1 - t) ** 2 * x0 + 2 * t * (1 - t) * cx + t**2 * x1,
                 (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cy + t**2 * y1) for t in fractions]
    p = np.array(points, dtype=float)
    lengths = np.r_[0.0, np.cumsum(np.hypot(*np.diff(p, axis=0).T))]
    return [(float(np.interp(t * lengths[-1], lengths, p[:, 0])), float(np.interp(t * lengths[-1], lengths, p[:, 1])))
            for t in fractions]


def _place(text, candidates, renderer, taken, lines=None):
    """Move ``text`` to the first candidate (``dict(xy=..., ha=..., va=...)``) where it covers nothing.

    Nothing: no extent in ``taken`` (boxes and labels placed before) and none of the points
    ``lines`` : (n, 2) sampled along the edges it must not hide (display coordinates).
    """
    def move(where):
        text.set_position(where["xy"])
        text.set_ha(where.get("ha", "center"))
        text.set_va(where.get("va", "center"))
        return text.get_window_extent(renderer).padded(3.0 * renderer.points_to_pixels(1.0))  # 3 points

    def overlap(extent):
        area = sum(max(0.0, min(extent.x1, o.x1) - max(extent.x0, o.x0)) *
                   max(0.0, min(extent.y1, o.y1) - max(extent.y0, o.y0)) for o in taken)
        if lines is not None:
            inside = ((lines[:, 0] > extent.x0) & (lines[:, 0] < extent.x1) &
                      (lines[:, 1] > extent.y0) & (lines[:, 1] < extent.y1))
            area += 10.0 * float(inside.sum())  # a point of a hidden edge counts as 10 square pixels
        return area

    best = None
    for where in candidates:
        extent = move(where)
        area = overlap(extent)
        if area == 0.0:
            taken.append(extent)
            return
        best = best if best is not None and best[0] <= area else (area, where)
    taken.append(move(best[1]))  # no free place: the one that covers the least


def _write_sums(ax, order, grads, boxes, sums, right, renderer, taken, lines):
    """Next to each value that received cotangents (two or more for ``"fan-out"``): their sum, eq 9.1."""
    received = {}
    for consumer, parent, c in grads.edges:
        received.setdefault(id(parent), []).append(c)
    to_data = ax.transData.inverted()
    for v in order:
        parts = received.get(id(v), [])
        if len(parts) < (2 if sums == "fan-out" else 1):
            continue
        total = grads.cotangents[v]
        text = f"sum of {len(parts)}: {format_cotangent(total)}"
        if np.size(total) == 1 and len(parts) <= 3:  # the terms themselves
            terms = " + ".join(format_cotangent(c) for c in parts).replace("+ -", "− ")
            text = f"{terms} = {format_cotangent(total)}" if len(parts) > 1 else terms
        box = boxes[id(v)].get_bbox_patch().get_window_extent(renderer)
        gap = 2.0 * ax.figure.dpi / 72  # 2 points
        sides = {"below": dict(xy=((box.x0 + box.x1) / 2, box.y0 - gap), ha="center", va="top"),
                 "above": dict(xy=((box.x0 + box.x1) / 2, box.y1 + gap), ha="center", va="bottom"),
                 "right": dict(xy=(box.x1 + gap, (box.y0 + box.y1) / 2), ha="left", va="center"),
                 "left": dict(xy=(box.x0 - gap, (box.y0 + box.y1) / 2), ha="right", va="center")}
        prefer = ["below", "above", "right", "left"] if right else \
            (["above", "right", "left", "below"] if v.is_leaf else ["right", "left", "below", "above"])
        candidates = [dict(sides[s], xy=tuple(to_data.transform(sides[s]["xy"]))) for s in prefer]
        label = ax.text(*candidates[0]["xy"], text, fontsize=9, color=_COTANGENT, zorder=5, gid="sum",
                        bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none"))
        _place(label, candidates, renderer, taken, lines)


# -- measured curves --------------------------------------------------------------------------------------


def _depths(depths, caller):
    if not isinstance(depths, (list, tuple, np.ndarray)) or len(depths) < 1:
        raise ValueError(f"{caller} expects depths to be a non-empty list of integers >= 1, got {depths!r:.60}")
    return np.array([positive_int(d, caller, f"depths[{i}]") for i, d in enumerate(list(depths))])


def _curves(curves, n, caller, name, positive=True):
    labelled(curves, caller, name, f"array of {n} values")
    out = {}
    for label, values in curves.items():
        values = as_array(values, f"{name}[{label!r}]")
        if values.shape != (n,) or (positive and not (values > 0).all()):
            kind = "positive values" if positive else "values"
            raise ValueError(f"{caller} expects {name}[{label!r}] to be {n} {kind}, one per depth, got "
                             f"shape {shape_str(values.shape)}" + (f" with smallest {values.min():g}"
                                                                  if values.size and positive else ""))
        out[str(label)] = values
    return out


def plot_gradient_norm_by_depth(depths, norms, ax=None, *, title=None):
    """``||dL/dW_1||`` at the first layer against the depth, one line per ``label -> norms : (n_depths,)``.

    Log-log axes (base 2 for the depth); a vanishing gradient is a line that falls steeply.
    Returns the axes.
    """
    depths = _depths(depths, "plot_gradient_norm_by_depth")
    norms = _curves(norms, len(depths), "plot_gradient_norm_by_depth", "norms")
    ax = _new_axes(ax, 3.8)
    for (label, values), color, marker in zip(norms.items(), _COLORS * len(norms), "osd^v" * len(norms)):
        ax.loglog(depths, values, marker + "-", color=color, lw=1.6, ms=5, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.minorticks_off()
    ax.set_xlabel("depth (blocks)")
    ax.set_ylabel(r"$\|\partial\mathcal{L}/\partial\mathbf{W}_1\|$ at the first layer")
    return _finish(ax, title, "The gradient at the first layer")


def plot_memory_by_depth(depths, peaks, ax=None, *, title=None):
    """Peak memory in KiB against the depth, one line per ``label -> bytes : (n_depths,)``. Returns the axes."""
    depths = _depths(depths, "plot_memory_by_depth")
    peaks = _curves(peaks, len(depths), "plot_memory_by_depth", "peaks")
    ax = _new_axes(ax, 3.6)
    for (label, values), color, marker in zip(peaks.items(), _COLORS * len(peaks), "osd^v" * len(peaks)):
        ax.plot(depths, values / 1024, marker + "-", color=color, lw=1.6, ms=5, label=label)
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("depth (blocks)")
    ax.set_ylabel("peak memory (KiB)")
    return _finish(ax, title, "Peak memory of one gradient")


def plot_memory_by_segment(every, peaks, n_layers, ax=None, *, title=None):
    """Peak memory in KiB of checkpointed backprop against the segment length ``every``, ``sqrt(K)`` marked.

    ``every`` : (n,) segment lengths, ``peaks`` : (n,) bytes, ``n_layers`` the K layers
    checkpointed. Log x axis (base 2). Returns the axes.
    """
    every = _depths(every, "plot_memory_by_segment")
    n_layers = positive_int(n_layers, "plot_memory_by_segment", "n_layers")
    if every.max() > n_layers:
        raise ValueError(f"plot_memory_by_segment expects segment lengths of at most n_layers = {n_layers}, "
                         f"got {int(every.max())}")
    peaks = _curves({"peak": peaks}, len(every), "plot_memory_by_segment", "peaks")["peak"]
    ax = _new_axes(ax, 3.6)
    ax.plot(every, peaks / 1024, "o-", color=_COLORS[1], lw=1.6, ms=5, label="checkpointed backprop, measured")
    best = int(np.argmin(peaks))
    ax.plot(every[best], peaks[best] / 1024, "*", color="black", ms=12, zorder=3,
            label=f"smallest: every = {int(every[best])}")
    ax.axvline(math.sqrt(n_layers), color="0.3", ls="--", lw=1.0, label=rf"$\sqrt{{K}}$ = {math.sqrt(n_layers):.1f}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(every, [str(k) for k in every])
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"segment length: a checkpoint every ... layers (K = {n_layers})")
    ax.set_ylabel("peak memory (KiB)")
    return _finish(ax, title, "Checkpointing: memory against the segment length")

