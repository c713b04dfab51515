"""lecture_code.metrics: RMSE, MAE, R^2, accuracy, the confusion matrix (chapter 7), prediction first."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import lecture_code as lc
from lecture_code import metrics


# -- the order of the arguments: (prediction, target), as the losses -----------------------------------

def test_the_prediction_comes_first_as_in_the_losses():
    y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    # SS_tot around the mean of the target y = (1, 2, 3) is 2; around that of (1, 2, 4) it would be 14/3
    assert_allclose(metrics.r2(y_hat, y), 1.0 - 1.0 / 2.0, rtol=1e-15, err_msg="r2(y_hat, y): the mean is y's")
    assert_allclose(metrics.r2(y_hat=y_hat, y=y), 0.5, rtol=1e-15)
    labels = np.array([0, 1, 2, 2])      # the true classes
    labels_hat = np.array([0, 0, 0, 1])  # the predictions
    cm = metrics.confusion_matrix(labels_hat, labels, 3)
    assert_array_equal(cm, [[1, 0, 0],   # true 0: predicted 0
                            [1, 0, 0],   # true 1: predicted 0
                            [1, 1, 0]],  # true 2: predicted 0 and 1
                       err_msg="confusion_matrix(labels_hat, labels): row = true class, column = predicted")
    assert_array_equal(metrics.confusion_matrix(labels_hat=labels_hat, labels=labels, n_classes=3), cm)
    assert_array_equal(cm.sum(axis=1), metrics.class_counts(labels, 3), err_msg="row sums count the true classes")
    # the same call order as a loss: squared_error(y_hat, y) is 1/2 the mean squared error, so 1/2 rmse^2
    value, _ = lc.losses.squared_error(y_hat[:, None], y[:, None])
    assert_allclose(value, 0.5 * metrics.rmse(y_hat, y) ** 2, rtol=1e-15)


# -- regression --------------------------------------------------------------------------------------

def test_rmse_and_mae_by_hand():
    y, y_hat = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 4.0, 2.0, 4.0])  # residuals 0, 2, -1, 0
    assert_allclose(metrics.rmse(y_hat, y), np.sqrt(5.0 / 4.0), rtol=1e-15, err_msg="rmse is sqrt(mean d^2)")
    assert_allclose(metrics.mean_absolute_error(y_hat, y), 3.0 / 4.0, rtol=1e-15, err_msg="mae is mean |d|")


def test_rmse_pools_every_entry_of_a_2d_target():
    rng = np.random.default_rng(0)
    y, y_hat = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    assert_allclose(metrics.rmse(y_hat, y), np.sqrt(((y - y_hat) ** 2).mean()), rtol=1e-14)
    assert_allclose(metrics.rmse(y_hat, y), metrics.rmse(y_hat.ravel(), y.ravel()), rtol=1e-14)


def test_r2_is_one_for_a_perfect_fit_zero_for_the_mean_and_negative_when_worse():
    y = np.array([3.0, -1.0, 2.0, 7.0, 0.5])
    assert metrics.r2(y, y) == 1.0
    assert_allclose(metrics.r2(np.full(5, y.mean()), y), 0.0, atol=1e-15, err_msg="predicting the mean gives R^2 = 0")
    assert metrics.r2(y[::-1], y) < 0


def test_r2_by_hand_and_not_symmetric():
    y, y_hat = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    assert_allclose(metrics.r2(y_hat, y), 1.0 - 1.0 / 2.0, rtol=1e-15, err_msg="SS_res = 1, SS_tot = 2")
    # swapped: SS_tot of (1, 2, 4) is 14/3, so R^2 = 1 - 3/14
    assert_allclose(metrics.r2(y, y_hat), 1.0 - 3.0 / 14.0, rtol=1e-15, err_msg="the mean is that of the target y")


def test_r2_equals_one_minus_mse_over_variance():
    rng = np.random.default_rng(1)
    y = rng.normal(30, 10, size=50)
    y_hat = y + rng.normal(0, 3, size=50)
    assert_allclose(metrics.r2(y_hat, y), 1 - metrics.rmse(y_hat, y) ** 2 / y.var(), rtol=1e-13)


@pytest.mark.parametrize("fn", [metrics.rmse, metrics.mean_absolute_error, metrics.r2])
def test_regression_metrics_reject_bad_input(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name} expects y_hat and y of the same shape .* got \(3,\) and \(4,\)"):
        fn(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="y_hat must be finite"):
        fn(np.array([1.0, np.nan]), np.ones(2))
    with pytest.raises(ValueError, match=rf"{name} expects .*N >= 1"):
        fn(np.ones(0), np.ones(0))
    with pytest.raises(ValueError, match="y_hat must be an array of real numbers"):
        fn("abc", np.ones(3))


def test_r2_rejects_constant_targets():
    with pytest.raises(ValueError, match="r2 expects targets y that vary, got 4 targets that are all equal"):
        metrics.r2(np.arange(4.0), np.full(4, 2.0))
    assert metrics.r2(np.full(4, 2.0), np.arange(4.0)) < 0  # a constant prediction is fine


# -- classification ----------------------------------------------------------------------------------

def test_accuracy_by_hand():
    assert metrics.accuracy([0, 2, 2, 1], [0, 1, 2, 2]) == 0.5
    assert metrics.accuracy(np.array([1, 0]), np.array([1.0, 0.0])) == 1.0  # float labels that are integers


def test_confusion_matrix_by_hand_rows_true_columns_predicted():
    labels = [0, 0, 1, 1, 1, 2]
    labels_hat = [0, 1, 1, 1, 0, 0]
    want = np.array([[1, 1, 0],
                     [1, 2, 0],
                     [1, 0, 0]])
    cm = metrics.confusion_matrix(labels_hat, labels, 3)
    assert cm.dtype == np.int64
    assert_array_equal(cm, want, err_msg="C[i, j] counts true i predicted j")


def test_confusion_matrix_keeps_absent_classes_and_agrees_with_accuracy_and_counts():
    rng = np.random.default_rng(2)
    t = rng.integers(0, 3, size=40)  # class 3 never occurs
    p = np.where(rng.random(40) < 0.7, t, rng.integers(0, 4, size=40))
    cm = metrics.confusion_matrix(p, t, 4)
    assert cm.shape == (4, 4) and cm[3].sum() == 0 and cm.sum() == 40
    assert_allclose(np.trace(cm) / 40, metrics.accuracy(p, t), rtol=1e-15)
    assert_array_equal(cm.sum(axis=1), metrics.class_counts(t, 4))
    assert_array_equal(cm.sum(axis=0), metrics.class_counts(p, 4))


def test_class_counts():
    assert_array_equal(metrics.class_counts([2, 0, 2, 2], 4), [1, 0, 3, 0])


def test_classification_metrics_reject_bad_input():
    with pytest.raises(ValueError, match=r"confusion_matrix expects labels to hold class labels, integers in \[0, 3\), "
                                         r"got \[3"):
        metrics.confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match=r"confusion_matrix expects labels_hat to hold class labels"):
        metrics.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match=r"accuracy expects labels_hat to hold class labels, integers >= 0, "
                                         r"got \[0.5\]"):
        metrics.accuracy([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match=r"accuracy expects labels to hold class labels, integers >= 0, got \[-1"):
        metrics.accuracy([0, 1], [-1, 1])
    with pytest.raises(ValueError, match=r"accuracy expects labels_hat and labels of the same shape, "
                                         r"got \(2,\) and \(3,\)"):
        metrics.accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"confusion_matrix expects labels_hat and labels of the same shape, "
                                         r"got \(2,\) and \(1,\)"):
        metrics.confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError, match=r"accuracy expects labels_hat to be integer class labels of shape \(N,\) "
                                         r"with N >= 1, got shape \(2, 2\)"):
        metrics.accuracy(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="confusion_matrix expects n_classes to be an integer >= 1, got 0"):
        metrics.confusion_matrix([0], [0], 0)
    with pytest.raises(ValueError, match="class_counts expects n_classes to be an integer >= 1, got 2.5"):
        metrics.class_counts([0], 2.5)
