"""lecture_code.graph: reverse mode over a recorded graph, against torch.autograd and finite differences.

The central tests build seeded random DAGs (random operations, fan-out and depth, shapes
with size-1 axes and broadcasting, layers with shared parameters) as a program, run the
program on the engine, in PyTorch and forward-only for central differences, and compare
the gradients of every leaf. Two broken engines (one that overwrites a cotangent instead
of adding it, one that visits a value before all its consumers) must fail the same check.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import graph as G
from lecture_code import torch_bridge as tb
from lecture_code.selfcheck.graphs import _MISTAKES

TIGHT = dict(rtol=1e-10, atol=1e-12)
FD = dict(rtol=1e-6, atol=1e-8)
LAYERS = {"Tanh": lc.Tanh(), "Sigmoid": lc.Sigmoid(), "Softmax": lc.Softmax()}


# -- a random DAG as a program ----------------------------------------------------------------------------


def random_program(seed, steps=12):
    """(leaves, program, weights): leaf arrays and instructions (op, inputs, argument) over value indices.

    Values are numbered in the order they are made; a "leaf" instruction makes leaf number
    ``argument`` (a Linear layer's new parameters appear mid-program that way). Inputs are drawn
    from all values made so far, so a value may feed several later ones (fan-out), and a Linear
    may reuse an earlier one's parameters (shared weights). The output is a weighted sum of
    every value's sum.
    """
    rng = np.random.default_rng(seed)
    shapes = [(1,), (3,), (2, 3), (3, 2), (1, 3), (2, 1), (1, 1), ()]
    leaves = [rng.normal(size=shapes[i]) for i in rng.choice(len(shapes), size=4, replace=False)]
    leaves.append(rng.normal(size=(2, 3)))  # always one matrix to build on
    program = [("leaf", (), k) for k in range(len(leaves))]
    shape = [a.shape for a in leaves]
    params = []  # (value index of W, of b) of the Linear layers made so far

    def pick(condition):
        found = [i for i, s in enumerate(shape) if condition(s)]
        return int(rng.choice(found)) if found else None

    def make_leaf(array):
        leaves.append(array)
        program.append(("leaf", (), len(leaves) - 1))
        shape.append(array.shape)
        return len(shape) - 1

    made = 0
    while made < steps:
        op = str(rng.choice(["add", "subtract", "multiply", "matmul", "transpose", "sum", "mean", "index",
                             "concat", "layer", "linear"]))
        a = pick(lambda s: True)
        if op in ("add", "subtract", "multiply"):
            b = pick(lambda s, sa=shape[a]: _broadcasts(sa, s))
            program.append((op, (a, b), None))
            new = np.broadcast_shapes(shape[a], shape[b])
        elif op == "matmul":
            a = pick(lambda s: len(s) in (1, 2))
            b = pick(lambda s, sa=shape[a]: len(s) in (1, 2) and s[0] == sa[-1])
            if b is None:
                continue
            program.append((op, (a, b), None))
            new = (np.empty(shape[a]) @ np.empty(shape[b])).shape
        elif op == "transpose":
            program.append((op, (a,), None))
            new = shape[a][::-1]
        elif op in ("sum", "mean"):
            axis = None if not shape[a] or rng.random() < 0.5 else int(rng.integers(len(shape[a])))
            program.append((op, (a,), axis))
            new = np.empty(shape[a]).sum(axis=axis).shape
        elif op == "index":
            a = pick(lambda s: len(s) >= 1)
            key = [0, 0] if rng.random() < 0.5 else slice(0, 1)  # [0, 0] reads one entry twice
            program.append((op, (a,), key))
            new = np.empty(shape[a])[key].shape
        elif op == "concat":
            a = pick(lambda s: len(s) >= 1)
            b = pick(lambda s, sa=shape[a]: len(s) == len(sa) and s[1:] == sa[1:])
            program.append((op, (a, b), 0))
            new = (shape[a][0] + shape[b][0],) + shape[a][1:]
        elif op == "layer":
            a = pick(lambda s: len(s) in (1, 2))
            program.append((op, (a,), str(rng.choice(sorted(LAYERS)))))
            new = shape[a]
        else:  # a Linear layer: new parameters, or an earlier one's (shared weights)
            a = pick(lambda s: len(s) in (1, 2))
            d = shape[a][-1]
            shared = [(w, b) for w, b in params if shape[w][1] == d]
            if shared and rng.random() < 0.6:
                w, b = shared[int(rng.integers(len(shared)))]
            else:
                m = int(rng.integers(1, 4))
                w = make_leaf(rng.normal(size=(m, d)))
                b = make_leaf(rng.normal(size=(m,)))
                params.append((w, b))
            program.append(("linear", (a, w, b), None))
            new = shape[a][:-1] + (shape[w][0],)
        shape.append(tuple(new))
        made += 1
    weights = rng.normal(size=len(shape))
    return leaves, program, weights


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def run_engine(leaves, program, weights):
    """(the leaves' Values in leaf order, the output) of the program run on the engine."""
    tape = G.Tape()
    values, leaf_values = [], {}
    for op, ins, arg in program:
        args = [values[i] for i in ins]
        if op == "leaf":
            leaf_values[arg] = tape.leaf(leaves[arg], f"leaf {arg}")
            values.append(leaf_values[arg])
        elif op in ("add", "subtract", "multiply", "matmul"):
            values.append(getattr(G, op)(*args))
        elif op == "transpose":
            values.append(args[0].T)
        elif op in ("sum", "mean"):
            values.append(getattr(G, op)(args[0], arg))
        elif op == "index":
            values.append(args[0][arg])
        elif op == "concat":
            values.append(G.concat(args, axis=arg))
        elif op == "layer":
            values.append(G.apply(LAYERS[arg], args[0]))
        else:
            x, w, b = args
            values.append(G.apply(lc.Linear(w.shape[1], w.shape[0]), x, {"W": w, "b": b}))
    total = values[0].sum() * weights[0]
    for v, c in zip(values[1:], weights[1:]):
        total = total + v.sum() * c
    return [leaf_values[k] for k in range(len(leaves))], total


def run_torch(leaves, program, weights, device):
    """The gradients of the program's leaves by torch.autograd, in leaf order."""
    tensors = [tb.to_torch(a, device, requires_grad=True) for a in leaves]
    values = []
    torch_layers = {"Tanh": torch.tanh, "Sigmoid": torch.sigmoid, "Softmax": lambda z: torch.softmax(z, dim=-1)}
    for op, ins, arg in program:
        args = [values[i] for i in ins]
        if op == "leaf":
            values.append(tensors[arg])
        elif op == "add":
            values.append(args[0] + args[1])
        elif op == "subtract":
            values.append(args[0] - args[1])
        elif op == "multiply":
            values.append(args[0] * args[1])
        elif op == "matmul":
            values.append(args[0] @ args[1])
        elif op == "transpose":
            values.append(args[0].permute(tuple(reversed(range(args[0].dim())))))
        elif op in ("sum", "mean"):
            f = torch.sum if op == "sum" else torch.mean
            values.append(f(args[0]) if arg is None else f(args[0], dim=arg))
        elif op == "index":
            values.append(args[0][arg])
        elif op == "concat":
            values.append(torch.cat(args, dim=arg))
        elif op == "layer":
            values.append(torch_layers[arg](args[0]))
        else:
            x, w, b = args
            values.append(torch.nn.functional.linear(x, w, b))
    total = sum(v.sum() * float(c) for v, c in zip(values, weights))
    total.backward()
    return [tb.to_numpy(t.grad) for t in tensors]


SEEDS = range(40)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_dags_match_torch_autograd(seed, device):
    leaves, program, weights = random_program(seed)
    leaf_values, total = run_engine(leaves, program, weights)
    grads = G.backward(total)
    for i, (ours, theirs) in enumerate(zip([grads[v] for v in leaf_values], run_torch(leaves, program, weights, device))):
        assert_allclose(ours, theirs, **TIGHT, err_msg=f"seed {seed}, leaf {i} on {device}: {program}")


@pytest.mark.parametrize("seed", SEEDS[:15])
def test_random_dags_match_finite_differences(seed):
    leaves, program, weights = random_program(seed)
    leaf_values, total = run_engine(leaves, program, weights)
    grads = G.backward(total)
    for i, leaf in enumerate(leaves):

        def f(a, i=i):
            changed = [a if j == i else b for j, b in enumerate(leaves)]
            return np.array(run_engine(changed, program, weights)[1].data)

        assert_allclose(grads[leaf_values[i]], lc.numerical_jacobian(f, leaf), **FD, err_msg=f"seed {seed}, leaf {i}")


def test_the_random_dags_have_fan_out_shared_weights_and_size_one_axes():
    fan_out = shared = ones = 0
    for seed in SEEDS:
        leaves, program, _ = random_program(seed)
        uses = np.bincount([i for _, ins, _ in program for i in ins], minlength=len(program))
        fan_out += int((uses > 1).any())
        linear_params = [ins[1] for op, ins, _ in program if op == "linear"]
        shared += int(len(linear_params) != len(set(linear_params)))
        ones += int(any(1 in a.shape or a.shape == () for a in leaves))
    assert fan_out >= 35 and shared >= 5 and ones >= 30, (fan_out, shared, ones)


# -- wrong engines fail the same check --------------------------------------------------------------------


# Two of the engines the chapter's self-check diagnoses: one overwrites instead of adding, one
# pulls a value back before all its consumers have sent. (The third, adding in place, goes wrong
# only where a pullback sends one array to two inputs: the self-check's own graphs have that.)
BROKEN = {name: engine for name, engine, _hint in _MISTAKES if name != "in place"}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_wrong_accumulation_or_order_fails_the_check(name):
    broken = BROKEN[name]
    wrong = 0
    for seed in SEEDS:
        leaves, program, weights = random_program(seed)
        leaf_values, total = run_engine(leaves, program, weights)
        bad = broken(total)
        right = G.backward(total)
        wrong += any(not np.allclose(bad.get(v, 0 * v.data), right[v], **TIGHT) for v in leaf_values)
    assert wrong >= 20, f"the broken engine passed on {len(SEEDS) - wrong} of {len(SEEDS)} graphs"


# -- what the engine promises -----------------------------------------------------------------------------


def test_a_value_used_twice_gets_the_sum_of_its_cotangents():
    tape = G.Tape()
    x, w = tape.leaf([1.0, 2.0, 3.0], "x"), tape.leaf([0.5, -1.0, 2.0], "w")
    y = x * w + w  # w feeds the product and the sum
    grads = G.backward(y.sum())
    assert_allclose(grads[w], x.data + 1, rtol=0, atol=0)
    assert_allclose(grads[x], w.data, rtol=0, atol=0)
    into_w = [c for consumer, parent, c in grads.edges if parent is w]
    assert len(into_w) == 2 and np.array_equal(into_w[0] + into_w[1], grads[w])
    assert np.array_equal(grads.cotangents[w], grads[w]) and np.array_equal(w.grad, grads[w])


def test_a_network_as_a_graph_equals_backprop_of_the_sequential():
    net = lc.mlp([4, 6, 5, 2], activation="tanh")
    thetas = net.init(0)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    value, grads = lc.backprop(net, thetas, X, Y, lc.losses.squared_error)
    tape = G.Tape()
    params = [{k: tape.leaf(a, f"{i}.{k}") for k, a in theta.items()} for i, theta in enumerate(thetas)]
    h = tape.constant(X, "X")
    for layer, theta in zip(net.layers, params):
        h = G.apply(layer, h, theta)
    L = G.loss(lc.losses.squared_error, h, Y)
    assert float(L.data) == pytest.approx(value, rel=1e-15)
    ours = G.backward(L)
    for theta, p in zip(grads, params):
        for k in theta:
            assert_allclose(ours[p[k]], theta[k], rtol=1e-13, atol=1e-15, err_msg=k)
    # the same network applied as one Sequential node gives the same gradients too
    tape2 = G.Tape()
    leaves2 = [{k: tape2.leaf(a) for k, a in theta.items()} for theta in thetas]
    L2 = G.loss(lc.losses.squared_error, G.apply(net, tape2.constant(X), leaves2), Y)
    ours2 = G.backward(L2)
    for theta, p in zip(grads, leaves2):
        for k in theta:
            assert_allclose(ours2[p[k]], theta[k], rtol=1e-13, atol=1e-15)


def test_shared_weights_get_the_sum_of_both_uses(device):
    """One Linear's W used by two layers: its gradient is the sum of the two layers' parameter parts."""
    rng = np.random.default_rng(2)
    W, b, X = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    tape = G.Tape()
    w, bias = tape.leaf(W), tape.leaf(b)
    lin = lc.Linear(3, 3)
    h = G.apply(lc.Tanh(), G.apply(lin, tape.constant(X), {"W": w, "b": bias}))
    y = G.apply(lin, h, {"W": w, "b": bias})
    grads = G.backward((y * y).mean())
    Wt, bt, Xt = (tb.to_torch(a, device, requires_grad=True) for a in (W, b, X))
    out = torch.nn.functional.linear(torch.tanh(torch.nn.functional.linear(Xt, Wt, bt)), Wt, bt)
    (out * out).mean().backward()
    assert_allclose(grads[w], tb.to_numpy(Wt.grad), **TIGHT)
    assert_allclose(grads[bias], tb.to_numpy(bt.grad), **TIGHT)
    parts = [c for consumer, parent, c in grads.edges if parent is w]
    assert len(parts) == 2 and np.allclose(parts[0] + parts[1], grads[w], **TIGHT)


def test_constants_get_no_gradient_and_unused_leaves_get_zeros():
    tape = G.Tape()
    x, unused, c = tape.leaf([1.0, 2.0]), tape.leaf([3.0]), tape.constant([4.0, 5.0])
    grads = G.backward((x * c).sum())
    assert_allclose(grads[x], [4.0, 5.0]) and c not in grads and unused not in grads
    assert unused.grad is None


def test_the_graph_is_freed_unless_retained():
    tape = G.Tape()
    x = tape.leaf([1.0, 2.0])
    y = (x * x).sum()
    first = G.backward(y, retain_graph=True)
    second = G.backward(y)  # retained: a second pass gives the same gradient
    assert_allclose(first[x], second[x]) and all(v.pullback is None for v in tape.nodes if not v.is_leaf)
    with pytest.raises(ValueError, match=r"an earlier backward freed: pass retain_graph=True"):
        G.backward(y)


def test_topological_order_puts_every_input_before_its_consumers():
    for seed in SEEDS[:10]:
        leaves, program, weights = random_program(seed)
        _, total = run_engine(leaves, program, weights)
        order = G.topological_order(total)
        position = {v: i for i, v in enumerate(order)}
        assert order[-1] is total and len(position) == len(order)
        assert all(position[p] < position[v] for v in order for p in v.parents)


def test_a_deep_graph_does_not_hit_the_recursion_limit():
    tape = G.Tape()
    x = tape.leaf([0.5])
    y = x
    for _ in range(5000):
        y = y * 1.0 + x * 0.0
    assert_allclose(G.backward(y.sum())[x], [1.0])


@pytest.mark.parametrize("op, value", [
    ("sum", lambda v: v.sum(axis=1)),
    ("mean", lambda v: v.mean(axis=0)),
    ("index", lambda v: v[[1, 1, 0]]),
    ("transpose", lambda v: v.T @ v),
    ("concat", lambda v: G.concat([v, v * 2.0], axis=1)),
    ("subtract", lambda v: 1.0 - v),
    ("negate", lambda v: -v),
    ("broadcast", lambda v: v + np.ones((4, 1, 3))),
])
def test_each_operation_against_finite_differences(op, value):
    a = np.random.default_rng(3).normal(size=(2, 3))
    U = np.random.default_rng(4).normal(size=value(G.Tape().leaf(a)).shape)
    tape = G.Tape()
    v = tape.leaf(a)
    grads = G.backward(value(v), U)
    numeric = lc.numerical_jacobian(lambda z: np.array((value(G.Tape().leaf(z)).data * U).sum()), a)
    assert_allclose(grads[v], numeric, **FD, err_msg=op)


def test_a_new_operation_is_one_node_and_its_pullback():
    def exp(a):
        y = np.exp(a.data)
        return G.node("exp", y, (a,), lambda u: (u * y,))

    tape = G.Tape()
    x = tape.leaf([0.1, -0.4])
    grads = G.backward(exp(x * 2.0).sum())
    assert_allclose(grads[x], 2 * np.exp(2 * x.data), **TIGHT)


# -- bad input --------------------------------------------------------------------------------------------


def _two_tapes():
    return G.Tape("first").leaf([1.0]) + G.Tape("second").leaf([2.0])


@pytest.mark.parametrize("call, message", [
    (lambda: G.backward(G.Tape().leaf([1.0, 2.0]) * 2.0),
     r"backward from an output of shape \(2,\) expects its cotangent u of that shape"),
    (lambda: G.backward(G.Tape().leaf([1.0, 2.0]) * 2.0, np.ones(3)), r"expects u shaped like the output \(2,\), got \(3,\)"),
    (lambda: G.backward(np.ones(2)), r"backward expects a Value, got ndarray"),
    (lambda: G.Tape().leaf(np.ones((2, 3))) + np.ones((3, 2)), r"add expects shapes that broadcast, got \(2, 3\) and \(3, 2\)"),
    (lambda: G.Tape().leaf(np.ones((2, 3))) * np.ones(2), r"multiply expects shapes that broadcast"),
    (lambda: G.Tape().leaf(np.ones((2, 3))) @ np.ones((2, 3)), r"matmul expects \(n, k\) @ \(k, m\).*got \(2, 3\) @ \(2, 3\)"),
    (_two_tapes, r"add expects values of one tape, got values of 2 tapes \['first', 'second'\]"),
    (lambda: G.add(np.ones(2), np.ones(2)), r"add expects at least one Value of a Tape"),
    (lambda: G.Tape().leaf(np.ones(3))[5], r"index expects a key that indexes an array of shape \(3,\)"),
    (lambda: G.concat([G.Tape().leaf(np.ones((2, 3)))] * 1 + [np.ones((2, 2))], axis=0),
     r"concat expects shapes equal but along axis 0"),
    (lambda: G.concat([], axis=0), r"concat expects a non-empty list of values"),
    (lambda: G.Tape().leaf(np.ones((2, 3))).sum(axis=2), r"sum expects axis None or an integer in \[-2, 2\), got 2"),
    (lambda: G.apply(np.tanh, G.Tape().leaf(np.ones(3))), r"apply expects a lecture_code Layer, got ufunc"),
    (lambda: G.apply(lc.Linear(3, 2), G.Tape().leaf(np.ones(4)), lc.Linear(3, 2).init(0)),
     r"Linear\(3 -> 2\) expects x of shape \(3,\) or \(N, 3\)"),
    (lambda: G.loss(np.square, G.Tape().leaf(np.ones(3)), np.ones(3)), r"loss expects a lecture_code loss"),
    (lambda: G.Tape().leaf([np.nan]), r"leaf data must be finite"),
    (lambda: G.node("double", np.ones(1), (G.Tape().leaf([1.0]),), "not a function"), r"node expects a pullback"),
])
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
