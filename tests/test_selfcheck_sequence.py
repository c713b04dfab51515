"""Chapter 8's self-checks (lecture_code.selfcheck.sequence)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cases import banded_matrix

import lecture_code as lc
from lecture_code.selfcheck import sequence as checks


# -- self-checks -------------------------------------------------------------------------------------


def test_conv_matrix_check_accepts_the_banded_matrix_and_matches_conv1d(capsys):
    assert checks.conv_matrix_function(banded_matrix)
    assert capsys.readouterr().out.startswith("Correct:")
    layer = lc.Conv1D(1, 1, 4, 9)
    theta = layer.init(5)
    assert_allclose(banded_matrix(theta["W"][0, 0], 9), layer.jacobian(np.zeros(9), theta), rtol=0, atol=0)


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, L: banded_matrix(w[::-1], L), "kernel reversed"),
    (lambda w, L: banded_matrix(w, L).T, "transposed"),
    (lambda w, L: np.pad(banded_matrix(w, L), ((0, len(w) - 1), (0, 0))), "should have shape"),
    (lambda w, L: 2 * banded_matrix(w, L), "row t should hold w"),
    (lambda w, L: 1 / 0, "raised ZeroDivisionError"),
])
def test_conv_matrix_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.conv_matrix_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def scalar_bptt(w, xs):
    h = [0.0]
    for x in xs:
        h.append(w * h[-1] + x)
    T = len(xs)
    return sum(w ** (T - t) * h[t - 1] for t in range(1, T + 1))


def test_scalar_bptt_check_accepts_the_sum_over_steps_and_it_matches_finite_differences(capsys):
    assert checks.scalar_bptt_function(scalar_bptt)
    assert capsys.readouterr().out.startswith("Correct:")
    xs = np.random.default_rng(6).normal(size=7)

    def h_T(w):
        h = 0.0
        for x in xs:
            h = w * h + x
        return h

    numeric = lc.numerical_jacobian(lambda w: np.array([h_T(w[0])]), np.array([0.7]))[0, 0]
    assert np.isclose(scalar_bptt(0.7, xs), numeric, rtol=1e-8)


def _states(w, xs):
    h = [0.0]
    for x in xs:
        h.append(w * h[-1] + x)
    return h


@pytest.mark.parametrize("wrong, hint", [
    (lambda w, xs: _states(w, xs)[-2], "only the last step's term"),
    (lambda w, xs: sum(_states(w, xs)[:-1]), "forget the factor"),
    (lambda w, xs: w * scalar_bptt(w, xs), "one power of w too many"),
    (lambda w, xs: _states(w, xs)[-1], "you return h_T"),
    (lambda w, xs: np.ones(2), "one number"),
    (lambda w, xs: 0.0, "dh_T/dw is"),
])
def test_scalar_bptt_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.scalar_bptt_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def cotangents(h, W_hh, u_T, transpose=True, shift=1, derivative=True):
    u = np.zeros_like(h)
    u[-1] = u_T
    W = W_hh.T if transpose else W_hh
    for t in range(h.shape[0] - 2, -1, -1):
        d = (1 - h[t + shift] ** 2) if derivative else 1.0
        u[t] = W @ (d * u[t + 1])
    return u


def test_state_cotangent_check_accepts_eq_8_4_which_is_what_lc_rnn_computes(capsys):
    assert checks.rnn_state_cotangents(cotangents)
    assert capsys.readouterr().out.startswith("Correct:")
    rnn = lc.RNN(2, 3, 5)
    theta = rnn.init(7)
    rng = np.random.default_rng(8)
    x, u = rng.normal(size=10), rng.normal(size=3)
    assert_allclose(cotangents(rnn.states(x, theta)["h"], theta["W_hh"], u), rnn.state_cotangents(x, theta, u),
                    rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("wrong, hint", [
    (lambda h, W, u: cotangents(h, W, u)[::-1], "reverse order"),
    (lambda h, W, u: cotangents(h, W, u, derivative=False), "you skip tanh'"),
    (lambda h, W, u: cotangents(h, W, u, shift=0), "belongs to the later step"),
    (lambda h, W, u: cotangents(h, W, u, transpose=False), "transposed matrix"),
    (lambda h, W, u: cotangents(h, W, u)[:-1], "return an array of shape"),
    (lambda h, W, u: np.zeros_like(h), "start from u_T"),
])
def test_state_cotangent_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.rnn_state_cotangents(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out


def test_forget_bias_check(capsys):
    f = checks.FORGET_KEEP ** (1 / checks.FORGET_STEPS)
    b = np.log(f / (1 - f))
    assert checks.forget_bias_answer(b) and checks.forget_bias_answer(round(b, 2))
    assert (1 / (1 + np.exp(-b))) ** checks.FORGET_STEPS == pytest.approx(checks.FORGET_KEEP, rel=1e-12)
    capsys.readouterr()
    for answer, hint in [(f, "gate value f"), (np.log(0.1 / 0.9), f"solve f^{checks.FORGET_STEPS}"),
                         (2.0, "too small"), (3.0, "not the smallest")]:
        assert not checks.forget_bias_answer(answer)
        out = capsys.readouterr().out
        assert out.startswith("Not yet:") and hint in out, out


def global_clip(grads, c):
    norm = np.sqrt(sum(np.sum(a ** 2) for layer in grads for a in layer.values()))
    return [{k: a * min(1.0, c / norm) for k, a in layer.items()} for layer in grads]


def test_clip_by_norm_check_accepts_one_factor_for_the_whole_gradient_as_pytorch_computes_it(capsys):
    assert checks.clip_by_norm_function(global_clip)
    assert checks.clip_by_norm_function(lambda g, c: lc.optimizers.clip_grad_norm(g, c)[0])
    assert capsys.readouterr().out.startswith("Correct:")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    grads = [{"W": rng.normal(size=(4, 3)), "b": rng.normal(size=4)}, {"W": rng.normal(size=(1, 4))}]
    tensors = [torch.tensor(a) for layer in grads for a in layer.values()]
    for t in tensors:
        t.grad = t.detach().clone()
    torch.nn.utils.clip_grad_norm_(tensors, 0.7)
    mine = [a for layer in global_clip(grads, 0.7) for a in layer.values()]
    for a, t in zip(mine, tensors):  # PyTorch divides by ||g|| + 1e-6: equal to about 1e-6, relative
        assert_allclose(a, t.grad.numpy(), rtol=1e-5)


def _each(grads, c, norm_of):
    return [{k: a * min(1.0, c / norm_of(a, layer)) for k, a in layer.items()} for layer in grads]


def _always(grads, c):
    norm = np.sqrt(sum(np.sum(a ** 2) for layer in grads for a in layer.values()))
    return [{k: a * c / norm for k, a in layer.items()} for layer in grads]


def _squared(grads, c):
    norm2 = sum(np.sum(a ** 2) for layer in grads for a in layer.values())
    return [{k: a * min(1.0, c / norm2) for k, a in layer.items()} for layer in grads]


def _in_place(grads, c):
    clipped = global_clip(grads, c)
    for layer, new in zip(grads, clipped):
        layer.update(new)
    return grads


@pytest.mark.parametrize("wrong, hint", [
    (lambda g, c: [{k: np.clip(a, -c, c) for k, a in layer.items()} for layer in g], "clipping by value"),
    (_always, "a gradient shorter than c must be left alone"),
    (lambda g, c: _each(g, c, lambda a, layer: np.linalg.norm(a)), "each array by its own norm"),
    (lambda g, c: _each(g, c, lambda a, layer: np.sqrt(sum(np.sum(b ** 2) for b in layer.values()))),
     "each layer by its own norm"),
    (_squared, "you divide by its square"),
    (_in_place, "changed grads in place"),
    (lambda g, c: lc.optimizers.clip_grad_norm(g, c), "not a pair (clipped, norm)"),
    (lambda g, c: [layer["W"] for layer in g], "in the structure of grads"),
    (lambda g, c: g, "every array should be multiplied by"),
    (lambda g, c: 1 / 0, "raised ZeroDivisionError"),
])
def test_clip_by_norm_check_names_the_mistake(wrong, hint, capsys):
    assert not checks.clip_by_norm_function(wrong)
    out = capsys.readouterr().out
    assert out.startswith("Not yet:") and hint in out, out


@pytest.mark.parametrize("call, message", [
    (lambda: checks.conv_matrix_function("J"),
     r"conv_matrix_function expects your function matrix_fn\(w, L\), got str"),
    (lambda: checks.scalar_bptt_function(None),
     r"scalar_bptt_function expects your function grad_fn\(w, xs\), got NoneType"),
    (lambda: checks.rnn_state_cotangents(3),
     r"rnn_state_cotangents expects your function cotangents_fn\(h, W_hh, u_T\), got int"),
    (lambda: checks.clip_by_norm_function([1.0]),
     r"clip_by_norm_function expects your function clip_fn\(grads, c\), got list"),
    (lambda: checks.forget_bias_answer("2.3"),
     r"forget_bias_answer expects b \(your answer\) to be a finite number, got '2.3'"),
    (lambda: checks.forget_bias_answer(np.inf),
     r"forget_bias_answer expects b \(your answer\) to be a finite number, got inf"),
    (lambda: checks.forget_bias_answer(True),
     r"forget_bias_answer expects b \(your answer\) to be a finite number, got True"),
])
def test_self_checks_reject_what_is_not_an_answer(call, message):
    with pytest.raises(ValueError, match=message):
        call()
