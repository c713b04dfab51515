"""RNN and LSTM (chapter 8): torch.nn.RNN / torch.nn.LSTM, BPTT, bad input.

The generic checks (consistency, finite differences, torch.func) run over these layers in
tests/test_layers.py, whose cases (tests/cases.py) include them."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from cases import flat

import lecture_code as lc
from lecture_code import torch_bridge as tb
from lecture_code.recurrent import gradient_norms_through_time

TIGHT = dict(rtol=1e-10, atol=1e-12)  # same arithmetic, different order: only rounding may differ


# -- against torch.nn.RNN and torch.nn.LSTM with copied weights, on every available device ----------


def test_twins_are_nn_rnn_and_nn_lstm_with_the_same_weights(device):
    net = lc.Sequential([lc.RNN(2, 3, 4, outputs="all"), lc.LSTM(3, 2, 4)])
    thetas = net.init(11)
    module = tb.twin(net, thetas, device)
    assert isinstance(module[0].inner, torch.nn.RNN) and isinstance(module[1].inner, torch.nn.LSTM)
    assert_allclose(tb.to_numpy(module[1].inner.weight_ih_l0), thetas[1]["W_ih"], rtol=0, atol=0)
    assert_allclose(flat(tb.thetas_of(net, module)), flat(thetas), rtol=0, atol=0)
    with pytest.raises(ValueError, match="no gradient yet"):
        tb.thetas_of(net, module, grad=True)


@pytest.mark.parametrize("cell", ["RNN", "LSTM"])
def test_training_equals_torch_sgd_on_the_twin(cell, device):
    """lc.training.train (BPTT inside the reverse sweep) and torch.optim.SGD on nn.RNN / nn.LSTM, same batches."""
    net = lc.Sequential([getattr(lc, cell)(1, 3, 5), lc.Linear(3, 1)])
    thetas = net.init(12)
    rng = np.random.default_rng(13)
    X, Y = rng.normal(size=(10, 5)), rng.normal(size=(10, 1))
    loss = lc.losses.squared_error
    ours, _ = lc.training.train(net, thetas, X, Y, loss, batch_size=4, lr=0.1, epochs=3, rng=14)
    order = lc.training.batch_order(10, "minibatch", 4, epochs=3, rng=14)
    theirs = tb.sgd_reference(net, thetas, X, Y, loss, order, 0.1, device)
    assert_allclose(flat(ours), flat(theirs), **TIGHT, err_msg="parameters after 9 updates")


# -- the equations as written -----------------------------------------------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_rnn_states_follow_eq_8_3():
    layer = lc.RNN(2, 3, 5)
    theta = layer.init(15)
    xs = np.random.default_rng(16).normal(size=(5, 2))
    h, hs = np.zeros(3), []
    for x_t in xs:
        h = np.tanh(theta["W_ih"] @ x_t + theta["b_ih"] + theta["W_hh"] @ h + theta["b_hh"])
        hs.append(h)
    assert_allclose(layer.states(xs.ravel(), theta)["h"], np.array(hs), **TIGHT, err_msg="h_1 .. h_T")
    assert_allclose(layer.forward(xs.ravel(), theta), hs[-1], **TIGHT, err_msg="outputs='last' is h_T")
    everything = lc.RNN(2, 3, 5, outputs="all").forward(xs.ravel(), theta)
    assert_allclose(everything, np.ravel(hs), **TIGHT, err_msg="outputs='all' is (T, H) flattened")


def test_lstm_states_follow_eq_8_5_with_gates_in_pytorch_order():
    layer = lc.LSTM(2, 3, 4)
    theta = layer.init(17, forget_bias=1.0)
    xs = np.random.default_rng(18).normal(size=(4, 2))
    h, c = np.zeros(3), np.zeros(3)
    rows = {name: slice(3 * k, 3 * k + 3) for k, name in enumerate("ifgo")}
    for x_t in xs:
        z = theta["W_ih"] @ x_t + theta["b_ih"] + theta["W_hh"] @ h + theta["b_hh"]
        i, f, g, o = sigmoid(z[rows["i"]]), sigmoid(z[rows["f"]]), np.tanh(z[rows["g"]]), sigmoid(z[rows["o"]])
        c = f * c + i * g
        h = o * np.tanh(c)
    states = layer.states(xs.ravel(), theta)
    assert_allclose(states["c"][-1], c, **TIGHT, err_msg="c_T")
    assert_allclose(states["h"][-1], h, **TIGHT, err_msg="h_T")
    assert_allclose(states["f"][-1], f, **TIGHT, err_msg="forget gate at T")
    assert set(states) == {"h", "c", "i", "f", "g", "o"} and states["h"].shape == (4, 3)


def test_forget_bias_starts_the_forget_gates_open():
    layer = lc.LSTM(1, 4, 3)
    plain, opened = layer.init(19), layer.init(19, forget_bias=3.0)
    assert_allclose(opened["b_ih"][4:8] - plain["b_ih"][4:8], 3.0, rtol=1e-15)
    assert_allclose(np.delete(opened["b_ih"], range(4, 8)), np.delete(plain["b_ih"], range(4, 8)), rtol=0, atol=0)
    assert all(np.array_equal(opened[k], plain[k]) for k in ("W_ih", "W_hh", "b_hh"))
    x = np.random.default_rng(20).normal(size=3)
    assert layer.states(x, opened)["f"].min() > 0.85 > layer.states(x, plain)["f"].max()


def test_init_is_pytorchs_default_and_seeded():
    layer = lc.LSTM(3, 4, 2)
    a, b = layer.init(21), layer.init(np.random.default_rng(21))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert {k: v.shape for k, v in a.items()} == {"W_ih": (16, 3), "W_hh": (16, 4), "b_ih": (16,), "b_hh": (16,)}
    assert max(np.abs(v).max() for v in a.values()) <= 0.5   # U(-1/sqrt(H), 1/sqrt(H)), H = 4
    rnn = lc.RNN(3, 4, 2).init(21)
    assert {k: v.shape for k, v in rnn.items()} == {"W_ih": (4, 3), "W_hh": (4, 4), "b_ih": (4,), "b_hh": (4,)}
    assert repr(lc.RNN(3, 4, 2)) == "RNN(3 -> 4, T=2)" and repr(lc.LSTM(1, 2, 3, outputs="all")) == "LSTM(1 -> 2, T=3, outputs='all')"
    assert lc.LSTM(3, 4, 2, outputs="all").out_shape == (2, 4) and lc.LSTM(3, 4, 2).in_shape == (2, 3)


# -- backpropagation through time: the cotangents of the states -------------------------------------


@pytest.mark.parametrize("outputs", ["last", "all"])
def test_rnn_state_cotangents_follow_the_recursion_eq_8_4(outputs):
    layer = lc.RNN(2, 3, 6, outputs=outputs)
    theta = layer.init(22)
    rng = np.random.default_rng(23)
    x, u = rng.normal(size=12), rng.normal(size=layer.d_out)
    h = layer.states(x, theta)["h"]
    arriving = np.zeros((6, 3))   # the cotangent the output sends to each h_t
    if outputs == "last":
        arriving[-1] = u
    else:
        arriving = u.reshape(6, 3)
    want = np.zeros((6, 3))
    want[-1] = arriving[-1]
    for t in range(4, -1, -1):   # u_t = (from the output) + W_hh^T ((1 - h_{t+1}^2) * u_{t+1})
        want[t] = arriving[t] + theta["W_hh"].T @ ((1 - h[t + 1] ** 2) * want[t + 1])
    assert_allclose(layer.state_cotangents(x, theta, u), want, **TIGHT, err_msg="u_t")


@pytest.mark.parametrize("cell", ["RNN", "LSTM"])
def test_state_cotangents_match_torch_run_from_an_intermediate_state(cell, device):
    """dL/dh_t from torch: run nn.RNN / nn.LSTM to step t, then from h_t (and c_t) on to T, and differentiate."""
    layer = getattr(lc, cell)(2, 3, 5)
    theta = layer.init(24)
    rng = np.random.default_rng(25)
    X, U = rng.normal(size=(2, 10)), rng.normal(size=(2, 3))
    ours = layer.state_cotangents(X, theta, U)
    assert ours.shape == (2, 5, 3)
    rnn = tb.twin(layer, theta, device).inner
    xs, ut = tb.to_torch(X.reshape(2, 5, 2), device), tb.to_torch(U, device)
    with torch.backends.cudnn.flags(enabled=False):
        for t in range(1, 6):
            _, state = rnn(xs[:, :t])
            state = tuple(s.detach().requires_grad_() for s in state) if cell == "LSTM" else state.detach().requires_grad_()
            h_t = state[0] if cell == "LSTM" else state
            out = rnn(xs[:, t:], state)[0][:, -1] if t < 5 else h_t[0]
            (grad,) = torch.autograd.grad((out * ut).sum(), h_t)
            assert_allclose(tb.to_numpy(grad[0]), ours[:, t - 1], **TIGHT, err_msg=f"dL/dh_{t}")


def test_state_cotangents_of_one_example_and_of_a_batch_agree():
    layer = lc.LSTM(1, 2, 4, outputs="all")
    theta = layer.init(26)
    rng = np.random.default_rng(27)
    X, U = rng.normal(size=(3, 4)), rng.normal(size=(3, 8))
    batch = layer.state_cotangents(X, theta, U)
    for n in range(3):
        assert_allclose(batch[n], layer.state_cotangents(X[n], theta, U[n]), **TIGHT)


def test_gradient_norms_of_a_linear_scalar_rnn_are_powers_of_w():
    """W_ih = 0 and b = 0 keep h_t = 0, so tanh' = 1 and u_t = w^(T - t) u_T exactly (eq 8.4)."""
    w, T = 0.5, 8
    net = lc.Sequential([lc.RNN(1, 1, T), lc.Linear(1, 1)])
    thetas = [{"W_ih": np.zeros((1, 1)), "W_hh": np.array([[w]]), "b_ih": np.zeros(1), "b_hh": np.zeros(1)},
              {"W": np.array([[2.0]]), "b": np.array([0.5])}]
    X, Y = np.random.default_rng(28).normal(size=(4, T)), np.ones((4, 1))
    norms = gradient_norms_through_time(net, thetas, X, Y, lc.losses.squared_error)
    u_T = 2.0 * (0.5 - 1.0)   # dL/dh_T = W_head (y_hat - y), the same for all 4 examples, / N
    assert_allclose(norms, np.abs(u_T) * np.sqrt(4) / 4 * w ** np.arange(T), rtol=1e-14, err_msg="norms[k] = |w|^k ||u_T||")


@pytest.mark.parametrize("cell", ["RNN", "LSTM"])
def test_gradient_norms_are_the_state_cotangents_from_t_equals_T_back(cell):
    rec, head = getattr(lc, cell)(1, 4, 7), lc.Linear(4, 1)
    net = lc.Sequential([lc.Identity(), rec, head])
    thetas = net.init(29)
    rng = np.random.default_rng(30)
    X, Y = rng.normal(size=(5, 7)), rng.normal(size=(5, 1))
    loss = lc.losses.squared_error
    _, g = loss(head.forward(rec.forward(X, thetas[1]), thetas[2]), Y)
    u = head.vjp(rec.forward(X, thetas[1]), thetas[2], g)[0]
    want = np.linalg.norm(rec.state_cotangents(X, thetas[1], u), axis=(0, 2))[::-1]
    assert_allclose(gradient_norms_through_time(net, thetas, X, Y, loss), want, rtol=1e-13)
    alone = gradient_norms_through_time(rec, thetas[1], X, Y[:, [0, 0, 0, 0]], loss)
    assert alone.shape == (7,)


def test_the_rnn_gradient_vanishes_at_pytorchs_initialization():
    """The chapter's claim, on a fresh seed: after 29 steps back u_t is below 1e-4 of u_T for the RNN."""
    net = lc.Sequential([lc.RNN(1, 16, 30), lc.Linear(16, 1)])
    rng = np.random.default_rng(31)
    X = np.cumsum(rng.normal(size=(64, 30)), axis=1) / 3
    norms = gradient_norms_through_time(net, net.init(32), X, rng.normal(size=(64, 1)), lc.losses.squared_error)
    assert norms[-1] / norms[0] < 1e-4
    assert (np.diff(norms[3:]) < 0).all(), "the norms keep shrinking step after step"


def test_extreme_inputs_stay_finite_without_overflow():
    for layer in (lc.RNN(1, 2, 3), lc.LSTM(1, 2, 3)):
        theta = layer.init(35)
        x = np.array([-1e4, 0.0, 1e4])
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y, J = layer.forward(x, theta), layer.jacobian(x, theta)
            x_bar, _ = layer.vjp(x, theta, np.ones(2))
        assert np.isfinite(y).all() and np.isfinite(J).all() and np.isfinite(x_bar).all()


def test_check_gradients_through_time():
    net = lc.Sequential([lc.LSTM(2, 3, 4), lc.Tanh(), lc.Linear(3, 2)])
    rng = np.random.default_rng(33)
    X, labels = rng.normal(size=(5, 8)), rng.integers(0, 2, size=5)
    assert lc.check_gradients(net, net.init(34), X, labels, lc.losses.softmax_cross_entropy).ok


# -- bad input --------------------------------------------------------------------------------------

BAD = [
    ("sequence of the wrong length", lambda: lc.RNN(2, 3, 4).forward(np.ones(7), lc.RNN(2, 3, 4).init(0)),
     r"RNN\(2 -> 3, T=4\) expects x of shape \(8,\) or \(N, 8\) with N >= 1: sequences of T = 4 steps of D_in = 2 features, "
     r"\(T, D_in\) = \(4, 2\) flattened row-major, got \(7,\)"),
    ("sequence not flattened", lambda: lc.LSTM(2, 3, 4).forward(np.ones((4, 2)), lc.LSTM(2, 3, 4).init(0)),
     r"LSTM\(2 -> 3, T=4\) expects x of shape \(8,\) or \(N, 8\).*got \(4, 2\)"),
    ("batch of 3-d sequences", lambda: lc.RNN(1, 1, 2).forward(np.ones((3, 2, 1)), lc.RNN(1, 1, 2).init(0)),
     r"expects x of shape \(2,\) or \(N, 2\).*got \(3, 2, 1\)"),
    ("infinite input", lambda: lc.RNN(1, 1, 2).forward([0.0, np.inf], lc.RNN(1, 1, 2).init(0)), r"x must be finite"),
    ("unknown outputs", lambda: lc.RNN(1, 2, 3, outputs="final"),
     r"RNN expects outputs \(h_T or h_1 .. h_T\) to be one of \['last', 'all'\], got 'final'"),
    ("zero hidden units", lambda: lc.LSTM(1, 0, 3), r"LSTM expects hidden_size to be an integer >= 1, got 0"),
    ("bool sequence length", lambda: lc.RNN(1, 2, True), r"RNN expects seq_len to be an integer >= 1, got True"),
    ("float input size", lambda: lc.RNN(1.5, 2, 3), r"RNN expects input_size to be an integer >= 1, got 1.5"),
    ("RNN weights for an LSTM", lambda: lc.LSTM(2, 3, 4).forward(np.ones(8), lc.RNN(2, 3, 4).init(0)),
     r"LSTM\(2 -> 3, T=4\) expects theta\['W_ih'\] of shape \(12, 2\), got \(3, 2\)"),
    ("W_hh transposed", lambda: lc.RNN(2, 3, 4).forward(np.ones(8), {**lc.RNN(2, 3, 4).init(0), "W_ih": np.ones((2, 3))}),
     r"expects theta\['W_ih'\] of shape \(3, 2\), got \(2, 3\)"),
    ("PyTorch's parameter names", lambda: lc.RNN(1, 1, 1).forward(np.ones(1), {"weight_ih_l0": np.ones((1, 1))}),
     r"expects theta as a dict with keys \['W_hh', 'W_ih', 'b_hh', 'b_ih'\], got \['weight_ih_l0'\]"),
    ("non-finite forget bias", lambda: lc.LSTM(1, 1, 1).init(0, forget_bias=np.nan),
     r"LSTM\(1 -> 1, T=1\).init expects forget_bias to be a finite number, got nan"),
    ("cotangent of the wrong width", lambda: lc.RNN(1, 2, 3).state_cotangents(np.ones(3), lc.RNN(1, 2, 3).init(0), np.ones(6)),
     r"state_cotangents expects u of shape \(2,\) or \(K, 2\) for x of shape \(3,\), got \(6,\)"),
    ("vjp cotangent for outputs='all'", lambda: lc.RNN(1, 2, 3, outputs="all").vjp(np.ones((4, 3)), lc.RNN(1, 2, 3).init(0), np.ones((4, 2))),
     r"vjp expects u of shape \(4, 6\) for x of shape \(4, 3\), got \(4, 2\)"),
    ("gradient norms of an MLP", lambda: gradient_norms_through_time(lc.mlp([2, 1]), lc.mlp([2, 1]).init(0), np.ones((1, 2)), np.ones((1, 1)), lc.losses.squared_error),
     r"expects an RNN or LSTM, or a network holding one, got Sequential\(\[Linear\(2 -> 1\)\]\)"),
    ("gradient norms without a loss", lambda: gradient_norms_through_time(lc.RNN(1, 1, 2), lc.RNN(1, 1, 2).init(0), np.ones((1, 2)), np.ones((1, 1)), np.square),
     r"expects a lecture_code loss"),
    ("gradient norms with too many targets", lambda: gradient_norms_through_time(lc.Sequential([lc.RNN(1, 2, 3), lc.Linear(2, 1)]), lc.Sequential([lc.RNN(1, 2, 3), lc.Linear(2, 1)]).init(0), np.ones((4, 3)), np.ones((5, 1)), lc.losses.squared_error),
     r"expects y of the same shape as y_hat \(4, 1\), got \(5, 1\)"),
    ("gradient norms with too few thetas", lambda: gradient_norms_through_time(lc.Sequential([lc.RNN(1, 2, 3), lc.Linear(2, 1)]), [{}], np.ones((4, 3)), np.ones((4, 1)), lc.losses.squared_error),
     r"Sequential of 2 layers expects thetas as a list of 2 entries"),
    ("gradient norms of a wrong-width batch", lambda: gradient_norms_through_time(lc.RNN(1, 1, 2), lc.RNN(1, 1, 2).init(0), np.ones((1, 3)), np.ones((1, 1)), lc.losses.squared_error),
     r"expects x of shape \(2,\) or \(N, 2\)"),
]


@pytest.mark.parametrize("what, call, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_a_clear_error(what, call, message):
    with pytest.raises(ValueError, match=message):
        call()
