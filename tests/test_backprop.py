"""backprop against torch.autograd and finite differences; the finite-difference tools themselves."""

import numpy as np
import pytest
import torch
from cases import chapter1_net
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb

L = lc.losses

# (net factory, loss, kind of targets)
SETUPS = {
    "lecture eq 15: D-5-1, squared error": (lambda: lc.mlp([3, 5, 1]), L.squared_error, "regression"),
    "4-8-6-4-2 relu, squared error": (lambda: lc.mlp([4, 8, 6, 4, 2]), L.squared_error, "regression"),
    "nested f4 o f3 o f2 o f1, huber": (chapter1_net, L.huber(0.3), "regression"),
    "tanh, mae": (lambda: lc.mlp([2, 6, 3], activation="tanh"), L.mae, "regression"),
    "sigmoid, cross-entropy": (lambda: lc.mlp([4, 7, 3], activation="sigmoid"), L.softmax_cross_entropy, "labels"),
    "4-8-6-4-2, cross-entropy": (lambda: lc.mlp([4, 8, 6, 4, 2]), L.softmax_cross_entropy, "labels"),
    "one unit everywhere": (lambda: lc.mlp([1, 1, 1]), L.squared_error, "regression"),
}


def setup(name, n=6, seed=0):
    factory, loss, kind = SETUPS[name]
    net = factory()
    rng = np.random.default_rng(seed)
    thetas = net.init(rng)
    m = net.output_size(net.d_in)
    X = rng.normal(size=(n, net.d_in))
    Y = rng.integers(0, m, size=n) if kind == "labels" else rng.normal(size=(n, m))
    return net, thetas, X, Y, loss


def assert_same_grads(ours, theirs, **tol):
    if isinstance(ours, dict):
        assert set(ours) == set(theirs)
        for k in ours:
            assert_allclose(ours[k], theirs[k], **tol, err_msg=f"gradient of {k}")
    else:
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_grads(a, b, **tol)


@pytest.mark.parametrize("name", SETUPS)
@pytest.mark.parametrize("n", [1, 6])
def test_backprop_matches_torch_autograd(name, n, device):
    net, thetas, X, Y, loss = setup(name, n=n)
    value, grads = lc.backprop(net, thetas, X, Y, loss)
    t_value, t_grads = tb.backprop_reference(net, thetas, X, Y, loss, device)
    assert np.isclose(value, t_value, rtol=1e-12, atol=1e-15)
    assert_same_grads(grads, t_grads, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", SETUPS)
def test_backprop_matches_finite_differences(name):
    net, thetas, X, Y, loss = setup(name, seed=1)
    report = lc.check_gradients(net, thetas, X, Y, loss)
    assert report.ok, str(report)
    assert len(report.rows) == len(lc.params.leaves(thetas)) > 0


def test_backprop_is_the_average_of_per_example_gradients():
    """eq 29: the batch gradient is the mean of the N per-example gradients."""
    net, thetas, X, Y, loss = setup("4-8-6-4-2 relu, squared error", n=5, seed=2)
    _, grads = lc.backprop(net, thetas, X, Y, loss)
    singles = [lc.backprop(net, thetas, X[n:n + 1], Y[n:n + 1], loss)[1] for n in range(5)]
    for k, layer_grads in enumerate(grads):
        for key in layer_grads:
            assert_allclose(layer_grads[key], np.mean([g[k][key] for g in singles], axis=0), rtol=1e-12, atol=1e-15)


def test_backprop_of_one_example_without_a_batch_axis():
    net, thetas, X, Y, loss = setup("lecture eq 15: D-5-1, squared error", n=1, seed=3)
    value, grads = lc.backprop(net, thetas, X[0], Y[0], loss)
    value_b, grads_b = lc.backprop(net, thetas, X, Y, loss)
    assert value == pytest.approx(value_b, rel=1e-15)
    assert_same_grads(grads, grads_b, rtol=1e-15, atol=0)


def test_lecture_example_by_hand():
    """eqs 15-28 without biases: u4 = x4 - y, dL/dW2 = u4 x3^T, u3 = W2^T u4, u2 = phi'(x2) * u3, dL/dW1 = u2 x^T."""
    rng = np.random.default_rng(4)
    W1, W2, x, y = rng.normal(size=(5, 3)), rng.normal(size=(2, 5)), rng.normal(size=3), rng.normal(size=2)
    x2 = W1 @ x
    x3 = np.maximum(x2, 0)
    x4 = W2 @ x3
    u4 = x4 - y
    u2 = (x2 > 0) * (W2.T @ u4)
    net = lc.mlp([3, 5, 2])
    thetas = [{"W": W1, "b": np.zeros(5)}, {}, {"W": W2, "b": np.zeros(2)}]
    value, grads = lc.backprop(net, thetas, x, y, L.squared_error)
    assert value == pytest.approx(0.5 * np.sum((y - x4) ** 2), rel=1e-14)
    assert_allclose(grads[2]["W"], np.outer(u4, x3), rtol=1e-14)
    assert_allclose(grads[0]["W"], np.outer(u2, x), rtol=1e-14)


def test_check_gradients_catches_a_wrong_gradient():
    net, thetas, X, Y, loss = setup("4-8-6-4-2 relu, squared error", seed=5)
    _, grads = lc.backprop(net, thetas, X, Y, loss)
    wrong = [dict(g) for g in grads]
    wrong[2] = {"W": grads[2]["W"] * 1.01, "b": grads[2]["b"]}  # a 1% error in one matrix
    report = lc.check_gradients(net, thetas, X, Y, loss, grads=wrong)
    assert not report.ok
    agrees = {name: ratio <= 1 for name, _, _, ratio in report.rows}
    assert agrees == {"0.W": True, "0.b": True, "2.W": False, "2.b": True, "4.W": True, "4.b": True,
                      "6.W": True, "6.b": True}
    assert "all gradients agree with finite differences: False" in str(report)


def test_check_gradients_catches_a_broken_vjp():
    """A Linear whose input VJP uses W instead of W^T (the classic transposition slip)."""

    class TransposedByMistake(lc.Linear):
        def _vjp(self, x, theta, u):
            _, grads = super()._vjp(x, theta, u)
            return u @ theta["W"].T, grads  # should be u @ W

    net = lc.Sequential([lc.Linear(3, 4), lc.Tanh(), TransposedByMistake(4, 4), lc.Tanh(), lc.Linear(4, 1)])
    rng = np.random.default_rng(6)
    thetas = net.init(rng)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    report = lc.check_gradients(net, thetas, X, Y, L.squared_error)
    assert not report.ok
    assert [ratio <= 1 for _, _, _, ratio in report.rows] == [False, False, True, True, True, True]


def concrete_64(seed):
    """64 rows of the standardized concrete data, raw strengths as targets: a loss in the hundreds."""
    X, y = lc.data.load_concrete()
    parts = lc.data.split(X, y, rng=0)
    scaler = lc.data.fit_standardizer(parts.X_train)
    rows = np.random.default_rng(seed).choice(len(parts.X_train), size=64, replace=False)
    return scaler.transform(parts.X_train[rows]), parts.y_train[rows, None]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_check_gradients_passes_exact_gradients_of_a_large_loss(seed, device):
    """|L| ~ 700-950: central differences carry a rounding error ~ eps_machine |L| / eps that the tolerance allows."""
    X, Y = concrete_64(seed)
    net = lc.mlp([8, 16, 1], "tanh")
    thetas = net.init(seed)
    value, grads = lc.backprop(net, thetas, X, Y, L.squared_error)
    assert value > 500
    model = tb.twin(net, thetas, device)
    tb.loss_fn(L.squared_error)(model(tb.to_torch(X, device)), tb.to_torch(Y, device)).backward()
    assert_allclose(lc.params.flatten(grads), lc.params.flatten(tb.thetas_of(net, model, grad=True)), rtol=1e-12)
    report = lc.check_gradients(net, thetas, X, Y, L.squared_error)
    worst = max(err for _, _, err, _ in report.rows)
    assert report.ok and worst > report.atol  # the old absolute tolerance alone would have failed it
    assert report.rounding == pytest.approx(lc.numerical.ROUNDING * np.finfo(float).eps * value / 1e-6)
    # ... and still tight: a 0.01% error in one array, or a bias gradient left out, fails
    for k, key, factor in [(0, "W", 1 + 1e-4), (2, "b", 0.0), (2, "W", 1 - 1e-4)]:
        wrong = [dict(g) for g in grads]
        wrong[k] = {**grads[k], key: grads[k][key] * factor}
        bad = lc.check_gradients(net, thetas, X, Y, L.squared_error, grads=wrong)
        assert not bad.ok and [name for name, _, _, ratio in bad.rows if ratio > 1] == [f"{k}.{key}"]


def test_numerical_jacobian_of_known_functions():
    x = np.array([0.3, -1.2, 2.0])
    assert_allclose(lc.numerical_jacobian(np.sin, x), np.diag(np.cos(x)), rtol=1e-8, atol=1e-10)
    A = np.arange(6.0).reshape(2, 3)
    assert_allclose(lc.numerical_jacobian(lambda z: A @ z, x), A, rtol=1e-8, atol=1e-9)
    # layout of torch.func.jacrev: output shape + input shape
    M = np.arange(4.0).reshape(2, 2)
    J = lc.numerical_jacobian(lambda z: z * 2.0, M)
    assert J.shape == (2, 2, 2, 2)
    assert_allclose(J, 2 * np.eye(4).reshape(2, 2, 2, 2), atol=1e-8)


def test_numerical_jacobian_matches_torch(device):
    def f_np(z):
        return np.array([z[0] * z[1], np.exp(z[2]) - z[0] ** 2])

    def f_t(z):
        return torch.stack([z[0] * z[1], torch.exp(z[2]) - z[0] ** 2])

    x = np.array([0.5, -2.0, 0.25])
    J_t = tb.to_numpy(torch.func.jacrev(f_t)(tb.to_torch(x, device)))
    assert_allclose(lc.numerical_jacobian(f_np, x), J_t, rtol=1e-8, atol=1e-10)
