"""Chapter 10's equations as written: the HVP as the tangent of the reverse sweep (eq 10.1), the loss's tangent
(eq 10.2), gradient descent on a quadratic (eq 10.3) and the Gauss-Newton split of the Hessian (eq 10.4)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import curvature as cv
from lecture_code import params, training
from lecture_code import torch_bridge as tb

TIGHT = dict(rtol=1e-11, atol=1e-13)
sq = lc.losses.squared_error


def mean_loss(X, Y, W1, b1, W2, b2, tanh):
    """1/(2N) ||tanh(X W1^T + b1) W2^T + b2 - Y||^2, written once for NumPy and for PyTorch."""
    r = tanh(X @ W1.T + b1) @ W2.T + b2 - Y
    return (r * r).sum() * (0.5 / len(Y))


def sweep_by_hand(X, Y, W1, b1, W2, b2, W1_d, b1_d, W2_d, b2_d):
    """Eq 10.1 written out: the forward pass and the reverse sweep of backprop, each with its tangent."""
    z, z_d = X @ W1.T + b1, X @ W1_d.T + b1_d
    h = np.tanh(z)
    h_d = (1 - h**2) * z_d
    y_d = h_d @ W2.T + h @ W2_d.T + b2_d
    u, u_d = (h @ W2.T + b2 - Y) / len(X), y_d / len(X)          # eq 10.2: H_L = I / N
    h_bar, h_bar_d = u @ W2, u_d @ W2 + u @ W2_d                 # Linear: x_bar = u W
    z_bar_d = -2 * h * (1 - h**2) * z_d * h_bar + (1 - h**2) * h_bar_d  # tanh: phi'' x_dot u + phi' u_dot
    return [{"W": z_bar_d.T @ X, "b": z_bar_d.sum(axis=0)}, {},
            {"W": u_d.T @ h + u.T @ h_d, "b": u_d.sum(axis=0)}]  # W_bar = u^T x: u_dot^T x + u^T x_dot


@pytest.mark.parametrize("d, h, m, n, seed", [(3, 4, 2, 5, 0), (1, 1, 1, 1, 1), (4, 6, 3, 9, 2), (2, 5, 1, 1, 3)])
def test_eq10_1_the_hvp_is_the_tangent_of_the_reverse_sweep(d, h, m, n, seed, device):
    net = lc.mlp([d, h, m], "tanh")
    thetas = net.init(seed)
    rng = np.random.default_rng(seed + 10)
    X, Y = rng.normal(size=(n, d)), rng.normal(size=(n, m))
    v = params.tree_map(lambda a: rng.normal(size=a.shape), thetas)
    arrays = [thetas[0]["W"], thetas[0]["b"], thetas[2]["W"], thetas[2]["b"]]
    dots = [v[0]["W"], v[0]["b"], v[2]["W"], v[2]["b"]]
    ours = params.flatten(cv.hvp(net, thetas, X, Y, sq, v))
    assert_allclose(params.flatten(sweep_by_hand(X, Y, *arrays, *dots)), ours, **TIGHT, err_msg="by hand")
    Xt, Yt = tb.to_torch(X, device), tb.to_torch(Y, device)
    _, theirs = torch.func.jvp(torch.func.grad(lambda *p: mean_loss(Xt, Yt, *p, tanh=torch.tanh), argnums=(0, 1, 2, 3)),
                               tuple(tb.to_torch(a, device) for a in arrays),
                               tuple(tb.to_torch(a, device) for a in dots))
    assert_allclose(np.concatenate([tb.to_numpy(t).ravel() for t in theirs]), ours, **TIGHT, err_msg="jvp(grad(f))")
    assert not np.allclose(ours, 0), "a zero HVP would pass nothing"


@pytest.mark.parametrize("loss, kind", [(lc.losses.squared_error, "regression"), (lc.losses.huber(0.6), "regression"),
                                        (lc.losses.mae, "regression"), (lc.losses.softmax_cross_entropy, "labels")])
def test_eq10_2_the_loss_tangent_is_its_hessian_times_the_prediction_tangent(loss, kind, device):
    """u_dot = H_L y_hat_dot, with H_L = d^2 L / d y_hat^2 formed densely by torch.func.hessian."""
    rng = np.random.default_rng(4)
    n, m = 5, 3
    y_hat, y_dot = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    y = rng.integers(0, m, size=n) if kind == "labels" else y_hat + rng.normal(size=(n, m))
    target = torch.as_tensor(y, device=device)
    target = target.double() if target.is_floating_point() else target
    if isinstance(loss, lc.losses.Huber):  # written out: F.huber_loss has no second derivative in torch.func
        def f(a):
            d = (a - target).abs()
            return torch.where(d <= loss.delta, 0.5 * d**2, loss.delta * (d - 0.5 * loss.delta)).sum() / n
    elif loss is lc.losses.mae:
        def f(a):
            return (a - target).abs().sum() / n
    else:
        f = lambda a: tb.loss_fn(loss)(a, target)  # noqa: E731
    H_L = tb.to_numpy(torch.func.hessian(f)(tb.to_torch(y_hat, device))).reshape(n * m, n * m)
    assert_allclose(loss.grad_tangent(y_hat, y, y_dot).ravel(), H_L @ y_dot.ravel(), rtol=1e-12, atol=1e-14)
    if loss is lc.losses.squared_error:
        assert_allclose(H_L, np.eye(n * m) / n, rtol=0, atol=1e-15)


QUADRATICS = [(20, 3, 1.0, 0), (50, 1, 1.0, 1), (12, 5, 1.0, 2), (30, 2, 100.0, 3)]  # N, D, input scale, seed


def _linear_problem(n, d, scale, seed):
    rng = np.random.default_rng(seed)
    X = scale * rng.normal(size=(n, d)) + rng.normal(size=d)
    Y = rng.normal(size=(n, 1))
    net = lc.mlp([d, 1])
    return net, net.init(seed), X, Y


def _losses(net, theta, X, Y, rate, epochs):
    try:
        return np.array(training.train(net, theta, X, Y, sq, regime="batch", lr=rate, epochs=epochs, rng=0)[1].train_loss)
    except training.TrainingDiverged as error:
        return np.array(error.history.train_loss)


@pytest.mark.parametrize("n, d, scale, seed", QUADRATICS)
def test_eq10_3_descent_converges_iff_the_rate_is_below_2_over_lambda_max(n, d, scale, seed):
    net, theta, X, Y = _linear_problem(n, d, scale, seed)
    A = np.hstack([X, np.ones((n, 1))])
    H = cv.hessian(net, theta, X, Y, sq)
    assert_allclose(H, A.T @ A / n, **TIGHT)
    lam = cv.top_eigenvalues(net, theta, X, Y, sq, k=1)[0]
    assert lam == pytest.approx(np.linalg.eigvalsh(H)[-1], rel=1e-10)
    critical = 2 / lam
    # one step of full-batch descent maps the error e = theta - theta* to (I - rho H) e, exactly
    star = np.linalg.lstsq(A, Y[:, 0], rcond=None)[0]           # (w, b), the order params.flatten uses
    rate = 0.7 * critical
    stepped, _ = training.train(net, theta, X, Y, sq, regime="batch", lr=rate, epochs=1, rng=0)
    e0 = params.flatten(theta) - star
    assert_allclose(params.flatten(stepped) - star, (np.eye(d + 1) - rate * H) @ e0, rtol=1e-9, atol=1e-12)
    # just below the bound the loss falls at every step; just above it grows without bound
    below, above = _losses(net, theta, X, Y, 0.98 * critical, 600), _losses(net, theta, X, Y, 1.02 * critical, 600)
    assert np.all(np.diff(below) <= 1e-14 * below[1:]) and below[-1] < below[0]
    assert not np.isfinite(above[-1]) or above[-1] > 1e3 * above[0]
    # the boundary found by bisection is 2 / lambda_max
    low, high = 0.5 * critical, 1.5 * critical
    for _ in range(12):
        middle = (low + high) / 2
        losses = _losses(net, theta, X, Y, middle, 400)
        rises = not np.isfinite(losses[-1]) or np.any(np.diff(losses) > 1e-12 * losses[1:])
        low, high = (low, middle) if rises else (middle, high)
    assert high == pytest.approx(critical, rel=1e-2)


def test_eq10_3_raw_inputs_scale_lambda_max_with_their_square():
    net, theta, X, Y = _linear_problem(30, 2, 1.0, 5)
    small = cv.top_eigenvalues(net, theta, X, Y, sq, k=1)[0]
    large = cv.top_eigenvalues(net, theta, 100.0 * X, Y, sq, k=1)[0]
    assert 0.5e4 < large / small < 1e4 * 1.01  # the bias column does not scale, the inputs' block does


@pytest.mark.parametrize("activation, seed", [("tanh", 0), ("sigmoid", 1), ("relu", 2)])
def test_eq10_4_the_hessian_is_gauss_newton_plus_the_residual_term(activation, seed, device):
    """H = J^T H_L J + sum_nm u_nm d^2 y_hat_nm / d theta^2, each part formed densely with torch.func."""
    net = lc.mlp([3, 4, 2], activation)
    thetas = net.init(seed)
    rng = np.random.default_rng(seed + 20)
    X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    module = tb.twin(net, thetas, device)
    ordered = [t for t, _ in tb.named_parameters(net, module)]
    names = {id(p): name for name, p in module.named_parameters()}
    keys, shapes = [names[id(t)] for t in ordered], [t.shape for t in ordered]
    sizes = [t.numel() for t in ordered]
    Xt, Yt = tb.to_torch(X, device), tb.to_torch(Y, device)

    def predict(flat):
        pieces = torch.split(flat, sizes)
        weights = {k: p.reshape(s) for k, p, s in zip(keys, pieces, shapes)}
        return torch.func.functional_call(module, weights, (Xt,)).reshape(-1)  # (N M,)

    flat = tb.to_torch(params.flatten(thetas), device)
    J = tb.to_numpy(torch.func.jacrev(predict)(flat))                          # (N M, P)
    y_hat = tb.to_numpy(predict(flat))
    H_L = np.eye(y_hat.size) / len(X)                                          # squared error, mean over N
    u = (y_hat - Y.ravel()) / len(X)
    second = tb.to_numpy(torch.func.hessian(lambda w: (predict(w) * tb.to_torch(u, device)).sum())(flat))
    G = J.T @ H_L @ J
    P = flat.numel()
    units = [params.unflatten(e, thetas) for e in np.eye(P)]
    G_ours = np.stack([params.flatten(cv.gauss_newton_product(net, thetas, X, Y, sq, e)) for e in units], axis=1)
    H_ours = cv.hessian(net, thetas, X, Y, sq)
    assert_allclose(G_ours, G, **TIGHT, err_msg="G = J^T H_L J")
    assert_allclose(H_ours, G + second, **TIGHT, err_msg="H = G + sum u d^2 y_hat")
    assert np.linalg.eigvalsh(G)[0] > -1e-12 and not np.allclose(H_ours, G_ours), "G is PSD and differs from H"
