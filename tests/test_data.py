"""The concrete data, splits and the standardizer."""

import hashlib
from importlib import resources

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lecture_code import data


def test_concrete_is_the_published_file():
    raw = resources.files("lecture_code.data").joinpath("concrete.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "a5e73bc2bab8389353d88bc0c1db30d4d22b7e64b86595cfeab0510ea0f79e8b"
    X, y = data.load_concrete()
    assert X.shape == (1030, 8) and y.shape == (1030,)
    means = np.append(X.mean(axis=0), y.mean()).round(2)
    assert_allclose(means, [281.17, 73.90, 54.19, 181.57, 6.20, 972.92, 773.58, 45.66, 35.82], atol=0.006)
    assert len(data.FEATURES) == 8 and data.TARGET == "compressive_strength_mpa"


def test_split_is_seeded_disjoint_and_complete():
    X, y = data.load_concrete()
    a, b = data.split(X, y, rng=0), data.split(X, y, rng=0)
    assert (len(a.y_train), len(a.y_val), len(a.y_test)) == (722, 154, 154)
    assert np.array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, data.split(X, y, rng=1).X_test)
    rows = np.concatenate([a.X_train, a.X_val, a.X_test])
    assert_allclose(np.sort(rows, axis=0), np.sort(X, axis=0), rtol=0, atol=0)
    # targets travel with their inputs
    lookup = {tuple(row) + (t,) for row, t in zip(X, y)}
    assert all(tuple(row) + (t,) in lookup for row, t in zip(a.X_val, a.y_val))


def test_standardizer_fit_on_training_data_only():
    X, y = data.load_concrete()
    parts = data.split(X, y, rng=0)
    scaler = data.fit_standardizer(parts.X_train)
    Z = scaler.transform(parts.X_train)
    assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    Zv = scaler.transform(parts.X_val)
    assert not np.allclose(Zv.mean(axis=0), 0, atol=1e-3)  # the validation rows did not shape the scaling
    assert_allclose(scaler.inverse(Zv), parts.X_val, rtol=1e-12)


def test_a_constant_feature_is_reported_not_divided_by_zero():
    X = np.random.default_rng(0).normal(size=(20, 3))
    X[:, 1] = 7.5
    with pytest.raises(ValueError, match=r"column 1 \('b'\) is constant \(value 7.5, SD 0\)"):
        data.fit_standardizer(X, names=["a", "b", "c"])


@pytest.mark.parametrize("call,pattern", [
    (lambda: data.split(np.ones((10, 2)), np.ones(9)), r"X of shape \(N, D\) and y with N rows, got X \(10, 2\) and y \(9,\)"),
    (lambda: data.split(np.ones((10, 2)), np.ones(10), fractions=(0.5, 0.5, 0.5)), r"summing to 1, got \(0.5, 0.5, 0.5\)"),
    (lambda: data.split(np.ones((5, 2)), np.ones(5), fractions=(0.9, 0.05, 0.05)), r"leave a part empty"),
    (lambda: data.fit_standardizer(np.ones(3)), r"N >= 2, got \(3,\)"),
    (lambda: data.fit_standardizer(np.random.default_rng(0).normal(size=(4, 2))).transform(np.ones((3, 3))),
     r"fit on 2 columns expects X of shape \(2,\) or \(N, 2\), got \(3, 3\)"),
    (lambda: data.split(np.full((10, 2), np.nan), np.ones(10)), r"X must be finite"),
])
def test_data_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
