"""lecture_code.models: the lecture's hyperparameter tables, the MLP constructors, the baselines (chapter 7)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

import lecture_code as lc
from lecture_code import models
from lecture_code import torch_bridge as tb


# -- the two tables ----------------------------------------------------------------------------------

def test_regression_table_is_the_lectures():
    assert models.REGRESSION_TABLE == (
        ("input neurons", "1 per input feature"),
        ("hidden layers", "usually 1-5"),
        ("neurons per hidden layer", "usually 10-100"),
        ("output neurons", "1 per prediction dimension"),
        ("hidden layer activation", "ReLU"),
        ("output activation", "none (if the target is unbounded)"),
        ("loss function", "MSE or MAE/Huber"),
    )


def test_classification_table_changes_only_the_output_layer_and_the_loss():
    reg, cls = dict(models.REGRESSION_TABLE), dict(models.CLASSIFICATION_TABLE)
    assert list(reg) == list(cls)
    differ = {k for k in reg if reg[k] != cls[k]}
    assert differ == {"output neurons", "output activation", "loss function"}
    assert cls["output neurons"] == "1 per class"  # the slides' "name of classes" means their number
    assert cls["output activation"].startswith("softmax")
    assert cls["loss function"] == "categorical cross-entropy"


def test_markdown_table_is_built_from_the_defaults():
    text = models.hyperparameter_table()
    lines = text.splitlines()
    assert lines[0] == "| hyperparameter | regression | classification |"
    assert len(lines) == 2 + len(models.REGRESSION_TABLE) + 1
    for (name, reg), (_, cls) in zip(models.REGRESSION_TABLE, models.CLASSIFICATION_TABLE):
        assert f"| {name} | {reg} | {cls} |" in lines
    assert lines[-1] == "| default here (`hidden=`) | `(64, 64)` | `(64, 64)` |"
    one = models.hyperparameter_table(models.REGRESSION_DEFAULTS)
    assert one.splitlines()[0] == "| hyperparameter | regression |"


def test_defaults_lie_in_the_usual_ranges():
    for d in (models.REGRESSION_DEFAULTS, models.CLASSIFICATION_DEFAULTS):
        assert d.usual(d.hidden)
        assert d.usual((10,)) and d.usual((100,) * 5)
        assert not d.usual(()) and not d.usual((9,)) and not d.usual((101,)) and not d.usual((64,) * 6)


def test_table_rejects_other_objects():
    with pytest.raises(ValueError, match="ArchitectureDefaults"):
        models.hyperparameter_table("regression")


# -- constructors --------------------------------------------------------------------------------------

def _widths(net):
    return [(layer.d_in, layer.d_out) for layer in net.layers if isinstance(layer, lc.Linear)]


def test_regression_mlp_follows_the_table():
    net = models.regression_mlp(8)
    assert _widths(net) == [(8, 64), (64, 64), (64, 1)]
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]  # no output activation
    net2 = models.regression_mlp(3, hidden=(10, 20, 30), n_outputs=2, activation="tanh")
    assert _widths(net2) == [(3, 10), (10, 20), (20, 30), (30, 2)]
    assert all(type(net2.layers[i]).__name__ == "Tanh" for i in (1, 3, 5))
    assert _widths(models.regression_mlp(4, hidden=())) == [(4, 1)]  # no hidden layer: linear regression


def test_regression_mlp_output_is_unbounded():
    net = models.regression_mlp(2, hidden=(5,))
    thetas = net.init(0)
    thetas[-1]["b"] = np.array([1e6])
    assert net.forward(np.zeros((1, 2)), thetas)[0, 0] == pytest.approx(1e6)


def test_classification_mlp_has_one_output_per_class_and_outputs_logits():
    net = models.classification_mlp(2, 3, hidden=(16,))
    assert _widths(net) == [(2, 16), (16, 3)]
    assert not any(isinstance(layer, lc.Softmax) for layer in net.layers)
    probs = models.classification_mlp(2, 3, hidden=(16,), probabilities=True)
    assert isinstance(probs.layers[-1], lc.Softmax)
    rng = np.random.default_rng(0)
    thetas = lc.initialization.initialize(net, rng, scheme="he")
    X = rng.normal(size=(7, 2))
    p = models.predict_proba(net, thetas, X)
    assert_allclose(p, probs.forward(X, thetas + [{}]), rtol=1e-14,
                    err_msg="predict_proba is the softmax of the logits")
    assert_allclose(p.sum(axis=1), 1.0, rtol=1e-14)
    assert_array_equal(models.predict_classes(net, thetas, X), np.argmax(p, axis=1))
    assert_array_equal(models.predict_classes(net, thetas, X), np.argmax(net.forward(X, thetas), axis=1))


def test_predict_proba_is_finite_for_huge_logits():
    net = models.classification_mlp(1, 2, hidden=())
    thetas = [{"W": np.array([[1000.0], [-1000.0]]), "b": np.zeros(2)}]
    p = models.predict_proba(net, thetas, np.array([[1.0], [-1.0]]))
    assert_array_equal(p, [[1.0, 0.0], [0.0, 1.0]])


def test_classifier_loss_and_gradient_match_torch_cross_entropy(device):
    """The classifier trained with softmax_cross_entropy (eqs 34-35) is nn.CrossEntropyLoss on the twin."""
    rng = np.random.default_rng(3)
    net = models.classification_mlp(4, 3, hidden=(6, 5))
    thetas = lc.initialization.initialize(net, rng, scheme="he")
    X, labels = rng.normal(size=(9, 4)), rng.integers(0, 3, size=9)
    value, grads = lc.backprop(net, thetas, X, labels, models.loss_by_name("cross_entropy"))
    module = tb.twin(net, thetas, device)
    t_loss = torch.nn.CrossEntropyLoss()(module(tb.to_torch(X, device)), torch.as_tensor(labels, device=device))
    t_loss.backward()
    assert_allclose(value, t_loss.item(), rtol=1e-13, err_msg="loss value differs from CrossEntropyLoss")
    for mine, theirs in zip(grads, tb.thetas_of(net, module, grad=True)):
        for key in mine:
            assert_allclose(mine[key], theirs[key], rtol=1e-11, atol=1e-14, err_msg=f"gradient of {key} differs")


def test_loss_by_name():
    assert models.loss_by_name("mse") is lc.losses.squared_error
    assert models.loss_by_name("mae") is lc.losses.mae
    assert models.loss_by_name("cross_entropy") is lc.losses.softmax_cross_entropy
    h = models.loss_by_name("huber", delta=0.3)
    assert isinstance(h, lc.losses.Huber) and h.delta == 0.3
    for d in (models.REGRESSION_DEFAULTS, models.CLASSIFICATION_DEFAULTS):
        for name in d.losses:
            models.loss_by_name(name)


def test_constructors_reject_bad_input():
    with pytest.raises(ValueError, match="n_features must be >= 1, got 0"):
        models.regression_mlp(0)
    with pytest.raises(ValueError, match=r"hidden must be a tuple .* got 64"):
        models.regression_mlp(8, hidden=64)
    with pytest.raises(ValueError, match=r"hidden\[1\] must be >= 1, got 0"):
        models.regression_mlp(8, hidden=(4, 0))
    with pytest.raises(ValueError, match="activation must be one of"):
        models.regression_mlp(8, activation="softmax")
    with pytest.raises(ValueError, match="n_classes >= 2"):
        models.classification_mlp(8, 1)
    with pytest.raises(ValueError, match="n_classes must be an integer"):
        models.classification_mlp(8, 2.0)
    with pytest.raises(ValueError, match=r"must be one of \['cross_entropy', 'huber', 'mae', 'mse'\], got 'l2'"):
        models.loss_by_name("l2")
    with pytest.raises(ValueError, match="delta must be a finite number > 0"):
        models.loss_by_name("huber", delta=0)
    reg = models.regression_mlp(2, hidden=(3,))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\), C >= 2"):
        models.predict_classes(reg, reg.init(0), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="Layer as net"):
        models.predict_proba("net", [], np.zeros((4, 2)))


# -- baselines -----------------------------------------------------------------------------------------

def test_linear_baseline_recovers_an_exact_linear_function():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    w, b = np.array([2.0, -1.0, 0.5]), 7.0
    model = models.linear_baseline(X, X @ w + b)
    assert_allclose(model.w, w, rtol=1e-12, err_msg="weights not recovered")
    assert_allclose(model.b, b, rtol=1e-12, err_msg="intercept not recovered")
    assert model.predict(X).shape == (30,)


def test_linear_baseline_solves_the_normal_equations():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 4)), rng.normal(size=40)
    model = models.linear_baseline(X, y)
    A = np.c_[np.ones(40), X]
    coef = np.linalg.solve(A.T @ A, A.T @ y)
    assert_allclose(np.r_[model.b, model.w], coef, rtol=1e-10, err_msg="not the least-squares solution")
    residual = y - model.predict(X)
    assert_allclose(A.T @ residual, 0.0, atol=1e-11, err_msg="residual not orthogonal to [1, X]")


def test_linear_baseline_with_a_2d_target():
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    model = models.linear_baseline(X, Y)
    assert model.w.shape == (3, 2) and model.b.shape == (2,) and model.predict(X).shape == (20, 2)
    for j in range(2):
        assert_allclose(model.predict(X)[:, j], models.linear_baseline(X, Y[:, j]).predict(X), rtol=1e-10)


def test_linear_baseline_rejects_bad_input():
    with pytest.raises(ValueError, match=r"same N >= 1, got \(5, 2\) and \(4,\)"):
        models.linear_baseline(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="finite"):
        models.linear_baseline(np.full((3, 1), np.inf), np.zeros(3))
    model = models.linear_baseline(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match=r"fit on 3 features expects X of shape \(N, 3\), got \(2, 2\)"):
        model.predict(np.zeros((2, 2)))


def test_majority_baseline():
    model = models.majority_baseline([2, 0, 2, 1, 2], 4)
    assert model.label == 2
    assert_array_equal(model.counts, [1, 1, 3, 0])
    pred = model.predict(np.zeros((3, 5)))
    assert pred.dtype == np.int64
    assert_array_equal(pred, [2, 2, 2])
    assert models.majority_baseline([1, 0, 1, 0], 2).label == 0  # a tie goes to the smaller label


def test_majority_baseline_rejects_bad_input():
    with pytest.raises(ValueError, match=r"integers in \[0, 2\), got \[5"):
        models.majority_baseline([0, 5], 2)
    with pytest.raises(ValueError, match="N >= 1 rows"):
        models.majority_baseline([0, 1], 2).predict(np.zeros((0, 3)))


# -- data for the examples -----------------------------------------------------------------------------

def test_strength_classes_and_band_names():
    y = np.array([2.3, 19.99, 20.0, 39.9, 40.0, 82.6])
    assert_array_equal(models.strength_classes(y), [0, 0, 1, 1, 2, 2])  # an edge belongs to the class above
    assert models.band_names() == ["< 20 MPa", "20-40 MPa", ">= 40 MPa"]
    assert_array_equal(models.strength_classes(y, edges=(30,)), [0, 0, 0, 1, 1, 1])
    assert models.band_names((10, 25.5, 50), unit="N") == ["< 10 N", "10-25.5 N", "25.5-50 N", ">= 50 N"]


def test_strength_classes_of_the_concrete_data():
    _, y = lc.data.load_concrete()
    counts = np.bincount(models.strength_classes(y), minlength=3)
    assert counts.sum() == 1030 and (counts > 150).all()


def test_strength_classes_reject_bad_input():
    with pytest.raises(ValueError, match="increasing"):
        models.strength_classes(np.ones(3), edges=(40, 20))
    with pytest.raises(ValueError, match="increasing"):
        models.band_names(())
    with pytest.raises(ValueError, match=r"shape \(N,\), got \(2, 2\)"):
        models.strength_classes(np.ones((2, 2)))


def test_make_spirals_is_seeded_balanced_and_on_its_arms():
    X, y = models.make_spirals(50, 3, noise=0.05, rng=1)
    assert X.shape == (150, 2) and y.shape == (150,) and y.dtype == np.int64
    assert_array_equal(np.bincount(y), [50, 50, 50])
    X2, y2 = models.make_spirals(50, 3, noise=0.05, rng=1)
    assert_array_equal(X, X2)
    assert not np.array_equal(X, models.make_spirals(50, 3, noise=0.05, rng=2)[0])
    clean, labels = models.make_spirals(20, 2, noise=0.0, turns=0.5)
    r = np.linspace(0.05, 1.0, 20)
    assert_allclose(np.hypot(*clean[labels == 0].T), r, rtol=1e-12, err_msg="radius of arm 0")
    angle = 2 * np.pi * (0.5 * r + 0.5)  # arm 1 is rotated by half a turn
    assert_allclose(clean[labels == 1], np.c_[r * np.cos(angle), r * np.sin(angle)], atol=1e-12)


def test_make_spirals_rejects_bad_input():
    with pytest.raises(ValueError, match="n_classes >= 2"):
        models.make_spirals(10, 1)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        models.make_spirals(10, 2, noise=-0.1)
    with pytest.raises(ValueError, match="n_per_class must be >= 1"):
        models.make_spirals(0)
