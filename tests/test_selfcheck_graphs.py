"""Chapter 9's self-checks (lecture_code.selfcheck.graphs): right answers pass, typical mistakes get their hint."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from lecture_code import graph as G
from lecture_code import selfcheck
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck import graphs as checks


def verdict(capsys):
    return capsys.readouterr().out


# -- exercise 1: fanout_by_hand ------------------------------------------------------------------------------

def _torch_dL_dw(device):
    x = tb.to_torch(checks.FANOUT_X, device, requires_grad=True)
    w = tb.to_torch(checks.FANOUT_W, device, requires_grad=True)
    a = x * w
    (2 * a * (a + 1)).backward()
    return w.grad


def test_the_exercise_graph_by_the_engine_and_by_torch_agree_with_the_reference(device):
    tape = G.Tape()
    x, w = tape.leaf(checks.FANOUT_X, "x"), tape.leaf(checks.FANOUT_W, "w")
    a = x * w
    grads = G.backward((a * 2.0) * (a + 1.0))
    parts = checks._fanout_parts()
    assert float(grads[w]) == parts["w_bar"] == 24.0 and float(grads[x]) == parts["x_bar"] == 4.0
    assert float(_torch_dL_dw(device)) == parts["w_bar"]
    # the by-hand numbers: a feeds b and c, which send 5 and 3
    assert (parts["from_b"], parts["from_c"], parts["a_bar"]) == (5.0, 3.0, 8.0)


def test_fanout_by_hand_accepts_the_right_answer_in_any_form(capsys, device):
    tape = G.Tape()
    x, w = tape.leaf(checks.FANOUT_X), tape.leaf(checks.FANOUT_W)
    a = x * w
    engine = G.backward((a * 2.0) * (a + 1.0))[w]  # a 0-d array
    for answer in (24, 24.0, np.float64(24.0), np.array([24.0]), engine, _torch_dL_dw(device)):
        assert selfcheck.fanout_by_hand(answer), answer
        assert verdict(capsys).startswith("Correct:")


@pytest.mark.parametrize("answer, hint", [
    (15.0, "only the path through b"),
    (9.0, "only the path through c"),
    (45.0, "multiplied the two paths"),
    (16.5, "carries a factor 2"),
    (8.0, "is dL/da"),
    (4.0, "is dL/dx"),
    (-24.0, "sign is flipped"),
    (23.0, "go back from L = b c"),
    (np.ones(2), "shape (2,)"),
    ("24", "got str"),
    (np.nan, "finite"),
])
def test_fanout_by_hand_rejects_typical_mistakes_with_their_hint(answer, hint, capsys):
    assert not selfcheck.fanout_by_hand(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


# -- exercise 2: new_operation -------------------------------------------------------------------------------

def _op(name, derivative=None):
    phi, dphi = checks.OPERATIONS[name]

    def op(a):
        slope = (derivative or dphi)(a.data)
        return G.node(name, phi(a.data), (a,), lambda u: (u * slope,))

    return op


def _torch_op(name, device):
    fn = {"exp": torch.exp, "square": torch.square, "sin": torch.sin}[name]

    def op(a):
        y, pullback = torch.func.vjp(fn, tb.to_torch(a.data, device))
        return G.node(name, tb.to_numpy(y), (a,), lambda u: (tb.to_numpy(pullback(tb.to_torch(u, device))[0]),))

    return op


@pytest.mark.parametrize("name", sorted(checks.OPERATIONS))
def test_new_operation_accepts_right_answers_including_torch_func_vjp(name, capsys, device):
    assert selfcheck.new_operation(_op(name), name)
    assert selfcheck.new_operation(_torch_op(name, device), name)
    assert verdict(capsys).count("Correct:") == 2


def test_the_reference_derivatives_are_torchs(device):
    a = np.linspace(-1.0, 1.0, 7)
    for name, fn in [("exp", torch.exp), ("square", torch.square), ("sin", torch.sin)]:
        t = tb.to_torch(a, device, requires_grad=True)
        fn(t).sum().backward()
        assert_allclose(checks.OPERATIONS[name][1](a), tb.to_numpy(t.grad), rtol=1e-14, atol=0, err_msg=name)
        assert_allclose(checks.OPERATIONS[name][0](a), tb.to_numpy(fn(t)), rtol=1e-14, atol=0, err_msg=name)


def _exp_with(pullback, forward=np.exp):
    def op(a):
        y = forward(a.data)
        return G.node("exp", y, (a,), lambda u: pullback(u, a, y))
    return op


def _in_place(u, a, y):
    u *= y
    return (u,)


def _blind_to_u_in_a_graph(a):
    """Right on the first call (the probe), then it ignores u: caught only inside a graph."""
    y = np.exp(a.data)
    calls = []

    def pullback(u):
        calls.append(1)
        return (u * y,) if len(calls) == 1 and a.tape.name == "probe" else (y,)
    return G.node("exp", y, (a,), pullback)


@pytest.mark.parametrize("name, op, hint", [
    ("exp", _exp_with(lambda u, a, y: (y,)), "derivative alone"),
    ("exp", _exp_with(lambda u, a, y: (u,)), "passes u through unchanged"),
    ("exp", _exp_with(lambda u, a, y: u * y), "as a tuple"),
    ("exp", _exp_with(lambda u, a, y: (u * y, u)), "got 2 of them"),
    ("exp", _exp_with(_in_place), "changed u in place"),
    ("exp", _exp_with(lambda u, a, y: (u * a,)), "use a.data"),
    ("exp", _exp_with(lambda u, a, y: (u * y).sum(),), "as a tuple"),
    ("exp", _exp_with(lambda u, a, y: ((u * y).sum(),)), "shaped like a"),
    ("exp", _exp_with(lambda u, a, y: (u * y,), forward=lambda d: np.exp(d) + 1), "forward value is wrong"),
    ("exp", lambda a: np.exp(a.data), "should return a Value"),
    ("exp", lambda a: G.node("exp", np.exp(a.data), (a.data,), lambda u: (u,)), "raised ValueError"),
    ("exp", lambda a: G.node("exp", np.exp(a.data), (a, a), lambda u: (u, u)), "parents should be (a,)"),
    ("exp", _blind_to_u_in_a_graph, "inside a graph"),
    ("square", _op("square", derivative=lambda a: a), "factor 2 is missing"),
    ("square", _op("square", derivative=lambda a: a**2), "square(a) itself"),
    ("sin", _op("sin", derivative=lambda a: -np.cos(a)), "should return (u * sin'(a),)"),
    ("sin", _op("sin", derivative=np.sin), "sin(a) itself"),
])
def test_new_operation_rejects_typical_mistakes_with_their_hint(name, op, hint, capsys):
    assert not selfcheck.new_operation(op, name)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


def test_new_operation_refuses_an_unknown_operation_and_a_non_function():
    with pytest.raises(ValueError, match=r"new_operation expects name to be one of"):
        selfcheck.new_operation(_op("exp"), "tanh")
    with pytest.raises(ValueError, match=r"new_operation expects your function op_fn\(a\) -> Value"):
        selfcheck.new_operation("exp")


# -- exercise 3: backward_function ---------------------------------------------------------------------------

def _sweep(output, order):
    """The exercise's answer, visiting the values in ``order``: right only in reverse topological order."""
    cotangents = checks._sweep(output, order, checks._add)  # cotangents add where a value fans out
    return {v: g for v, g in cotangents.items() if v.is_leaf}


def _right_backward(output):
    return _sweep(output, reversed(G.topological_order(output)))


TORCH_OPS = {"add": torch.add, "subtract": torch.sub, "multiply": torch.mul, "matmul": torch.matmul,
             "sum": torch.sum, "Tanh": torch.tanh, "Linear": torch.nn.functional.linear}


def _torch_backward(device):
    """The recorded graph replayed in PyTorch, op by op, and differentiated by torch.autograd."""
    def backward(output):
        tensors = {}
        for v in G.topological_order(output):
            if v.is_leaf:
                tensors[v] = tb.to_torch(v.data, device, requires_grad=v.requires_grad)
            else:
                tensors[v] = TORCH_OPS[v.op](*(tensors[p] for p in v.parents))
        leaves = [v for v in tensors if v.is_leaf and v.requires_grad]
        grads = torch.autograd.grad(tensors[output], [tensors[v] for v in leaves])
        return {v: tb.to_numpy(g) for v, g in zip(leaves, grads)}
    return backward


def test_backward_function_accepts_right_answers_including_one_computed_by_torch(capsys, device):
    assert selfcheck.backward_function(_right_backward)
    assert selfcheck.backward_function(lambda out: G.backward(out).leaves)
    assert selfcheck.backward_function(_torch_backward(device))
    assert verdict(capsys).count("Correct:") == 3


def test_the_checked_graphs_have_fan_out_and_each_mistake_is_wrong_on_one():
    for title, build in checks.GRAPHS:
        _, output = build(G.Tape())
        order = G.topological_order(output)
        uses = {}
        for v in order:
            for p in v.parents:
                if p.requires_grad:
                    uses[p] = uses.get(p, 0) + 1
        assert max(uses.values()) >= 2, f"{title} has no fan-out"
    for name, mistake, _ in checks._MISTAKES:
        wrong = 0
        for _, build in checks.GRAPHS:
            leaves, output = build(G.Tape())
            made = checks._leaf_grads(mistake(output), leaves)
            ref_leaves, ref_output = build(G.Tape())
            right = G.backward(ref_output)
            wrong += not all(np.allclose(made[v], right[r]) for v, r in zip(leaves, ref_leaves))
        assert wrong >= 1, f"the {name} engine passes every graph"


def _mistake(name):
    fn = next(f for n, f, _ in checks._MISTAKES if n == name)
    return lambda out: {v: g for v, g in fn(out).items() if v.is_leaf}


def _forward_order(output):
    return _sweep(output, G.topological_order(output))  # forgot reversed(...)


def _drops_a_leaf(output):
    grads = _right_backward(output)
    grads.pop(next(iter(grads)))
    return grads


@pytest.mark.parametrize("fn, hint", [
    (_mistake("overwrite"), "kept only the last cotangent"),
    (_mistake("in place"), "+= changes an array in place"),
    (_mistake("breadth first"), "reverse topological order"),
    (_forward_order, "no leaf got a gradient"),
    (_drops_a_leaf, "no gradient for the leaf"),
    (lambda out: {v: np.sum(g) for v, g in _right_backward(out).items()}, "should have the shape of its data"),
    (lambda out: {v: 2 * g for v, g in _right_backward(out).items()}, "differ from lc.graph.backward"),
    (lambda out: list(_right_backward(out).values()), "return a dict"),
    (lambda out: out.missing, "raised AttributeError"),
])
def test_backward_function_rejects_typical_mistakes_with_their_hint(fn, hint, capsys):
    assert not selfcheck.backward_function(fn)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and hint in out, out


def test_backward_function_refuses_a_non_function():
    with pytest.raises(ValueError, match=r"backward_function expects your function backward_fn\(output\)"):
        selfcheck.backward_function({})
