"""lecture_code.curvature: Hessian-vector products against torch.func, autograd and finite differences."""

import numpy as np
import pytest
import torch
from cases import chapter1_net
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import curvature as cv
from lecture_code import params
from lecture_code import torch_bridge as tb

L = lc.losses
TIGHT = dict(rtol=1e-10, atol=1e-12)

# name -> (network factory, loss, kind of targets)
CASES = {
    "tanh MLP, squared error": (lambda: lc.mlp([4, 6, 3], "tanh"), L.squared_error, "regression"),
    "sigmoid MLP, cross-entropy": (lambda: lc.mlp([4, 5, 3], "sigmoid"), L.softmax_cross_entropy, "labels"),
    "ReLU MLP, Huber": (lambda: lc.mlp([4, 6, 2], "relu"), L.huber(0.5), "regression"),
    "softmax output, squared error": (lambda: lc.mlp([3, 4, 3], "tanh", output_activation="softmax"),
                                      L.squared_error, "regression"),
    "nested f4 o f3 o f2 o f1": (chapter1_net, L.squared_error, "regression"),
    "linear model": (lambda: lc.mlp([4, 1]), L.squared_error, "regression"),
    "identity and a fixed dropout mask": (
        lambda: lc.Sequential([lc.Linear(4, 5), lc.Tanh(), lc.Dropout(0.5, mask=np.tile([2.0, 0, 2, 2, 0], (6, 1))),
                               lc.Identity(), lc.Linear(5, 2)]), L.squared_error, "regression"),
}


def setup(name, seed=0, n=6):
    make, loss, kind = CASES[name]
    net = make()
    thetas = net.init(seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.normal(size=(n, net.d_in))
    m = net.output_size(net.d_in)
    Y = rng.integers(0, m, size=n) if kind == "labels" else rng.normal(size=(n, m))
    v = params.tree_map(lambda a: rng.normal(size=np.shape(a)), thetas)
    return net, thetas, X, Y, loss, v


def objective_of(loss):
    """The loss in PyTorch; Huber written out, since F.huber_loss has no forward-mode derivative."""
    if isinstance(loss, L.Huber):
        def huber(y_hat, y):
            d = (y_hat - y).abs()
            per = torch.where(d <= loss.delta, 0.5 * d**2, loss.delta * (d - 0.5 * loss.delta))
            return per.sum() / y_hat.shape[0]
        return huber
    return tb.loss_fn(loss)


def torch_loss_of_parameters(net, thetas, X, Y, loss, device):
    """(f, flat0): f(flat parameters) -> the same mean loss in PyTorch, and the parameters as one tensor."""
    module = tb.twin(net, thetas, device)
    ordered = [t for t, _ in tb.named_parameters(net, module)]
    names = {id(p): name for name, p in module.named_parameters()}
    keys = [names[id(t)] for t in ordered]
    shapes = [t.shape for t in ordered]
    sizes = [t.numel() for t in ordered]
    Xt = tb.to_torch(X, device)
    Yt = torch.as_tensor(np.asarray(Y), device=device)
    Yt = Yt.to(torch.float64) if Yt.is_floating_point() else Yt
    objective = objective_of(loss)

    def f(flat):
        pieces = torch.split(flat, sizes)
        weights = {k: p.reshape(s) for k, p, s in zip(keys, pieces, shapes)}
        return objective(torch.func.functional_call(module, weights, (Xt,)), Yt)

    return f, tb.to_torch(params.flatten(thetas), device)


@pytest.mark.parametrize("name", list(CASES))
def test_hvp_equals_torch_func_autograd_and_the_hessian(name, device):
    net, thetas, X, Y, loss, v = setup(name)
    ours = params.flatten(cv.hvp(net, thetas, X, Y, loss, v))
    f, flat = torch_loss_of_parameters(net, thetas, X, Y, loss, device)
    vt = tb.to_torch(params.flatten(v), device)
    fwd_over_rev = tb.to_numpy(torch.func.jvp(torch.func.grad(f), (flat,), (vt,))[1])
    autograd = tb.to_numpy(torch.autograd.functional.hvp(f, flat, vt)[1])
    H_torch = tb.to_numpy(torch.func.hessian(f)(flat))
    assert_allclose(ours, fwd_over_rev, **TIGHT, err_msg=f"{name}: vs jvp(grad(f)) on {device}")
    assert_allclose(ours, autograd, **TIGHT, err_msg=f"{name}: vs autograd.functional.hvp on {device}")
    assert_allclose(cv.hessian(net, thetas, X, Y, loss), H_torch, **TIGHT, err_msg=f"{name}: vs torch.func.hessian")


@pytest.mark.parametrize("name", list(CASES))
def test_hvp_equals_central_differences_of_the_gradient(name):
    net, thetas, X, Y, loss, v = setup(name, seed=3)
    eps = 1e-5
    plus = lc.backprop(net, params.tree_map(lambda a, b: a + eps * b, thetas, v), X, Y, loss)[1]
    minus = lc.backprop(net, params.tree_map(lambda a, b: a - eps * b, thetas, v), X, Y, loss)[1]
    numeric = (params.flatten(plus) - params.flatten(minus)) / (2 * eps)
    assert_allclose(params.flatten(cv.hvp(net, thetas, X, Y, loss, v)), numeric, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", list(CASES))
def test_the_hessian_is_symmetric(name):
    net, thetas, X, Y, loss, a = setup(name, seed=4)
    b = params.tree_map(lambda t: np.random.default_rng(9).normal(size=np.shape(t)), thetas)
    Ha, Hb = cv.hvp(net, thetas, X, Y, loss, a), cv.hvp(net, thetas, X, Y, loss, b)
    assert params.flatten(a) @ params.flatten(Hb) == pytest.approx(params.flatten(b) @ params.flatten(Ha),
                                                                   rel=1e-12, abs=1e-14)
    H = cv.hessian(net, thetas, X, Y, loss)
    assert_allclose(H, H.T, rtol=0, atol=1e-13)


@pytest.mark.parametrize("name", ["tanh MLP, squared error", "sigmoid MLP, cross-entropy", "nested f4 o f3 o f2 o f1"])
def test_input_hvp_equals_torch(name, device):
    net, thetas, X, Y, loss, _ = setup(name, seed=5)
    v = np.random.default_rng(6).normal(size=X.shape)
    module = tb.twin(net, thetas, device)
    Yt = torch.as_tensor(np.asarray(Y), device=device)
    Yt = Yt.to(torch.float64) if Yt.is_floating_point() else Yt

    def f(x):
        return objective_of(loss)(module(x), Yt)

    theirs = torch.autograd.functional.hvp(f, tb.to_torch(X, device), tb.to_torch(v, device))[1]
    assert_allclose(cv.hvp_input(net, thetas, X, Y, loss, v), tb.to_numpy(theirs), **TIGHT)


@pytest.mark.parametrize("name", list(CASES))
def test_gauss_newton_product_equals_j_transpose_hl_j(name, device):
    net, thetas, X, Y, loss, v = setup(name, seed=7)
    module = tb.twin(net, thetas, device)
    f, flat = torch_loss_of_parameters(net, thetas, X, Y, loss, device)
    ordered = [t for t, _ in tb.named_parameters(net, module)]
    names = {id(p): n for n, p in module.named_parameters()}
    keys, sizes, shapes = [names[id(t)] for t in ordered], [t.numel() for t in ordered], [t.shape for t in ordered]
    Xt = tb.to_torch(X, device)

    def predict(flat_params):
        pieces = torch.split(flat_params, sizes)
        return torch.func.functional_call(module, {k: p.reshape(s) for k, p, s in zip(keys, pieces, shapes)}, (Xt,))

    Yt = torch.as_tensor(np.asarray(Y), device=device)
    Yt = Yt.to(torch.float64) if Yt.is_floating_point() else Yt
    y0, Jv = torch.func.jvp(predict, (flat,), (tb.to_torch(params.flatten(v), device),))
    HL_Jv = torch.func.jvp(torch.func.grad(lambda y: objective_of(loss)(y, Yt)), (y0,), (Jv,))[1]
    _, pullback = torch.func.vjp(predict, flat)
    theirs = tb.to_numpy(pullback(HL_Jv)[0])
    assert_allclose(params.flatten(cv.gauss_newton_product(net, thetas, X, Y, loss, v)), theirs, **TIGHT)


def test_gauss_newton_is_the_hessian_for_a_linear_model_with_squared_error():
    net, thetas, X, Y, loss, v = setup("linear model")
    assert_allclose(params.flatten(cv.gauss_newton_product(net, thetas, X, Y, loss, v)),
                    params.flatten(cv.hvp(net, thetas, X, Y, loss, v)), **TIGHT)
    # ... and the Hessian of 1/2 ||X w + b - y||^2 / N is [X 1]^T [X 1] / N, whatever the parameters
    A = np.hstack([X, np.ones((len(X), 1))])
    assert_allclose(cv.hessian(net, thetas, X, Y, loss), A.T @ A / len(X), **TIGHT)


def test_top_eigenvalues_and_power_iteration_find_the_spectrum():
    net, thetas, X, Y, loss, _ = setup("tanh MLP, squared error", n=12)
    H = cv.hessian(net, thetas, X, Y, loss)
    exact = np.sort(np.linalg.eigvalsh(H))[::-1]
    assert_allclose(cv.top_eigenvalues(net, thetas, X, Y, loss, k=3), exact[:3], rtol=1e-9)
    biggest = exact[np.argmax(np.abs(exact))]
    value, vector = cv.power_iteration(lambda w: H @ w, H.shape[0], rng=0, iterations=5000, tol=1e-13)
    assert value == pytest.approx(biggest, rel=1e-6)
    assert np.linalg.norm(H @ vector - value * vector) < 1e-3 * abs(value)


def test_a_subclass_that_changes_its_function_loses_the_inherited_second_order_rules():
    class TwoTanh(lc.Tanh):
        def _phi(self, x):
            return 2 * np.tanh(x)

        def _dphi(self, x):
            return 2 * (1 - np.tanh(x) ** 2)

    class DoubledLinear(lc.Linear):
        def _forward(self, x, theta):
            return 2 * super()._forward(x, theta)

    net, thetas, X, Y, loss, v = setup("tanh MLP, squared error")
    for layers, message in [([lc.Linear(4, 6), TwoTanh(), lc.Linear(6, 3)], r"TwoTanh\(\) has no second derivative"),
                            ([DoubledLinear(4, 6), lc.Tanh(), lc.Linear(6, 3)], r"has no second-order rule")]:
        with pytest.raises(ValueError, match=message):
            cv.hvp(lc.Sequential(layers), thetas, X, Y, loss, v)

    class TwoTanhComplete(TwoTanh):
        def _d2phi(self, x):
            t = np.tanh(x)
            return -4 * t * (1 - t**2)

    done = lc.Sequential([lc.Linear(4, 6), TwoTanhComplete(), lc.Linear(6, 3)])
    eps = 1e-5
    plus = lc.backprop(done, params.tree_map(lambda a, b: a + eps * b, thetas, v), X, Y, loss)[1]
    minus = lc.backprop(done, params.tree_map(lambda a, b: a - eps * b, thetas, v), X, Y, loss)[1]
    numeric = (params.flatten(plus) - params.flatten(minus)) / (2 * eps)
    assert_allclose(params.flatten(cv.hvp(done, thetas, X, Y, loss, v)), numeric, rtol=1e-5, atol=1e-7)


def test_losses_give_the_tangent_of_their_gradient():
    rng = np.random.default_rng(8)
    y_hat, y, dot = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    labels = rng.integers(0, 3, size=5)
    for loss, target in [(L.squared_error, y), (L.huber(0.7), y), (L.mae, y), (L.softmax_cross_entropy, labels)]:
        numeric = (loss.grad(y_hat + 1e-6 * dot, target) - loss.grad(y_hat - 1e-6 * dot, target)) / 2e-6
        assert_allclose(loss.grad_tangent(y_hat, target, dot), numeric, rtol=1e-6, atol=1e-8, err_msg=loss.name)


NET, THETAS, X0, Y0, LOSS, V0 = setup("tanh MLP, squared error")


@pytest.mark.parametrize("call, message", [
    (lambda: cv.hvp(NET, THETAS, X0, Y0, LOSS, V0[:2]), r"hvp expects v shaped like thetas"),
    (lambda: cv.hvp(NET, THETAS, X0, Y0, LOSS, [V0[0], {}, {"W": np.ones((3, 5)), "b": np.ones(3)}]),
     r"hvp expects v 2.W of shape \(3, 6\), got \(3, 5\)"),
    (lambda: cv.hvp(NET, THETAS, X0, Y0, LOSS, np.ones(5)), r"hvp expects v shaped like thetas .*got ndarray"),
    (lambda: cv.hvp(np.tanh, THETAS, X0, Y0, LOSS, V0), r"hvp expects a Layer"),
    (lambda: cv.hvp(NET, THETAS, X0, Y0, np.square, V0), r"hvp expects a lecture_code loss"),
    (lambda: cv.hvp(NET, THETAS, X0, Y0[:3], LOSS, V0), r"as many targets as examples"),
    (lambda: cv.hvp_input(NET, THETAS, X0, Y0, LOSS, np.ones(4)), r"hvp_input expects v shaped like x \(6, 4\), got \(4,\)"),
    (lambda: cv.hvp(lc.Sequential([lc.Conv1D(1, 1, 2, 4), lc.Linear(3, 3)]), [{"W": np.ones((1, 1, 2)), "b": np.ones(1)},
                                                                           {"W": np.ones((3, 3)), "b": np.ones(3)}],
                    np.ones((2, 4)), np.ones((2, 3)), LOSS, [{"W": np.ones((1, 1, 2)), "b": np.ones(1)},
                                                            {"W": np.ones((3, 3)), "b": np.ones(3)}]),
     r"Conv1D\(1x4 -> 1x3, Q=2\) has no second-order rule"),
    (lambda: cv.top_eigenvalues(NET, THETAS, X0, Y0, LOSS, k=100), r"top_eigenvalues expects k < P = 51"),
    (lambda: cv.top_eigenvalues(NET, THETAS, X0, Y0, LOSS, which="SM"), r"expects which to be one of \['LA', 'LM'\]"),
    (lambda: cv.power_iteration("H", 3, rng=0), r"power_iteration expects a function v -> A v"),
    (lambda: cv.power_iteration(lambda v: v[:2], 3, rng=0), r"expects A v of shape \(3,\), got \(2,\)"),
    (lambda: cv.power_iteration(lambda v: v, 3, rng=None), r"power_iteration expects rng"),
    (lambda: L.squared_error.grad_tangent(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 2))),
     r"squared_error.grad_tangent expects y_hat_dot shaped like y_hat \(2, 3\), got \(3, 2\)"),
])
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
