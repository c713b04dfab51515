"""Chapter 5 self-checks: updates per epoch, the rate of a 1/r schedule, one SGD step, standardization,
Adam's first update, and the weight variance that keeps the signal's size."""

from __future__ import annotations

import math

import numpy as np

from .._validate import _is_int, _is_real, int_between, one_of, positive_float, positive_int
from ..data import fit_standardizer
from ..optimizers import Adam
from ..params import flatten, leaves, tree_map
from ..sequential import mlp
from ..training import sgd_step, updates_per_epoch
from ._report import call, report as _report, require_callable

__all__ = ["updates_count", "inverse_rate", "sgd_update", "standardization", "adam_first_step",
           "preserving_variance"]


# -- exercise 1: updates per epoch (eqs 29, 30, 32) ---------------------------------------------------

_UPDATE_CASES = [(722, "batch", None), (722, "stochastic", None), (722, "minibatch", 32), (722, "minibatch", 16),
                 (64, "minibatch", 32), (1000, "minibatch", 16), (5, "minibatch", 5), (1, "stochastic", None)]


def updates_count(count_fn) -> bool:
    """Does ``count_fn(n, regime, batch_size) -> int`` give the updates of one epoch?

    1 for ``"batch"`` (eq 29), N for ``"stochastic"`` (eq 30), ceil(N / B) for
    ``"minibatch"`` (eq 32); ``batch_size`` is None for the first two.
    """
    require_callable(count_fn, "updates_count", "count_fn(n, regime, batch_size)")
    for n, regime, b in _UPDATE_CASES:
        answer, hint = call(count_fn, (n, regime, b), f"count_fn({n}, {regime!r}, {b})")
        if hint is not None:
            return _report(False, "", hint)
        expected = updates_per_epoch(n, regime, b)
        if not _is_int(answer):
            if _is_real(answer) and float(answer) == expected:
                hint = f"count_fn({n}, {regime!r}, {b}) gave {answer!r}: right value, but return an int (use math.ceil)"
            else:
                hint = f"count_fn({n}, {regime!r}, {b}) should return an integer, got {answer!r:.40}"
            return _report(False, "", hint)
        if int(answer) == expected:
            continue
        if regime == "minibatch" and int(answer) == n // b:
            hint = (f"count_fn({n}, 'minibatch', {b}) gave {answer} = floor(N / B): the last, smaller mini-batch "
                    f"of {n - (n // b) * b} examples is an update too, so it is ceil(N / B) = {expected}")
        elif regime == "batch" and int(answer) == n:
            hint = "full batch averages all N examples in one update (eq 29): one update per epoch, not N"
        elif regime == "stochastic" and int(answer) == 1:
            hint = "stochastic gradient descent updates after every single example (eq 30): N updates per epoch"
        else:
            hint = f"count_fn({n}, {regime!r}, {b}) gave {answer}, expected {expected}"
        return _report(False, "", hint)
    return _report(True, "1 update per epoch for full batch, N for stochastic, ceil(N / B) for mini-batches", "")


# -- exercise 2: the rate of rho_r = rho0 / r -------------------------------------------------------------

def inverse_rate(rate, *, rho0: float, n: int, batch_size: int, epoch: int, step: int) -> bool:
    """Is ``rate`` the rho_r = rho0 / r used by update ``step`` of epoch ``epoch`` (both from 1)?

    Mini-batches of ``batch_size`` from ``n`` examples: ceil(n / B) updates per epoch,
    and r counts every update since the start, so r = (epoch - 1) ceil(n / B) + step.
    """
    rho0 = positive_float(rho0, "inverse_rate", "rho0")
    n = positive_int(n, "inverse_rate", "n")
    batch_size = int_between(batch_size, 1, n, "inverse_rate", "batch_size")
    per_epoch = updates_per_epoch(n, "minibatch", batch_size)
    epoch, step = positive_int(epoch, "inverse_rate", "epoch"), positive_int(step, "inverse_rate", "step")
    if step > per_epoch:
        raise ValueError(f"inverse_rate expects step to be at most the ceil({n} / {batch_size}) = {per_epoch} "
                         f"updates of an epoch, got {step}")
    r = (epoch - 1) * per_epoch + step
    expected = rho0 / r
    if not _is_real(rate) or not math.isfinite(rate):
        return _report(False, "", f"give the rate as a number, got {rate!r:.40}")

    def near(value):
        return math.isclose(rate, value, rel_tol=1e-9)

    if near(expected):
        good = f"r = ({epoch} - 1) x {per_epoch} + {step} = {r}, so rho_r = {rho0:g} / {r} = {expected:.6g}"
        return _report(True, good, "")
    floor_r = (epoch - 1) * (n // batch_size) + step
    if near(rho0 / epoch):
        hint = "r counts updates, not epochs: every mini-batch is one update"
    elif r > 1 and near(rho0 / (r - 1)):
        hint = "r starts at 1 for the first update (rho_1 = rho0), so this update is number r = " \
               "(epoch - 1) x updates per epoch + step, one more than you used"
    elif floor_r != r and near(rho0 / floor_r):
        hint = f"an epoch has ceil(N / B) = {per_epoch} updates, not floor(N / B) = {n // batch_size}"
    elif near(rho0 / (epoch * per_epoch)) or near(rho0 / (epoch * per_epoch + step)):
        hint = f"epoch {epoch} is not over yet: only {epoch - 1} full epochs come before it"
    else:
        hint = f"got {rate:.6g}; find r, the number of this update counted from the first, then rho0 / r"
    return _report(False, "", hint)


# -- exercise 3: one gradient-descent step ------------------------------------------------------------

def _step_case(seed):
    net = mlp([3, 4, 2])
    rng = np.random.default_rng(seed)
    thetas = net.init(rng)
    grads = tree_map(lambda a: rng.normal(size=np.shape(a)), thetas)
    return thetas, grads


def _copy(tree):
    return tree_map(lambda a: np.array(a, copy=True), tree)


def sgd_update(update_fn) -> bool:
    """Does ``update_fn(thetas, grads, lr)`` return theta - lr * grad for every array (eqs 29, 30, 32)?

    ``thetas`` and ``grads``: a network's parameter tree (a list of dicts of arrays, one dict
    per layer; {} for a layer without parameters). The inputs must stay unchanged.
    """
    require_callable(update_fn, "sgd_update", "update_fn(thetas, grads, lr)")
    for seed, lr in ((0, 0.1), (1, 0.035)):
        thetas, grads = _step_case(seed)
        kept_thetas, kept_grads = _copy(thetas), _copy(grads)
        result, hint = call(update_fn, (thetas, grads, lr), "update_fn(thetas, grads, lr)")
        if hint is not None:
            return _report(False, "", hint)
        expected = sgd_step(kept_thetas, kept_grads, lr)
        if not np.array_equal(flatten(thetas), flatten(kept_thetas)) or \
                not np.array_equal(flatten(grads), flatten(kept_grads)):
            return _report(False, "", "your function changed its input arrays in place (for example with -=): "
                                      "return new arrays, theta - lr * grad, and leave thetas as they were, "
                                      "so that several runs can start from the same parameters")
        try:
            names = [name for name, _ in leaves(result)]
            got = flatten(result)
        except Exception:  # any malformed tree
            names, got = None, None
        want_names = [name for name, _ in leaves(expected)]
        if names != want_names or got is None or got.shape != flatten(expected).shape:
            return _report(False, "", f"return a tree shaped like thetas (a list of {len(thetas)} dicts with the "
                                      f"arrays {want_names}), got {type(result).__name__} {result!r:.60}")
        if np.allclose(got, flatten(expected), rtol=1e-12, atol=1e-14):
            continue
        theta0, g = flatten(kept_thetas), flatten(kept_grads)
        if np.allclose(got, theta0 + lr * g, rtol=1e-12, atol=1e-14):
            hint = "the sign is flipped: step against the gradient, theta - lr * grad, to lower the loss"
        elif np.allclose(got, theta0 - g, rtol=1e-12, atol=1e-14):
            hint = "the learning rate is missing: theta - lr * grad"
        else:
            wrong = [name for (name, a), (_, b) in zip(leaves(result), leaves(expected))
                     if not np.allclose(a, b, rtol=1e-12, atol=1e-14)]
            hint = f"these arrays are not theta - lr * grad: {wrong} (every weight and every bias takes the step)"
        return _report(False, "", hint)
    return _report(True, "theta - lr * grad for every weight and bias, inputs unchanged", "")


# -- exercise 4: standardization ----------------------------------------------------------------------

def _standardization_case():
    rng = np.random.default_rng(11)
    scales = np.array([300.0, 0.5, 20.0, 1.0])
    shifts = np.array([1000.0, -3.0, 50.0, 0.0])
    X_train = rng.normal(size=(40, 4)) * scales + shifts
    X_other = rng.normal(size=(15, 4)) * scales * 1.5 + shifts + scales  # another split: its own mean and SD differ
    return X_train, X_other


def standardization(standardize_fn) -> bool:
    """Does ``standardize_fn(X_train, X_other) -> (Z_train, Z_other)`` standardize as the lecture advises?

    X_train : (N, D), X_other : (K, D); every column is shifted by the mean and divided by the
    standard deviation (ddof = 0) of that column **in X_train**, for both arrays, as
    ``lc.data.fit_standardizer(X_train).transform`` does.
    """
    require_callable(standardize_fn, "standardization", "standardize_fn(X_train, X_other)")
    X_train, X_other = _standardization_case()
    result, hint = call(standardize_fn, (X_train.copy(), X_other.copy()), "standardize_fn(X_train, X_other)")
    if hint is not None:
        return _report(False, "", hint)
    try:
        Z_train, Z_other = (np.asarray(z, dtype=np.float64) for z in result)
    except (TypeError, ValueError):
        return _report(False, "", f"return the pair (Z_train, Z_other), got {type(result).__name__} {result!r:.60}")
    scaler = fit_standardizer(X_train)
    want_train, want_other = scaler.transform(X_train), scaler.transform(X_other)
    if Z_train.shape != X_train.shape or Z_other.shape != X_other.shape:
        return _report(False, "", f"Z_train and Z_other should keep the shapes {X_train.shape} and {X_other.shape}, "
                                  f"got {Z_train.shape} and {Z_other.shape}")

    def close(a, b):
        return np.allclose(a, b, rtol=1e-10, atol=1e-12)

    if close(Z_train, want_train) and close(Z_other, want_other):
        return _report(True, "both splits shifted and scaled by the training columns' mean and SD", "")
    n = X_train.shape[0]
    pooled = fit_standardizer(np.vstack([X_train, X_other]))
    if close(Z_train * np.sqrt(n / (n - 1)), want_train):
        hint = "you divided by the sample SD (ddof=1); use the SD with ddof=0 (np.std's default), " \
               "which makes every training column's SD exactly 1"
    elif close(Z_train, (X_train - X_train.mean(axis=1, keepdims=True)) / X_train.std(axis=1, keepdims=True)):
        hint = "standardize each column (a feature over the examples, axis=0), not each row"
    elif close(Z_train, X_train / X_train.std(axis=0)):
        hint = "subtract the training mean before dividing by the SD: the columns should have mean 0"
    elif close(Z_train, pooled.transform(X_train)) or (close(Z_train, want_train)
                                                        and close(Z_other, pooled.transform(X_other))):
        hint = "you used the mean and SD of all the data pooled: fit them on the training split only, " \
               "then apply them to every split"
    elif not close(Z_train, want_train):
        hint = "Z_train's columns should have mean 0 and SD 1: (X_train - mean) / SD, column by column"
    elif close(Z_other, fit_standardizer(X_other).transform(X_other)):
        hint = "X_other was standardized with its own mean and SD: use the training split's, for every split " \
               "(the network was trained on that scale, and a test set must not shape its own inputs)"
    else:
        hint = "Z_train is right; transform X_other with the same training mean and SD"
    return _report(False, "", hint)


# -- exercise 5: Adam's first update ------------------------------------------------------------------

def _vector(values, caller: str, name: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{caller} expects {name} as numbers, got {values!r:.40}") from None
    if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"{caller} expects {name} as a non-empty 1-d sequence of finite numbers, got shape {a.shape}")
    return a


def adam_first_step(theta1, *, theta0, grad, lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> bool:
    """Is ``theta1`` the parameter vector after Adam's first update from ``theta0`` with gradient ``grad``?

    theta0, grad : (P,). At t = 1 with m = v = 0: m = (1 - beta1) g, v = (1 - beta2) g^2, the bias
    corrections give m_hat = g and v_hat = g^2, and theta1 = theta0 - lr m_hat / (sqrt(v_hat) + eps):
    every parameter with g != 0 moves by about lr, against the sign of its gradient. The
    reference is ``lc.optimizers.Adam(betas, eps).step``, as ``torch.optim.Adam``. An answer
    that leaves out eps passes: it changes theta1 by far less than the tolerance, 1e-4 lr.
    """
    theta0 = _vector(theta0, "adam_first_step", "theta0")
    grad = _vector(grad, "adam_first_step", "grad")
    if grad.shape != theta0.shape:
        raise ValueError(f"adam_first_step expects grad shaped like theta0 {theta0.shape}, got {grad.shape}")
    lr = positive_float(lr, "adam_first_step", "lr")
    adam = Adam(betas=tuple(betas) if isinstance(betas, list) else betas, eps=eps)
    b1, b2 = adam.betas
    tree = [{"theta": theta0}]
    expected = adam.step(tree, [{"theta": grad}], adam.init(tree), lr)[0][0]["theta"]
    try:
        answer = np.asarray(theta1, dtype=np.float64)
    except (TypeError, ValueError):
        return _report(False, "", f"give theta1 as numbers, one per parameter, got {theta1!r:.40}")
    if answer.shape != theta0.shape:
        return _report(False, "", f"give theta1 shaped like theta0, {theta0.shape}, got {answer.shape}")
    if not np.isfinite(answer).all():
        return _report(False, "", "theta1 holds a NaN or an infinity: a gradient of 0 gives 0 / (0 + eps) = 0, "
                                  "so that parameter does not move")

    def near(value, loose=False):
        if not loose:
            return bool(np.allclose(answer, value, rtol=0, atol=1e-4 * lr))
        # a typical mistake, worked by hand without eps: compare the steps, to 1 % of each
        return bool(np.allclose(answer - theta0, value - theta0, rtol=0.01, atol=1e-2 * lr))

    if near(expected):
        return _report(True, "m_hat = g and v_hat = g^2 at t = 1, so each parameter moves by lr against the sign "
                             "of its gradient (a zero gradient: not at all)", "")
    g, a = grad, np.abs(grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = (1 - b1) * g / (np.sqrt((1 - b2) * g * g) + eps)
        m_only = g / (np.sqrt((1 - b2) * g * g) + eps)
        v_only = (1 - b1) * g / (a + eps)
        no_root = g / (g * g + eps)
    if near(theta0 - lr * g, loose=True):
        hint = "that is plain gradient descent, theta0 - lr g: Adam divides m_hat by sqrt(v_hat) + eps"
    elif near(theta0 + lr * g / (a + eps), loose=True):
        hint = "the sign is flipped: Adam steps against the gradient, theta0 - lr m_hat / (sqrt(v_hat) + eps)"
    elif near(expected - theta0, loose=True) or near(theta0 - expected, loose=True):
        hint = "that is the step theta1 - theta0 (or its negative); give theta1 itself, theta0 plus the step"
    elif near(theta0 - lr * plain, loose=True):
        hint = (f"the bias corrections are missing: m_hat = m / (1 - beta1^t) and v_hat = v / (1 - beta2^t); "
                f"at t = 1 they undo the factors 1 - beta1 = {1 - b1:g} and 1 - beta2 = {1 - b2:g}")
    elif near(theta0 - lr * m_only, loose=True):
        hint = "m is bias-corrected but v is not: v_hat = v / (1 - beta2^t) too"
    elif near(theta0 - lr * v_only, loose=True):
        hint = "v is bias-corrected but m is not: m_hat = m / (1 - beta1^t) too"
    elif near(theta0 - lr * no_root, loose=True):
        hint = "divide by the square root of v_hat (about |g|), not by v_hat itself (g^2)"
    else:
        hint = "find m and v after one step from 0, correct both for their bias, then theta0 - lr m_hat / " \
               "(sqrt(v_hat) + eps)"
    return _report(False, "", hint)


# -- exercise 6: the variance that keeps the signal ---------------------------------------------------

_KEEPS = {"relu": 2.0, "linear": 1.0, "tanh": 1.0}


def preserving_variance(var, *, fan_in: int, activation: str = "relu") -> bool:
    """Is ``var`` the Var(w) that keeps E[z^2] the same from one layer's pre-activation z to the next?

    z' = W x with x = f(z), fan_in = x's size, w i.i.d. with mean 0: E[z'^2] = fan_in Var(w) E[x^2].
    For ReLU, E[x^2] = E[z^2] / 2 (half of a symmetric z is cut to 0), so Var(w) = 2 / fan_in (He);
    for a linear layer, and tanh near 0 (slope 1), E[x^2] = E[z^2], so Var(w) = 1 / fan_in.
    """
    fan_in = positive_int(fan_in, "preserving_variance", "fan_in")
    one_of(activation, sorted(_KEEPS), "preserving_variance", "activation")
    expected = _KEEPS[activation] / fan_in
    if not _is_real(var) or not math.isfinite(var):
        return _report(False, "", f"give Var(w) as a number, got {var!r:.40}")

    def near(value):
        return math.isclose(var, value, rel_tol=0.01)

    if near(expected):
        why = ("ReLU halves the second moment, fan_in Var(w) / 2 = 1" if activation == "relu"
               else "the activation keeps the second moment near 0, fan_in Var(w) = 1")
        return _report(True, f"Var(w) = {_KEEPS[activation]:g} / {fan_in} = {expected:.6g}: {why}", "")
    other = _KEEPS["linear"] / fan_in if activation == "relu" else _KEEPS["relu"] / fan_in
    if near(math.sqrt(expected)):
        hint = f"that is the standard deviation sqrt({_KEEPS[activation]:g} / {fan_in}); give the variance Var(w)"
    elif near(other) and activation == "relu":
        hint = ("1 / fan_in keeps E[z^2] through a linear layer; the ReLU before it sets half of its inputs "
                "to 0 and halves E[x^2], so Var(w) must be twice as large")
    elif near(other):
        hint = f"2 / fan_in compensates a ReLU's halving; {activation} near 0 has slope 1 and halves nothing"
    elif near(fan_in / _KEEPS[activation]) or near(1 / expected):
        hint = "inverted: fan_in Var(w) is the factor, so Var(w) = (the factor you need) / fan_in"
    elif near(_KEEPS[activation] / fan_in**2) or near(1 / fan_in**2):
        hint = "the fan-in enters once: E[z'^2] = fan_in Var(w) E[x^2] (a sum of fan_in terms)"
    else:
        hint = f"got {var:.6g}; write E[z'^2] = fan_in Var(w) E[x^2], then E[x^2] in terms of E[z^2]"
    return _report(False, "", hint)
