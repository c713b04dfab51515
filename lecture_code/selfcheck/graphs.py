"""Chapter 9 self-checks: backprop by hand through a fan-out, a new operation's VJP, an engine that adds.

Exercise 1's graph (leaves x = FANOUT_X, w = FANOUT_W)::

    a = x * w,   b = 2 * a,   c = a + 1,   L = b * c

``a`` feeds both ``b`` and ``c``: its cotangent is the sum of what the two send back (eq 9.1).
"""

from __future__ import annotations

import numpy as np

from .. import graph as G
from .. import layers as _layers
from .._validate import one_of
from ..numerical import numerical_jacobian
from ._report import call, report as _report, require_callable

__all__ = ["fanout_by_hand", "new_operation", "backward_function", "FANOUT_X", "FANOUT_W", "OPERATIONS"]

FANOUT_X = 3.0  #: exercise 1: the leaf x ...
FANOUT_W = 0.5  #: ... and the leaf w


# -- exercise 1: one fan-out by hand -------------------------------------------------------------------------

def _as_number(answer):
    """``answer`` (a number, a one-entry array, a tensor) as a float, or ``(None, hint)``."""
    if hasattr(answer, "detach"):  # a torch tensor, on any device
        answer = answer.detach().cpu().numpy()
    if isinstance(answer, (str, bytes)):
        return None, f"give dL/dw as a number (or a one-entry array), got {type(answer).__name__}"
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"give dL/dw as a number (or a one-entry array), got {type(answer).__name__}"
    if a.size != 1:
        return None, f"dL/dw is one number, since w is a scalar: got an array of shape {a.shape}"
    if not np.isfinite(a).all():
        return None, "dL/dw is a finite number: got nan or inf"
    return float(a.reshape(())), None


def _fanout_parts(x=FANOUT_X, w=FANOUT_W):
    """The numbers of exercise 1's sweep: a, b, c, what b and c send to a, and the gradients."""
    a = x * w
    b, c = 2 * a, a + 1
    from_b, from_c = 2 * c, b  # L = b c: b_bar = c, then b = 2 a sends 2 b_bar; c = a + 1 sends c_bar = b
    a_bar = from_b + from_c
    return dict(a=a, b=b, c=c, from_b=from_b, from_c=from_c, a_bar=a_bar, w_bar=a_bar * x, x_bar=a_bar * w)


def fanout_by_hand(answer) -> bool:
    """Is ``answer`` dL/dw for exercise 1's graph: a = x w, b = 2 a, c = a + 1, L = b c?

    x = FANOUT_X, w = FANOUT_W. The answer is a number (a float, a one-entry array or
    tensor). ``a`` feeds two values, so its cotangent is the sum of the two (eq 9.1).
    """
    value, hint = _as_number(answer)
    if hint is not None:
        return _report(False, "", hint)
    n = _fanout_parts()

    def near(target):
        return abs(value - target) <= 1e-9 * max(1.0, abs(target))

    if near(n["w_bar"]):
        return _report(True, f"dL/dw = (a_bar from b + a_bar from c) x = ({n['from_b']:g} + {n['from_c']:g}) "
                             f"* {FANOUT_X:g} = {n['w_bar']:g}: the two paths through a add up", "")
    if near(-n["w_bar"]):
        hint = "the sign is flipped: every factor here is positive"
    elif near(n["from_b"] * FANOUT_X):
        hint = (f"you kept only the path through b = 2a; a also feeds c = a + 1, which sends back "
                f"{n['from_c']:g}: add both cotangents at a (eq 9.1)")
    elif near(n["from_c"] * FANOUT_X):
        hint = (f"you kept only the path through c = a + 1; a also feeds b = 2a, which sends back "
                f"{n['from_b']:g}: add both cotangents at a (eq 9.1)")
    elif near(n["from_b"] * n["from_c"] * FANOUT_X):
        hint = "you multiplied the two paths' cotangents: the contributions of two paths add (eq 9.1)"
    elif near((n["c"] + n["b"]) * FANOUT_X):
        hint = "the path through b = 2a carries a factor 2: b sends 2 b_bar = 2c back to a, not c"
    elif near(n["a_bar"]):
        hint = f"{value:g} is dL/da; one more step: a = x w, so dL/dw = dL/da * x"
    elif near(n["x_bar"]):
        hint = f"{value:g} is dL/dx = dL/da * w; for dL/dw multiply dL/da by x instead"
    else:
        hint = ("go back from L = b c: b_bar = c and c_bar = b; then a_bar = 2 b_bar + c_bar (two consumers); "
                "then dL/dw = a_bar * x")
    return _report(False, "", hint)


# -- exercise 2: a new operation and its VJP ------------------------------------------------------------------

OPERATIONS = {  # name: (function, derivative), the function applied entry by entry
    "exp": (np.exp, np.exp),
    "square": (np.square, lambda a: 2.0 * a),
    "sin": (np.sin, np.cos),
}


def _probe(op_fn, name):
    """Call the student's op once on a fresh leaf; ``(hint or None)`` about its result and its pullback."""
    phi, dphi = OPERATIONS[name]
    rng = np.random.default_rng(20)
    a_data = rng.uniform(-1.0, 1.0, size=(2, 3))
    tape = G.Tape("probe")
    a = tape.leaf(a_data, "a")
    y, hint = call(op_fn, (a,), "op_fn(a)")
    if hint is not None:
        return hint
    if not isinstance(y, G.Value):
        return (f"op_fn should return a Value, made by lc.graph.node(\"{name}\", y, (a,), pullback), "
                f"got {type(y).__name__}")
    if len(y.parents) != 1 or y.parents[0] is not a:
        return f"the new value's parents should be (a,), the one input, got {len(y.parents)} parents"
    if y.data.shape != a_data.shape or not np.allclose(y.data, phi(a_data), rtol=1e-12, atol=1e-14):
        return f"the forward value is wrong: {name}(a) entry by entry, computed from a.data"
    u = rng.normal(size=a_data.shape)
    u_seen = u.copy()
    sent, hint = call(y.pullback, (u_seen,), "the pullback(u)")
    if hint is not None:
        return hint
    if not np.array_equal(u_seen, u):
        return "the pullback changed u in place (u *= ...): return a new array, such as u * y"
    if isinstance(sent, np.ndarray) or not isinstance(sent, (tuple, list)):
        return ("the pullback returns one cotangent per parent, as a tuple: (a_bar,), with the comma; "
                f"got {type(sent).__name__}")
    if len(sent) != 1:
        return f"the pullback returns one cotangent per parent, (a_bar,): got {len(sent)} of them"
    if isinstance(sent[0], G.Value):
        return "the pullback works on arrays: use a.data (or the forward result y), not the Value a"
    try:
        got = np.asarray(sent[0], dtype=np.float64)
    except (TypeError, ValueError):
        return f"the pullback's cotangent should be an array shaped like a, got {type(sent[0]).__name__}"
    right = dphi(a_data) * u
    if got.shape != a_data.shape:
        return f"a_bar should be shaped like a, {a_data.shape}, got {got.shape}"
    if np.allclose(got, right, rtol=1e-10, atol=1e-12):
        return None
    if np.allclose(got, dphi(a_data), rtol=1e-10, atol=1e-12):
        return f"the pullback returns the derivative alone: multiply it by the cotangent u, (u * {name}'(a),)"
    if np.allclose(got, u, rtol=1e-10, atol=1e-12):
        return f"the pullback passes u through unchanged: it should be u * {name}'(a)"
    if name == "square" and np.allclose(got, a_data * u, rtol=1e-10, atol=1e-12):
        return "d(a^2)/da = 2a: the factor 2 is missing"
    if name != "exp" and np.allclose(got, phi(a_data) * u, rtol=1e-10, atol=1e-12):
        return f"the pullback multiplies u by {name}(a) itself: it needs the derivative"
    return f"the pullback should return (u * {name}'(a),), the VJP of an elementwise function"


def _program(op, p, q, c1, c2):
    """Exercise 2's test graph: p feeds two values, op's result two more, and q is broadcast."""
    z = p * q + p
    y = op(z * 0.5)
    y2 = op(q * 1.0)
    return (y * c1).sum() + (y * y2).mean() + (y2 * c2).sum()


def new_operation(op_fn, name: str = "exp") -> bool:
    """Does ``op_fn(a) -> Value`` compute ``name`` (``"exp"``, ``"square"``, ``"sin"``) with a right VJP?

    ``op_fn`` takes a :class:`lecture_code.graph.Value` ``a`` and returns
    ``lc.graph.node(name, y, (a,), pullback)`` with ``y`` the function of ``a.data`` entry by entry,
    and ``pullback(u) -> (u * f'(a),)``. Checked alone, then inside random graphs (fan-out into
    and out of the new operation, broadcasting) against central differences.
    """
    one_of(name, sorted(OPERATIONS), "new_operation", "name")
    require_callable(op_fn, "new_operation", "op_fn(a) -> Value for the new operation")
    hint = _probe(op_fn, name)
    if hint is not None:
        return _report(False, "", hint)
    shapes = [((3,), (3,)), ((2, 3), (1, 3)), ((), ()), ((2, 3), (2, 3))]
    for seed, (p_shape, q_shape) in enumerate(shapes):
        rng = np.random.default_rng(40 + seed)
        p, q = rng.uniform(-1, 1, size=p_shape), rng.uniform(-1, 1, size=q_shape)
        out_shape = np.broadcast_shapes(p_shape, q_shape)
        c1, c2 = rng.normal(size=out_shape), rng.normal(size=q_shape)
        tape = G.Tape("check")
        pv, qv = tape.leaf(p, "p"), tape.leaf(q, "q")
        out, hint = call(lambda: _program(op_fn, pv, qv, c1, c2), (), "your op inside a graph")
        if hint is None:
            grads, hint = call(G.backward, (out,), "lc.graph.backward on a graph with your op")
        if hint is not None:
            return _report(False, "", hint)
        phi = OPERATIONS[name][0]
        for leaf, value in ((pv, p), (qv, q)):
            def f(a, leaf=leaf):  # the same program on arrays, for central differences
                args = (a, q) if leaf is pv else (p, a)
                return np.array(_program(phi, *args, c1, c2))
            numeric = numerical_jacobian(f, value)
            got = np.asarray(grads[leaf])
            if got.shape != value.shape or not np.allclose(got, numeric, rtol=1e-6, atol=1e-8):
                return _report(False, "", f"alone the VJP is right, but inside a graph the gradient of "
                                          f"{leaf.name} {value.shape} differs from central differences: does the "
                                          f"pullback use the u it is given, and only arrays of its own node?")
    return _report(True, f"{name}'s VJP is u * {name}'(a): right alone and inside {len(shapes)} graphs with "
                         f"fan-out, broadcasting and a scalar, against central differences", "")


# -- exercise 3: an engine that adds ---------------------------------------------------------------------------

def _hand(tape):
    x, w = tape.leaf(2.0, "x"), tape.leaf(3.0, "w")
    h = x * w
    return [x, w], h * (h + w)


def _shared(tape):
    """A weight used by two Linear layers (shared weights), tanh between them."""
    rng = np.random.default_rng(30)
    lin = _layers.Linear(3, 3)
    W, b = tape.leaf(rng.normal(size=(3, 3)), "W"), tape.leaf(rng.normal(size=3), "b")
    X = tape.constant(rng.normal(size=(4, 3)), "X")
    h = G.apply(_layers.Tanh(), G.apply(lin, X, {"W": W, "b": b}))
    y = G.apply(lin, h, {"W": W, "b": b})
    return [W, b], (y * y).sum()


def _residual(tape):
    """x + f(x) twice, then a penalty on the weight: fan-out at x, at each block and at W."""
    rng = np.random.default_rng(31)
    W, x = tape.leaf(rng.normal(size=(3, 3)) * 0.5, "W"), tape.leaf(rng.normal(size=(2, 3)), "x")
    h = x + G.apply(_layers.Tanh(), x @ W)
    h = h + G.apply(_layers.Tanh(), h @ W)
    return [W, x], (h * h).sum() + (W * W).sum() * 0.1


def _shared_add(tape):
    """``t + s`` and ``s = p + q`` send the same array to both inputs; p has a second consumer, so an
    in-place ``+=`` at p changes what q holds too."""
    rng = np.random.default_rng(32)
    p, q = tape.leaf(rng.normal(size=3), "p"), tape.leaf(rng.normal(size=3), "q")
    t = p * 3.0  # made first: the reverse sweep reaches s = p + q before t
    s = p + q
    return [p, q], ((t + s) * rng.normal(size=3)).sum()


GRAPHS = [("the hand example", _hand), ("shared weights", _shared), ("two residual blocks", _residual),
          ("a sum whose inputs have other consumers", _shared_add)]


def _leaf_grads(cotangents, leaves):
    return {v: cotangents.get(v, np.zeros_like(v.data)) for v in leaves}


def _sweep(output, order, accumulate):
    """A backward sweep over ``order`` with ``accumulate(cotangents, parent, c)``: the engines a student may write."""
    cotangents = {output: np.ones_like(output.data)}
    for value in order:
        if value.is_leaf or value not in cotangents:
            continue
        for parent, c in zip(value.parents, value.pullback(cotangents[value])):
            if c is not None and parent.requires_grad:
                accumulate(cotangents, parent, c)
    return cotangents


def _overwrite(cotangents, parent, c):
    cotangents[parent] = c


def _in_place(cotangents, parent, c):
    if parent in cotangents:
        cotangents[parent] += c
    else:
        cotangents[parent] = c


def _add(cotangents, parent, c):
    cotangents[parent] = cotangents[parent] + c if parent in cotangents else c


def _breadth_first(output):
    """Pull back in the order values are first reached from the output: before all consumers have sent."""
    cotangents, queue, done = {output: np.ones_like(output.data)}, [output], set()
    while queue:
        value = queue.pop(0)
        if value in done or value.is_leaf:
            continue
        done.add(value)
        for parent, c in zip(value.parents, value.pullback(cotangents[value])):
            if c is not None and parent.requires_grad:
                _add(cotangents, parent, c)
                queue.append(parent)
    return cotangents


_MISTAKES = [
    ("overwrite", lambda out: _sweep(out, reversed(G.topological_order(out)), _overwrite),
     "a value with several consumers kept only the last cotangent it received: add them (eq 9.1), "
     "cotangents[parent] = cotangents[parent] + c if parent in cotangents else c"),
    ("in place", lambda out: _sweep(out, reversed(G.topological_order(out)), _in_place),
     "+= changes an array in place, and a pullback may send the same array to two inputs (add sends u to "
     "both): write cotangents[parent] = cotangents[parent] + c, a new array"),
    ("breadth first", _breadth_first,
     "a value was pulled back before all its consumers had sent their cotangents: visit the values in "
     "reverse topological order, reversed(lc.graph.topological_order(output)) (eq 9.2)"),
]


def _matches(result, reference, leaves):
    try:
        return all(np.allclose(np.asarray(result[v], dtype=np.float64), reference[v], rtol=1e-10, atol=1e-12)
                   and np.shape(result[v]) == np.shape(reference[v]) for v in leaves)
    except (KeyError, TypeError, ValueError):
        return False


def backward_function(backward_fn) -> bool:
    """Does ``backward_fn(output) -> {leaf: gradient}`` give the gradients ``lc.graph.backward`` gives?

    ``output`` is a scalar :class:`lecture_code.graph.Value`; the answer maps every leaf the output
    depends on to dL/d(leaf), shaped like ``leaf.data`` (other keys are allowed). Checked on
    four graphs with fan-out: the chapter's hand example, shared weights, residual blocks with
    a penalty, and a sum whose inputs are used again.
    """
    require_callable(backward_fn, "backward_function", "backward_fn(output) -> {leaf: gradient}")
    for title, build in GRAPHS:
        leaves, output = build(G.Tape("yours"))
        result, hint = call(backward_fn, (output,), "backward_fn(output)")
        if hint is not None:
            return _report(False, "", f"on {title}: {hint}")
        if not isinstance(result, dict):
            return _report(False, "", f"backward_fn should return a dict {{leaf: gradient}}, got "
                                      f"{type(result).__name__}")
        missing = [v.name for v in leaves if v not in result]
        if len(missing) == len(leaves):
            return _report(False, "", f"on {title}: no leaf got a gradient; the sweep starts at the output with "
                                      f"u = 1 and visits the values in reverse topological order, "
                                      f"reversed(lc.graph.topological_order(output)), so that it ends at the leaves")
        if missing:
            return _report(False, "", f"on {title}: no gradient for the leaf {missing[0]!r}; return one for "
                                      f"every leaf the output depends on (value.is_leaf)")
        ref_leaves, ref_output = build(G.Tape("reference"))
        reference = G.backward(ref_output)
        reference = {v: reference[r] for v, r in zip(leaves, ref_leaves)}
        if _matches(result, reference, leaves):
            continue
        wrong = [v for v in leaves if np.shape(result[v]) != v.data.shape]
        if wrong:
            return _report(False, "", f"on {title}: the gradient of {wrong[0].name!r} should have the shape of "
                                      f"its data, {wrong[0].data.shape}, got {np.shape(result[wrong[0]])}")
        for _, mistake, mistake_hint in _MISTAKES:
            m_leaves, m_output = build(G.Tape("mistake"))
            made = _leaf_grads(mistake(m_output), m_leaves)
            if _matches(result, {v: made[m] for v, m in zip(leaves, m_leaves)}, leaves):
                return _report(False, "", f"on {title}: {mistake_hint}")
        return _report(False, "", f"on {title}: the gradients differ from lc.graph.backward's; start from "
                                  f"u = 1 at the output, visit the values in reverse topological order and "
                                  f"add what each pullback sends to its parents")
    return _report(True, f"your backward adds the cotangents of every consumer, in reverse topological order: "
                         f"right on {len(GRAPHS)} graphs with fan-out", "")
