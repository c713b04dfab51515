"""lecture_code.baselines: least squares in closed form and the majority class (chapter 7)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from lecture_code import baselines


# -- the linear baseline ---------------------------------------------------------------------------------

def test_linear_baseline_recovers_an_exact_linear_function():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    w, b = np.array([2.0, -1.0, 0.5]), 7.0
    model = baselines.linear_baseline(X, X @ w + b)
    assert_allclose(model.w, w, rtol=1e-12, err_msg="weights not recovered")
    assert_allclose(model.b, b, rtol=1e-12, err_msg="intercept not recovered")
    assert model.predict(X).shape == (30,)


def test_linear_baseline_solves_the_normal_equations():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(40, 4)), rng.normal(size=40)
    model = baselines.linear_baseline(X, y)
    A = np.c_[np.ones(40), X]
    coef = np.linalg.solve(A.T @ A, A.T @ y)
    assert_allclose(np.r_[model.b, model.w], coef, rtol=1e-10, err_msg="not the least-squares solution")
    residual = y - model.predict(X)
    assert_allclose(A.T @ residual, 0.0, atol=1e-11, err_msg="residual not orthogonal to [1, X]")


def test_linear_baseline_with_a_2d_target():
    rng = np.random.default_rng(6)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    model = baselines.linear_baseline(X, Y)
    assert model.w.shape == (3, 2) and model.b.shape == (2,) and model.predict(X).shape == (20, 2)
    for j in range(2):
        assert_allclose(model.predict(X)[:, j], baselines.linear_baseline(X, Y[:, j]).predict(X), rtol=1e-10)


def test_linear_baseline_rejects_bad_input():
    with pytest.raises(ValueError, match=r"linear_baseline expects X of shape \(N, D\) .*same N >= 1, "
                                         r"got \(5, 2\) and \(4,\)"):
        baselines.linear_baseline(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="X must be finite"):
        baselines.linear_baseline(np.full((3, 1), np.inf), np.zeros(3))
    model = baselines.linear_baseline(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match=r"LinearBaseline fit on 3 features expects X of shape \(N, 3\), got \(2, 2\)"):
        model.predict(np.zeros((2, 2)))


# -- the majority class ----------------------------------------------------------------------------------

def test_majority_baseline():
    model = baselines.majority_baseline([2, 0, 2, 1, 2], 4)
    assert model.label == 2
    assert_array_equal(model.counts, [1, 1, 3, 0])
    pred = model.predict(np.zeros((3, 5)))
    assert pred.dtype == np.int64
    assert_array_equal(pred, [2, 2, 2])
    assert baselines.majority_baseline([1, 0, 1, 0], 2).label == 0  # a tie goes to the smaller label


def test_majority_baseline_rejects_bad_input():
    with pytest.raises(ValueError, match=r"majority_baseline expects labels to hold class labels, "
                                         r"integers in \[0, 2\), got \[5"):
        baselines.majority_baseline([0, 5], 2)
    with pytest.raises(ValueError, match="majority_baseline expects n_classes to be an integer >= 1, got 0"):
        baselines.majority_baseline([0, 1], 0)
    with pytest.raises(ValueError, match=r"MajorityBaseline.predict expects X with N >= 1 rows, got shape \(0, 3\)"):
        baselines.majority_baseline([0, 1], 2).predict(np.zeros((0, 3)))
