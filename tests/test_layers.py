"""Every layer type, Sequential and mlp: checked for consistency, against finite differences and against PyTorch."""

import numpy as np
import pytest
import torch
from cases import NAMES, flat, has_lstm, make, out_size
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb

TIGHT = dict(rtol=1e-10, atol=1e-12)  # same arithmetic, different order: only rounding may differ
FD = dict(rtol=1e-6, atol=1e-8)  # central differences with eps = 1e-6


def scaled(thetas, a):
    if isinstance(thetas, dict):
        return {k: a * v for k, v in thetas.items()}
    return [scaled(t, a) for t in thetas]


# -- consistency: jvp == J v, vjp == J^T u, <u, J v> == <J^T u, v>, three Jacobians agree --------------


@pytest.mark.parametrize("name", NAMES)
def test_products_agree_with_the_dense_jacobian(name):
    layer, theta, x = make(name)
    rng = np.random.default_rng(1)
    m, d = out_size(layer, x), x.shape[0]
    v, u = rng.normal(size=d), rng.normal(size=m)
    J = layer.jacobian(x, theta)
    assert J.shape == (m, d)
    Jv = layer.jvp(x, theta, v)
    uJ, _ = layer.vjp(x, theta, u)
    assert_allclose(Jv, J @ v, **TIGHT, err_msg=f"{name}: jvp != J v")
    assert_allclose(uJ, J.T @ u, **TIGHT, err_msg=f"{name}: vjp != J^T u")
    assert np.isclose(u @ Jv, uJ @ v, rtol=1e-12, atol=1e-13), f"{name}: <u, Jv> != <J^T u, v>"
    assert_allclose(lc.jacobian_via_jvps(layer, x, theta), J, **TIGHT, err_msg=f"{name}: D JVPs")
    assert_allclose(lc.jacobian_via_vjps(layer, x, theta), J, **TIGHT, err_msg=f"{name}: M VJPs")


@pytest.mark.parametrize("name", NAMES)
def test_a_batch_is_its_examples_side_by_side(name):
    layer, theta, X = make(name, batch=3)
    rng = np.random.default_rng(2)
    V, U = rng.normal(size=X.shape), rng.normal(size=(3, out_size(layer, X)))
    Y, JV, J = layer.forward(X, theta), layer.jvp(X, theta, V), layer.jacobian(X, theta)
    UJ, grads = layer.vjp(X, theta, U)
    summed = 0
    for n in range(3):
        assert_allclose(Y[n], layer.forward(X[n], theta), **TIGHT)
        assert_allclose(JV[n], layer.jvp(X[n], theta, V[n]), **TIGHT)
        assert_allclose(J[n], layer.jacobian(X[n], theta), **TIGHT)
        uj, g = layer.vjp(X[n], theta, U[n])
        assert_allclose(UJ[n], uj, **TIGHT)
        summed = summed + flat(g)
    assert_allclose(flat(grads), summed, **TIGHT, err_msg=f"{name}: parameter VJP must sum over the batch")


@pytest.mark.parametrize("name", NAMES)
def test_a_stack_of_tangents_at_one_point(name):
    layer, theta, x = make(name)
    rng = np.random.default_rng(3)
    V, U = rng.normal(size=(4, x.shape[0])), rng.normal(size=(4, out_size(layer, x)))
    JV = layer.jvp(x, theta, V)
    UJ, grads = layer.vjp(x, theta, U)
    assert_allclose(JV, np.stack([layer.jvp(x, theta, v) for v in V]), **TIGHT)
    assert_allclose(UJ, np.stack([layer.vjp(x, theta, u)[0] for u in U]), **TIGHT)
    assert_allclose(flat(grads), sum(flat(layer.vjp(x, theta, u)[1]) for u in U), **TIGHT)


# -- against central finite differences -------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_jacobian_matches_finite_differences(name):
    layer, theta, x = make(name, seed=4)
    numeric = lc.numerical_jacobian(lambda z: layer.forward(z, theta), x)
    assert_allclose(layer.jacobian(x, theta), numeric, **FD, err_msg=f"{name}: dense Jacobian")


@pytest.mark.parametrize("name", NAMES)
def test_parameter_vjp_matches_finite_differences(name):
    layer, theta, X = make(name, seed=5, batch=2)
    U = np.random.default_rng(6).normal(size=(2, out_size(layer, X)))
    _, grads = layer.vjp(X, theta, U)
    numeric = []
    for path, array in _arrays(theta):
        def g(a, path=path):
            return np.sum(U * layer.forward(X, _replace(theta, path, a)))
        numeric.append(np.ravel(lc.numerical_jacobian(g, array)))
    if not numeric:  # a layer without parameters has no parameter cotangent
        assert flat(grads).size == 0
        return
    ours = np.concatenate([np.ravel(a) for _, a in _arrays(grads)])
    assert_allclose(ours, np.concatenate(numeric), **FD, err_msg=f"{name}: u^T df/dtheta")


def _arrays(theta, path=()):
    if isinstance(theta, dict):
        return [(path + (k,), theta[k]) for k in sorted(theta)]
    return [item for i, t in enumerate(theta) for item in _arrays(t, path + (i,))]


def _replace(theta, path, value):
    if not path:
        return value
    if isinstance(theta, dict):
        return {**theta, path[0]: _replace(theta[path[0]], path[1:], value)}
    return [(_replace(t, path[1:], value) if i == path[0] else t) for i, t in enumerate(theta)]


# -- against PyTorch, on every available device ------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_func(name, device):
    layer, theta, x = make(name, seed=7)
    rng = np.random.default_rng(8)
    v, u = rng.normal(size=x.shape[0]), rng.normal(size=out_size(layer, x))
    module = tb.twin(layer, theta, device)
    xt, vt, ut = (tb.to_torch(a, device) for a in (x, v, u))

    assert_allclose(tb.to_numpy(module(xt)), layer.forward(x, theta), **TIGHT, err_msg="forward")
    J = layer.jacobian(x, theta)
    if device == "cuda" and has_lstm(layer):  # autograd only: see cases.has_lstm
        assert_allclose(tb.to_numpy(torch.autograd.functional.jacobian(module, xt)), J, **TIGHT, err_msg="jacobian")
        xg = xt.clone().requires_grad_()
        (module(xg) * ut).sum().backward()
        assert_allclose(tb.to_numpy(xg.grad), layer.vjp(x, theta, u)[0], **TIGHT, err_msg="autograd, input")
        assert_allclose(flat(tb.thetas_of(layer, module, grad=True)), flat(layer.vjp(x, theta, u)[1]), **TIGHT,
                        err_msg="autograd, parameters")
        return
    assert_allclose(tb.to_numpy(torch.func.jacrev(module)(xt)), J, **TIGHT, err_msg="jacrev")
    assert_allclose(tb.to_numpy(torch.func.jacfwd(module)(xt)), J, **TIGHT, err_msg="jacfwd")
    assert_allclose(tb.to_numpy(torch.autograd.functional.jacobian(module, xt)), J, **TIGHT,
                    err_msg="autograd.functional.jacobian")
    jac_rev = tb.to_numpy(torch.func.jacrev(module)(xt))
    assert_allclose(lc.jacobian_via_vjps(layer, x, theta), jac_rev, **TIGHT, err_msg="M VJPs vs jacrev")
    assert_allclose(lc.jacobian_via_jvps(layer, x, theta), jac_rev, **TIGHT, err_msg="D JVPs vs jacrev")
    _, jv = torch.func.jvp(module, (xt,), (vt,))
    assert_allclose(tb.to_numpy(jv), layer.jvp(x, theta, v), **TIGHT, err_msg="torch.func.jvp")

    # the VJP wrt the input and every parameter at once, through functional_call
    params = {k: p.detach() for k, p in module.named_parameters()}
    _, pullback = torch.func.vjp(lambda xx, pp: torch.func.functional_call(module, pp, (xx,)), xt, params)
    ux, uparams = pullback(ut)
    ours_x, ours_theta = layer.vjp(x, theta, u)
    assert_allclose(tb.to_numpy(ux), ours_x, **TIGHT, err_msg="torch.func.vjp, input")
    module.zero_grad()
    for p, g in zip(module.parameters(), uparams.values()):
        p.grad = g
    if params:
        assert_allclose(flat(tb.thetas_of(layer, module, grad=True)), flat(ours_theta), **TIGHT,
                        err_msg="torch.func.vjp, parameters")


@pytest.mark.parametrize("name", NAMES)
def test_batch_vjp_matches_torch_autograd(name, device):
    layer, theta, X = make(name, seed=9, batch=5)
    U = np.random.default_rng(10).normal(size=(5, out_size(layer, X)))
    module = tb.twin(layer, theta, device)
    Xt = tb.to_torch(X, device, requires_grad=True)
    (module(Xt) * tb.to_torch(U, device)).sum().backward()
    UJ, grads = layer.vjp(X, theta, U)
    assert_allclose(tb.to_numpy(Xt.grad), UJ, **TIGHT, err_msg="input cotangents")
    if any(True for _ in module.parameters()):
        assert_allclose(flat(tb.thetas_of(layer, module, grad=True)), flat(grads), **TIGHT,
                        err_msg="parameter cotangents summed over the batch")


def test_a_wrong_derivative_fails_these_checks():
    """The tolerances above are tight enough to catch a missing factor: a ReLU that lets x <= 0 through a little."""

    class LeakyByMistake(lc.ReLU):
        def _dphi(self, x):
            return np.where(x > 0, 1.0, 0.01)

    x = np.random.default_rng(11).normal(size=6)
    numeric = lc.numerical_jacobian(lambda z: LeakyByMistake().forward(z), x)
    with pytest.raises(AssertionError):
        assert_allclose(LeakyByMistake().jacobian(x), numeric, **FD)


def test_stable_activations_at_extreme_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = lc.Sigmoid().forward(x)
        assert_allclose(s, [0.0, np.exp(-50) / (1 + np.exp(-50)), 0.5, 1 / (1 + np.exp(-50)), 1.0], rtol=1e-15)
        assert np.isfinite(lc.Sigmoid().jacobian(x)).all()
        p = lc.Softmax().forward(x)
        assert_allclose(p, [0, 0, 0, 0, 1], atol=1e-300)
        assert np.isfinite(lc.Softmax().jacobian(x)).all()
        assert_allclose(lc.Softmax().forward(np.array([1000.0, 1000.0])), [0.5, 0.5])


def test_softmax_is_invariant_to_a_shift_and_sums_to_one():
    a = np.random.default_rng(12).normal(size=(3, 5))
    p = lc.Softmax().forward(a)
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert_allclose(lc.Softmax().forward(a + 100.0), p, rtol=1e-13)
    # J 1 = 0: shifting every logit equally changes nothing
    assert_allclose(lc.Softmax().jacobian(a[0]) @ np.ones(5), 0.0, atol=1e-16)


def test_relu_derivative_at_zero_is_zero_as_in_torch():
    x = np.array([-1.0, 0.0, 2.0])
    assert_allclose(np.diag(lc.ReLU().jacobian(x)), [0.0, 0.0, 1.0])
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).sum().backward()
    assert_allclose(xt.grad.numpy(), [0.0, 0.0, 1.0])


def test_linear_parameter_vjp_is_the_outer_product():
    """eq 28: u^T d(Wx)/dW is the matrix u x^T."""
    layer = lc.Linear(3, 2)
    theta = layer.init(0)
    x, u = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0])
    _, g = layer.vjp(x, theta, u)
    assert_allclose(g["W"], np.outer(u, x), rtol=0, atol=0)
    assert_allclose(g["b"], u, rtol=0, atol=0)


def test_init_is_seeded_and_small():
    layer = lc.Linear(16, 4)
    a, b = layer.init(3), layer.init(np.random.default_rng(3))
    assert_allclose(a["W"], b["W"], rtol=0, atol=0)
    assert np.abs(a["W"]).max() <= 0.25 and np.abs(a["b"]).max() <= 0.25
    assert not np.allclose(layer.init(4)["W"], a["W"])
    assert lc.ReLU().init(0) == {}
