"""Bad input raises ValueError that names what was expected and what was given."""

import numpy as np
import pytest

import lecture_code as lc

L = lc.losses
NET = lc.mlp([4, 8, 6, 4, 2])
THETAS = NET.init(0)
LIN = lc.Linear(4, 8)
LIN_THETA = LIN.init(0)

# (description, call, pattern the message must match)
BAD = [
    # wrong shapes: the message names the expected and the given shape
    ("Linear x too short", lambda: LIN.forward(np.ones(3), LIN_THETA),
     r"Linear\(4 -> 8\) expects x of shape \(4,\) or \(N, 4\).*got \(3,\)"),
    ("Linear x 3-d", lambda: LIN.forward(np.ones((2, 3, 4)), LIN_THETA), r"expects x of shape \(4,\) or \(N, 4\).*got \(2, 3, 4\)"),
    ("empty batch", lambda: LIN.forward(np.ones((0, 4)), LIN_THETA), r"N >= 1, got \(0, 4\)"),
    ("scalar x", lambda: lc.ReLU().forward(3.0), r"ReLU\(\) expects x of shape \(D,\) or \(N, D\).*got \(\)"),
    ("W transposed", lambda: LIN.forward(np.ones(4), {"W": np.ones((4, 8)), "b": np.ones(8)}),
     r"theta\['W'\] of shape \(8, 4\), got \(4, 8\)"),
    ("missing bias", lambda: LIN.forward(np.ones(4), {"W": np.ones((8, 4))}), r"keys \['W', 'b'\], got \['W'\]"),
    ("theta not a dict", lambda: LIN.forward(np.ones(4), [1, 2]), r"keys \['W', 'b'\], got list"),
    ("parameters for ReLU", lambda: lc.ReLU().forward(np.ones(3), {"W": 1}), r"ReLU\(\) has no parameters"),
    ("jvp v wrong width", lambda: LIN.jvp(np.ones(4), LIN_THETA, np.ones(5)),
     r"jvp expects v of shape \(4,\) or \(K, 4\) for x of shape \(4,\), got \(5,\)"),
    ("jvp v wrong batch", lambda: LIN.jvp(np.ones((3, 4)), LIN_THETA, np.ones((2, 4))),
     r"jvp expects v of shape \(3, 4\) for x of shape \(3, 4\), got \(2, 4\)"),
    ("vjp u wrong width", lambda: LIN.vjp(np.ones(4), LIN_THETA, np.ones(4)),
     r"vjp expects u of shape \(8,\) or \(K, 8\) for x of shape \(4,\), got \(4,\)"),
    ("vjp u wrong batch", lambda: NET.vjp(np.ones((5, 4)), THETAS, np.ones((3, 2))),
     r"vjp expects u of shape \(5, 2\) for x of shape \(5, 4\), got \(3, 2\)"),
    ("Sequential x wrong width", lambda: NET.forward(np.ones(3), THETAS), r"expects x of shape \(4,\) or \(N, 4\).*got \(3,\)"),
    ("thetas wrong length", lambda: NET.forward(np.ones(4), THETAS[:3]),
     r"Sequential of 7 layers expects thetas as a list of 7 entries.*got list of length 3"),
    ("thetas not a list", lambda: NET.forward(np.ones(4), {"W": 1}), r"list of 7 entries"),
    ("layers don't chain", lambda: lc.Sequential([lc.Linear(4, 8), lc.ReLU(), lc.Linear(6, 2)]),
     r"layer 2, Linear\(6 -> 2\), expects inputs of width 6, but the layers before it output width 8"),
    ("empty Sequential", lambda: lc.Sequential([]), r"non-empty list of layers, got \[\]"),
    ("not a layer", lambda: lc.Sequential([lc.ReLU(), np.tanh]), r"Layer objects, got ufunc at position 1"),
    ("unchainable x for activations-only net", lambda: lc.Sequential([lc.ReLU()]).forward(np.ones((2, 3, 1))),
     r"got \(2, 3, 1\)"),
    # non-finite input
    ("NaN in x", lambda: NET.forward(np.array([1.0, np.nan, 0.0, 1.0]), THETAS), r"x must be finite, got 1 NaN or infinite entry"),
    ("inf in W", lambda: LIN.forward(np.ones(4), {"W": np.full((8, 4), np.inf), "b": np.ones(8)}),
     r"theta\['W'\] must be finite, got 32 NaN or infinite entries"),
    ("NaN in v", lambda: NET.jvp(np.ones(4), THETAS, np.array([np.nan, 0, 0, 0])), r"v must be finite"),
    ("inf in u", lambda: NET.vjp(np.ones(4), THETAS, np.array([np.inf, 0])), r"u must be finite"),
    ("strings", lambda: NET.forward("abcd", THETAS), r"x must be an array of real numbers, got str"),
    ("complex", lambda: NET.forward(np.ones(4) * 1j, THETAS), r"x must be an array of real numbers"),
    # sizes < 1 and bad hyperparameters
    ("Linear d_in 0", lambda: lc.Linear(0, 3), r"Linear expects d_in to be an integer >= 1, got 0"),
    ("Linear d_out -2", lambda: lc.Linear(3, -2), r"Linear expects d_out to be an integer >= 1, got -2"),
    ("Linear float size", lambda: lc.Linear(2.5, 3), r"Linear expects d_in to be an integer >= 1, got 2.5"),
    ("mlp one size", lambda: lc.mlp([4]), r"at least two layer widths.*got \[4\]"),
    ("mlp zero width", lambda: lc.mlp([4, 0, 2]), r"mlp expects sizes\[1\] to be an integer >= 1, got 0"),
    ("mlp activation", lambda: lc.mlp([4, 2], activation="gelu"), r"mlp expects activation to be one of .*'relu'.*got 'gelu'"),
    ("mlp output activation", lambda: lc.mlp([4, 2], output_activation="max"), r"mlp expects output_activation to be one of \[None, .*got 'max'"),
    ("init rng", lambda: LIN.init("seed"), r"Linear\(4 -> 8\).init expects rng to be a numpy.random.Generator or a seed >= 0, got 'seed'"),
    ("init rng missing", lambda: LIN.init(None), r"init expects rng to be a numpy.random.Generator or a seed >= 0, got None"),
    ("None as x", lambda: NET.forward(None, THETAS), r"x must be an array of real numbers, got None"),
    ("None inside x", lambda: NET.forward([1.0, None, 0.0, 1.0], THETAS), r"x must be an array of real numbers, got list .*dtype object"),
    ("masked x", lambda: NET.forward(np.ma.masked_array(np.ones(4), mask=[0, 1, 0, 0]), THETAS),
     r"x must be a plain array, got a masked array with 1 masked entry"),
    ("vjp_input u wrong width", lambda: LIN.vjp_input(np.ones(4), LIN_THETA, np.ones(4)),
     r"vjp_input expects u of shape \(8,\) or \(K, 8\) for x of shape \(4,\), got \(4,\)"),
    ("softmax CE logit spread beyond float64", lambda: L.softmax_cross_entropy(np.array([[1e308, -1e308]]), np.array([0])),
     r"softmax_cross_entropy expects logits whose spread max - min within a row is a finite float64"),
    ("softmax CE mean beyond float64", lambda: L.softmax_cross_entropy(np.array([[8e307, -8e307]] * 2), np.array([1, 1])),
     r"softmax_cross_entropy expects a mean loss that float64 can hold, got inf"),
    ("Param role", lambda: lc.Param((2, 3), "kernel"), r"Param expects role to be one of \['weight', 'bias'\], got 'kernel'"),
    ("huber delta 0", lambda: L.huber(0.0), r"huber expects delta to be a finite number > 0, got 0.0"),
    ("huber delta negative", lambda: L.huber(-1), r"huber expects delta to be a finite number > 0, got -1"),
    ("huber delta nan", lambda: L.huber(float("nan")), r"huber expects delta to be a finite number > 0, got nan"),
    # losses: shapes, labels, batch sizes
    ("loss y shape", lambda: L.squared_error(np.ones((5, 2)), np.ones((5, 3))),
     r"squared_error expects y of the same shape as y_hat \(5, 2\), got \(5, 3\)"),
    ("loss y flat", lambda: L.mae(np.ones((5, 1)), np.ones(5)), r"got \(5,\); reshape y to \(5, 1\)"),
    ("loss batch mismatch", lambda: L.huber(1.0)(np.ones((5, 2)), np.ones((3, 2))), r"\(y_hat has 5 examples, y has 3\)"),
    ("loss NaN prediction", lambda: L.squared_error(np.array([np.nan]), np.array([1.0])), r"y_hat must be finite"),
    ("loss empty prediction", lambda: L.squared_error(np.ones((0, 2)), np.ones((0, 2))), r"N, M >= 1, got \(0, 2\)"),
    ("label too large", lambda: L.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 4, 1])),
     r"integer labels in \[0, 4\) for logits with C = 4 classes, got \[4.\]"),
    ("label negative", lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0])), r"in \[0, 3\).*got \[-1.\]"),
    ("label not integer", lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.5, 1])), r"got \[0.5\]"),
    ("labels batch mismatch", lambda: L.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1])),
     r"labels of shape \(3,\) or targets of shape \(3, 4\) for logits of shape \(3, 4\), got \(2,\)"),
    ("targets not probabilities", lambda: L.softmax_cross_entropy(np.zeros((2, 3)), np.array([[1, 1, 0], [0, 0, 1.0]])),
     r"probability rows .*summing to \[2. 1.\]"),
    # backprop and finite differences
    ("backprop batch mismatch", lambda: lc.backprop(NET, THETAS, np.ones((5, 4)), np.ones((3, 2)), L.squared_error),
     r"as many targets as examples: X has shape \(5, 4\) \(N = 5\), Y has shape \(3, 2\)"),
    ("backprop X width", lambda: lc.backprop(NET, THETAS, np.ones((5, 3)), np.ones((5, 2)), L.squared_error),
     r"expects X of shape \(4,\) or \(N, 4\).*got \(5, 3\)"),
    ("backprop loss", lambda: lc.backprop(NET, THETAS, np.ones((5, 4)), np.ones((5, 2)), lambda a, b: 0.0),
     r"backprop expects a lecture_code loss"),
    ("backprop net", lambda: lc.backprop(np.tanh, THETAS, np.ones((5, 4)), np.ones((5, 2)), L.squared_error),
     r"backprop expects a Layer .* got ufunc"),
    ("numerical_jacobian eps", lambda: lc.numerical_jacobian(np.sin, np.ones(3), eps=0.0), r"numerical_jacobian expects eps to be a finite number > 0, got 0.0"),
    ("numerical_jacobian f", lambda: lc.numerical_jacobian("sin", np.ones(3)), r"expects a callable f, got str"),
    ("numerical_jacobian NaN from f", lambda: lc.numerical_jacobian(lambda z: np.full(2, np.nan), np.ones(2)), r"f\(x\) must be finite"),
    ("check_gradients grads shape", lambda: lc.check_gradients(NET, THETAS, np.ones((2, 4)), np.ones((2, 2)), L.squared_error,
                                                               grads=THETAS[:2]), r"check_gradients expects grads shaped like thetas"),
    ("check_gradients rtol", lambda: lc.check_gradients(NET, THETAS, np.ones((2, 4)), np.ones((2, 2)), L.squared_error, rtol=-1),
     r"check_gradients expects rtol to be a finite number > 0, got -1"),
    ("jacobian of a batch via jvps", lambda: lc.jacobian_via_jvps(NET, np.ones((2, 4)), THETAS), r"jacobian_via_jvps takes a Jacobian at one example: it expects x of shape \(D,\), got \(2, 4\)"),
    ("jacobian via vjps needs M", lambda: lc.jacobian_via_vjps(lambda U: U, np.ones(3)), r"jacobian_via_vjps expects n_outputs \(M\) when f is a vjp callable, got None"),
    ("jacobian via jvps wrong result", lambda: lc.jacobian_via_jvps(lambda V: V[:2], np.ones(3)),
     r"jacobian_via_jvps expects the JVPs of the 3 basis vectors to have shape \(3, \.\.\.\), got \(2, 3\)"),
    ("jacobian via vjps wrong result", lambda: lc.jacobian_via_vjps(lambda U: U, np.ones(3), n_outputs=2),
     r"jacobian_via_vjps expects the VJPs of the 2 basis vectors to have shape \(2, 3\), got \(2, 2\)"),
    ("jacobian via jvps of a non-function", lambda: lc.jacobian_via_jvps(3, np.ones(3)), r"jacobian_via_jvps expects f to be a Layer or a callable, got int"),
]


@pytest.mark.parametrize("call,pattern", [(c, p) for _, c, p in BAD], ids=[d for d, _, _ in BAD])
def test_bad_input_raises_a_clear_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_jacobian_helpers_accept_callables():
    A = np.arange(6.0).reshape(2, 3)
    x = np.ones(3)
    assert np.array_equal(lc.jacobian_via_jvps(lambda V: V @ A.T, x), A)
    assert np.array_equal(lc.jacobian_via_vjps(lambda U: U @ A, x, n_outputs=2), A)
