"""Reverse mode over a graph: record a computation as it runs, then differentiate it backwards.

A ``Sequential`` differentiates a chain. A real network is a graph: a residual block
uses its input twice, a shared weight feeds two layers, a penalty reads the weights the
loss also reads. The rule that makes reverse mode work on any graph is the
multivariable chain rule: **the cotangents of a value used more than once add up**,

    x_bar = sum over the consumers c of x of  (u_c^T dc/dx)                 (eq 9.1)

so a node may send its cotangent on only after every consumer has sent it theirs,
which is what visiting the nodes in reverse topological order guarantees (eq 9.2).

This module is such an engine, "define by run" as PyTorch's autograd:

    tape = Tape()
    x, w = tape.leaf(x_data, "x"), tape.leaf(w_data, "w")
    y = x * w + w               # w is used twice: fan-out
    grads = backward(y.sum())   # grads[w] == x + 1

Every operation makes a :class:`Value` that remembers its operation, its inputs and
its pullback, the VJP at that point: ``pullback(u) -> (cotangent of input 1, ...)``.
The operations are ``+``, ``-``, ``*`` (elementwise, NumPy broadcasting), ``@``,
``.T``, ``sum``, ``mean``, indexing, :func:`concat`, :func:`apply` (any lecture_code
``Layer``, its parameters graph inputs too) and :func:`loss`; :func:`node` makes a new
one from a forward result and its pullback. Arrays and numbers mixed in become
constants. Vocabulary as elsewhere: ``u`` is the cotangent that arrives at a node,
``x_bar`` the cotangent a node's input accumulates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_array, shape_str
from .layers import Layer
from .losses import Loss, check_loss
from .params import leaves, tree_map

__all__ = ["Tape", "Value", "Gradients", "node", "add", "subtract", "multiply", "matmul", "transpose",
           "sum", "mean", "index", "concat", "apply", "loss", "topological_order", "backward"]


class Tape:
    """The record of one computation: every value made from its leaves, in the order it was made.

    The order of making is itself a topological order (a value is made after its inputs).
    Values of two tapes cannot be combined.
    """

    def __init__(self, name: str = "tape"):
        self.name = str(name)
        self.nodes = []

    def __repr__(self) -> str:
        return f"Tape({self.name!r}, {len(self.nodes)} values)"

    def leaf(self, data, name: str | None = None) -> Value:
        """An input of the computation whose gradient :func:`backward` returns (a parameter, an input x)."""
        return Value(self, as_array(data, name or "leaf data").copy(), name=name, requires_grad=True)

    def constant(self, data, name: str | None = None) -> Value:
        """An input that is not differentiated (data, targets, a fixed mask)."""
        return Value(self, as_array(data, name or "constant data").copy(), name=name, requires_grad=False)


class Value:
    """An array on a tape and how it was made: ``op``, ``parents`` (its inputs) and ``pullback``.

    ``data`` is a float64 array of any shape (a scalar is shape ``()``). After
    :func:`backward`, a leaf's ``grad`` holds dL/d(leaf), shaped like ``data``.
    """

    __array_priority__ = 1000  # ndarray + Value uses Value.__radd__

    def __init__(self, tape, data, parents=(), pullback=None, op="leaf", name=None, requires_grad=False):
        self.tape, self.data, self.parents, self.pullback = tape, data, tuple(parents), pullback
        self.op, self.name, self.requires_grad = op, name, bool(requires_grad)
        self.grad = None
        self.freed = False
        tape.nodes.append(self)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def is_leaf(self) -> bool:
        return not self.parents

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Value({self.op}{label}, shape {shape_str(self.shape)})"

    # operators: the functions below, with numbers and arrays as constants
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __neg__(self):
        return multiply(self, -1.0)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __getitem__(self, key):
        return index(self, key)

    @property
    def T(self):
        return transpose(self)

    def sum(self, axis=None):
        return sum(self, axis)

    def mean(self, axis=None):
        return mean(self, axis)


# -- making values ---------------------------------------------------------------------------------------


def _tape_of(values, caller):
    tapes = {id(v.tape): v.tape for v in values if isinstance(v, Value)}
    if not tapes:
        raise ValueError(f"{caller} expects at least one Value of a Tape among its inputs, got none")
    if len(tapes) > 1:
        names = sorted(t.name for t in tapes.values())
        raise ValueError(f"{caller} expects values of one tape, got values of {len(tapes)} tapes {names}: "
                         f"each computation is recorded on its own tape")
    return next(iter(tapes.values()))


def _value(a, tape, caller):
    """``a`` as a Value of ``tape``: a Value as it is, an array or number as a constant."""
    if isinstance(a, Value):
        return a
    return tape.constant(as_array(a, f"{caller}'s constant input"))


def node(op: str, data, parents, pullback) -> Value:
    """A new value ``data = op(*parents)`` whose VJP is ``pullback(u) -> one cotangent per parent``.

    This is how every operation here is made, and how a new one is added: compute the
    forward result from the parents' ``data``, and give the pullback that maps the
    cotangent ``u`` (shaped like ``data``) to the cotangents of the parents (each shaped
    like that parent's data; ``None`` for a parent that needs none).
    """
    parents = tuple(parents)
    tape = _tape_of(parents, op)
    if not callable(pullback):
        raise ValueError(f"node expects a pullback function u -> cotangents of the inputs, got {pullback!r:.60}")
    data = as_array(data, f"the result of {op}")
    return Value(tape, data, parents, pullback, op, requires_grad=any(p.requires_grad for p in parents))


def _inputs(caller, *args):
    tape = _tape_of(args, caller)
    return [_value(a, tape, caller) for a in args]


def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the VJP of NumPy's broadcasting (a value used at many positions)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def _broadcast_shape(a, b, caller):
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{caller} expects shapes that broadcast, got {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}") from None


def add(a, b) -> Value:
    """a + b (broadcasting); both cotangents are u, summed over what was broadcast."""
    a, b = _inputs("add", a, b)
    _broadcast_shape(a, b, "add")
    return node("add", a.data + b.data, (a, b),
                lambda u: (_unbroadcast(u, a.shape), _unbroadcast(u, b.shape)))


def subtract(a, b) -> Value:
    """a - b (broadcasting); cotangents u and -u."""
    a, b = _inputs("subtract", a, b)
    _broadcast_shape(a, b, "subtract")
    return node("subtract", a.data - b.data, (a, b),
                lambda u: (_unbroadcast(u, a.shape), _unbroadcast(-u, b.shape)))


def multiply(a, b) -> Value:
    """a * b elementwise (broadcasting); cotangents u * b and u * a."""
    a, b = _inputs("multiply", a, b)
    _broadcast_shape(a, b, "multiply")
    return node("multiply", a.data * b.data, (a, b),
                lambda u: (_unbroadcast(u * b.data, a.shape), _unbroadcast(u * a.data, b.shape)))


def matmul(a, b) -> Value:
    """a @ b for vectors and matrices; cotangents u b^T and a^T u (eq 27 and eq 28's outer product)."""
    a, b = _inputs("matmul", a, b)
    if a.data.ndim not in (1, 2) or b.data.ndim not in (1, 2) or a.shape[-1] != b.shape[0]:
        raise ValueError(f"matmul expects (n, k) @ (k, m) (or vectors of length k), got {shape_str(a.shape)} "
                         f"@ {shape_str(b.shape)}")
    A = a.data.reshape(1, -1) if a.data.ndim == 1 else a.data
    B = b.data.reshape(-1, 1) if b.data.ndim == 1 else b.data

    def pullback(u):
        U = u.reshape(A.shape[0], B.shape[1])
        return (U @ B.T).reshape(a.shape), (A.T @ U).reshape(b.shape)

    return node("matmul", a.data @ b.data, (a, b), pullback)


def transpose(a) -> Value:
    """a^T (axes reversed); the cotangent is u^T."""
    (a,) = _inputs("transpose", a)
    return node("transpose", a.data.T, (a,), lambda u: (u.T,))


def _axis(axis, ndim, caller):
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"{caller} expects axis None or an integer in [-{ndim}, {ndim}), got {axis!r}")
    return int(axis) % ndim


def sum(a, axis=None) -> Value:  # noqa: A001 - the operation's name
    """The sum over ``axis`` (all entries by default); the cotangent is u copied back to every entry."""
    (a,) = _inputs("sum", a)
    axis = _axis(axis, a.data.ndim, "sum")

    def pullback(u):
        u = u if axis is None else np.expand_dims(u, axis)
        return (np.broadcast_to(u, a.shape).copy(),)

    return node("sum", a.data.sum(axis=axis), (a,), pullback)


def mean(a, axis=None) -> Value:
    """The mean over ``axis`` (all entries by default); the cotangent is u / n at every entry."""
    (a,) = _inputs("mean", a)
    axis = _axis(axis, a.data.ndim, "mean")
    if a.data.size == 0:
        raise ValueError("mean expects at least one entry, got an empty array")
    n = a.data.size if axis is None else a.shape[axis]

    def pullback(u):
        u = u if axis is None else np.expand_dims(u, axis)
        return (np.broadcast_to(u / n, a.shape).copy(),)

    return node("mean", a.data.mean(axis=axis), (a,), pullback)


def index(a, key) -> Value:
    """``a[key]`` (integers, slices, integer arrays); the cotangent adds u back where it was read from.

    An entry read twice (``a[[0, 0]]``) is used twice: its cotangent is the sum of both.
    """
    (a,) = _inputs("index", a)
    try:
        data = a.data[key]
    except (IndexError, TypeError) as error:
        raise ValueError(f"index expects a key that indexes an array of shape {shape_str(a.shape)}, "
                         f"got {key!r:.60} ({error})") from None

    def pullback(u):
        x_bar = np.zeros(a.shape)
        np.add.at(x_bar, key, u)
        return (x_bar,)

    return node("index", data, (a,), pullback)


def concat(values, axis: int = 0) -> Value:
    """The values joined along ``axis``; each gets its own slice of the cotangent back."""
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"concat expects a non-empty list of values, got {values!r:.60}")
    values = _inputs("concat", *values)
    ndim = values[0].data.ndim
    if ndim == 0:
        raise ValueError("concat expects arrays of at least one axis, got scalars")
    axis = _axis(axis, ndim, "concat")
    shapes = [v.shape for v in values]
    if any(len(s) != ndim or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
        raise ValueError(f"concat expects shapes equal but along axis {axis}, got {[shape_str(s) for s in shapes]}")
    cuts = np.cumsum([s[axis] for s in shapes])[:-1]
    return node("concat", np.concatenate([v.data for v in values], axis=axis), values,
                lambda u: tuple(np.split(u, cuts, axis=axis)))


def apply(layer: Layer, x, theta=None) -> Value:
    """``layer(x, theta)`` as one node; x and the entries of ``theta`` (a parameter tree) may be Values.

    Its pullback is the layer's own VJP: the input part goes to x, the parameter part to
    the parameters that are Values. A parameter used by two layers gets both parts.
    """
    if not isinstance(layer, Layer):
        raise ValueError(f"apply expects a lecture_code Layer, got {type(layer).__name__}")
    theta = {} if theta is None else theta
    named = [(name, v) for name, v in leaves(theta) if isinstance(v, Value)]
    tape = _tape_of([x] + [v for _, v in named], "apply")
    x = _value(x, tape, "apply")
    data = layer._check_theta(tree_map(lambda v: v.data if isinstance(v, Value) else v, theta))
    x_data = layer._check_x(x.data)
    y, pull = layer._forward_vjp(x_data, data)

    def pullback(u):
        x_bar, theta_bar = pull(u)
        by_name = dict(leaves(theta_bar))
        return (x_bar, *(by_name[name] for name, _ in named))

    out = node(type(layer).__name__, y, (x, *(v for _, v in named)), pullback)
    out.layer = layer
    return out


def loss(loss_fn: Loss, y_hat, y) -> Value:
    """The scalar ``loss_fn(y_hat, y)`` (mean over the batch); the targets y are not differentiated."""
    check_loss(loss_fn, "loss")
    (y_hat,) = _inputs("loss", y_hat)
    value, grad = loss_fn(y_hat.data, y)
    return node(loss_fn.name, np.asarray(value), (y_hat,), lambda u: (u * grad,))


# -- differentiating -------------------------------------------------------------------------------------


def topological_order(output: Value) -> list:
    """Every value ``output`` depends on, each after all of its inputs (depth-first, inputs first).

    Reversed, it visits every consumer of a value before the value itself (eq 9.2).
    """
    if not isinstance(output, Value):
        raise ValueError(f"topological_order expects a Value, got {type(output).__name__}")
    order, seen, stack = [], set(), [(output, False)]
    while stack:  # an explicit stack: deep graphs do not hit Python's recursion limit
        value, expanded = stack.pop()
        if expanded:
            order.append(value)
        elif id(value) not in seen:
            seen.add(id(value))
            stack.append((value, True))
            stack.extend((p, False) for p in reversed(value.parents) if id(p) not in seen)
    return order


@dataclass
class Gradients:
    """What :func:`backward` computed: ``grads[leaf]`` is dL/d(leaf) for every leaf reached.

    ``cotangents[v]`` is the total cotangent that arrived at value v (the sum of eq 9.1), and
    ``edges`` lists every cotangent sent, ``(consumer, input, cotangent)``, in the order sent.
    """

    leaves: dict
    cotangents: dict
    edges: list = field(default_factory=list)

    def __getitem__(self, value):
        if value not in self.leaves:
            raise ValueError(f"no gradient for {value!r}: it is not a leaf that the output depends on")
        return self.leaves[value]

    def __contains__(self, value):
        return value in self.leaves


def backward(output: Value, u=None, *, retain_graph: bool = False) -> Gradients:
    """Reverse mode from ``output``: the gradient of every leaf it depends on; also stored as ``leaf.grad``.

    ``u`` is the cotangent of ``output`` (default 1 for a scalar output; required otherwise).
    The values are visited in reverse topological order; each sends ``pullback(u)`` to its
    inputs, and an input used by several values **adds** what it receives (eq 9.1). With
    ``retain_graph=False`` the pullbacks (and the arrays they keep for the backward pass) are
    freed afterwards, as PyTorch does; a second ``backward`` through them is then an error.
    """
    if not isinstance(output, Value):
        raise ValueError(f"backward expects a Value, got {type(output).__name__}")
    if u is None:
        if output.data.size != 1:
            raise ValueError(f"backward from an output of shape {shape_str(output.shape)} expects its cotangent u "
                             f"of that shape (only a scalar output has the default u = 1)")
        u = np.ones_like(output.data)
    else:
        u = as_array(u, "u")
        if u.shape != output.shape:
            raise ValueError(f"backward expects u shaped like the output {shape_str(output.shape)}, "
                             f"got {shape_str(u.shape)}")
    order = topological_order(output)
    freed = [v for v in order if v.freed]
    if freed:
        raise ValueError(f"backward through {freed[0]!r}, whose graph an earlier backward freed: "
                         f"pass retain_graph=True to the first backward to differentiate a graph twice")
    cotangents, edges = {output: u}, []
    for value in reversed(order):
        if value.is_leaf or value not in cotangents or not value.requires_grad:
            continue
        sent = value.pullback(cotangents[value])
        for parent, c in zip(value.parents, sent):
            if c is None or not parent.requires_grad:
                continue
            edges.append((value, parent, c))
            # eq 9.1: a value used more than once adds the cotangents of all its consumers
            cotangents[parent] = cotangents[parent] + c if parent in cotangents else c
    grads = {}
    for value in order:
        if value.is_leaf and value.requires_grad:
            value.grad = np.array(cotangents.get(value, np.zeros_like(value.data)))  # a copy of its own
            grads[value] = value.grad
    if not retain_graph:
        for value in order:
            if not value.is_leaf:
                value.pullback, value.freed = None, True
    return Gradients(grads, cotangents, edges)
