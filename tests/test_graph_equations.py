"""Chapter 9's equations as written: a residual block's Jacobian (eq 9.3) and a penalty as a second branch (eq 9.4).

Eqs 9.1, 9.2 and 9.5 are tested with the engine and the checkpointing they describe, in
test_graph.py and test_memory.py.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import graph as G
from lecture_code import torch_bridge as tb

TIGHT = dict(rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("width, activation, seed", [(1, "tanh", 0), (4, "tanh", 1), (5, "sigmoid", 2),
                                                      (3, "relu", 3)])
def test_eq9_3_a_residual_block_has_the_jacobian_identity_plus_j_f(width, activation, seed, device):
    """x + f(x) with f = Linear, activation, Linear: J = I + J_f, from the engine's VJPs and from torch.func."""
    f = lc.mlp([width, width + 2, width], activation)
    theta = f.init(seed)
    x = np.random.default_rng(seed + 10).normal(size=width)
    rows = []
    for i in range(width):  # one VJP per row (eq 14)
        tape = G.Tape()
        xv = tape.leaf(x)
        rows.append(G.backward(xv + G.apply(f, xv, theta), np.eye(width)[i])[xv])
    J = np.array(rows)
    J_f = f.jacobian(x, theta)
    assert_allclose(J, np.eye(width) + J_f, **TIGHT, err_msg="J = I + J_f")
    twin = tb.twin(f, theta, device)
    J_torch = tb.to_numpy(torch.func.jacrev(lambda t: t + twin(t))(tb.to_torch(x, device)))
    assert_allclose(J, J_torch, **TIGHT, err_msg="against torch.func.jacrev")
    assert not np.allclose(J, J_f), "the identity path is missing"


@pytest.mark.parametrize("biases", [True, False])
def test_eq9_4_a_penalty_branch_adds_its_gradient_to_the_loss_gradient(biases, device):
    """C = L + lambda J as one graph: every parameter's gradient is backprop's plus 2 lambda theta (eq 33's)."""
    lam = 0.3
    net = lc.mlp([3, 5, 4, 2], "tanh")
    thetas = net.init(4)
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    decay = lc.regularization.WeightDecay(lam, biases=biases)
    roles = lc.params.tree_map(lambda p: p.role, net.param_spec())
    tape = G.Tape()
    leaves = [{k: tape.leaf(a) for k, a in th.items()} for th in thetas]
    loss = G.loss(lc.losses.squared_error, G.apply(net, tape.constant(X), leaves), Y)
    penalized = [(p, r[k]) for th, r in zip(leaves, roles) for k, p in th.items()]
    J = sum((p * p).sum() for p, role in penalized if biases or role == "weight")
    cost = loss + J * lam
    grads = G.backward(cost)
    value, backprop = lc.backprop(net, thetas, X, Y, lc.losses.squared_error)
    by_hand = decay.grad(net, thetas)
    assert float(cost.data) == pytest.approx(value + decay.value(net, thetas), rel=1e-14)
    # PyTorch, the same cost on the twin
    twin = tb.twin(net, thetas, device)
    t_loss = tb.loss_fn(lc.losses.squared_error)(twin(tb.to_torch(X, device)), tb.to_torch(Y, device))
    named = tb.named_parameters(net, twin)
    (t_loss + lam * sum((p * p).sum() for p, role in named if biases or role == "weight")).backward()
    t_grads = tb.thetas_of(net, twin, grad=True)
    for i, th in enumerate(thetas):
        for k in th:
            expected = backprop[i][k] + by_hand[i][k]
            assert_allclose(grads[leaves[i][k]], expected, **TIGHT, err_msg=f"{i}.{k}: backprop + WeightDecay.grad")
            assert_allclose(grads[leaves[i][k]], t_grads[i][k], **TIGHT, err_msg=f"{i}.{k}: torch")
    bias = leaves[0]["b"]
    into_bias = [c for _, parent, c in grads.edges if parent is bias]
    assert len(into_bias) == (3 if biases else 1)  # the layer, and b * b twice when b is penalized
