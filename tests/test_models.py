"""lecture_code.models: the lecture's hyperparameter tables, the MLP constructors, the predictions (chapter 7)."""

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
    value, grads = lc.backprop(net, thetas, X, labels, lc.losses.loss_by_name("cross_entropy"))
    module = tb.twin(net, thetas, device)
    t_loss = torch.nn.CrossEntropyLoss()(module(tb.to_torch(X, device)), torch.as_tensor(labels, device=device))
    t_loss.backward()
    assert_allclose(value, t_loss.item(), rtol=1e-13, err_msg="loss value differs from CrossEntropyLoss")
    for mine, theirs in zip(grads, tb.thetas_of(net, module, grad=True)):
        for key in mine:
            assert_allclose(mine[key], theirs[key], rtol=1e-11, atol=1e-14, err_msg=f"gradient of {key} differs")


def test_constructors_reject_bad_input():
    with pytest.raises(ValueError, match="regression_mlp expects n_features to be an integer >= 1, got 0"):
        models.regression_mlp(0)
    with pytest.raises(ValueError, match=r"regression_mlp expects hidden to be a tuple .* got 64"):
        models.regression_mlp(8, hidden=64)
    with pytest.raises(ValueError, match=r"regression_mlp expects hidden\[1\] to be an integer >= 1, got 0"):
        models.regression_mlp(8, hidden=(4, 0))
    with pytest.raises(ValueError, match=r"regression_mlp expects activation to be one of \['identity', 'relu', "
                                         r"'sigmoid', 'tanh'\], got 'softmax'"):
        models.regression_mlp(8, activation="softmax")
    with pytest.raises(ValueError, match=r"classification_mlp expects n_classes to be an integer >= 2 \(one output "
                                         r"neuron per class\), got 1"):
        models.classification_mlp(8, 1)
    with pytest.raises(ValueError, match="classification_mlp expects n_classes to be an integer >= 1, got 2.0"):
        models.classification_mlp(8, 2.0)
    with pytest.raises(ValueError, match=r"ArchitectureDefaults.usual expects hidden\[0\] to be an integer >= 1"):
        models.REGRESSION_DEFAULTS.usual((0,))
    reg = models.regression_mlp(2, hidden=(3,))
    with pytest.raises(ValueError, match=r"predict_classes expects a classifier .*logits of shape \(N, C\), C >= 2"):
        models.predict_classes(reg, reg.init(0), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="predict_proba expects a lecture_code Layer as net, got str"):
        models.predict_proba("net", [], np.zeros((4, 2)))


def test_one_home_per_function():
    """The baselines, the example data and the loss registry live in their own modules, not here."""
    for moved in ("loss_by_name", "LinearBaseline", "linear_baseline", "MajorityBaseline", "majority_baseline",
                  "strength_classes", "band_names", "make_spirals"):
        assert not hasattr(models, moved), moved
