"""The concrete data, splits and the standardizer; the strength classes and the spirals of chapter 7."""

import hashlib
from importlib import resources

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

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
    (lambda: data.split(np.ones((10, 2)), np.ones(9), rng=0),
     r"split expects X of shape \(N, D\) and y with N rows, got X \(10, 2\) and y \(9,\)"),
    (lambda: data.split(np.ones((10, 2)), np.ones(10), fractions=(0.5, 0.5, 0.5), rng=0),
     r"split expects fractions to be three positive numbers summing to 1, got \(0.5, 0.5, 0.5\)"),
    (lambda: data.split(np.ones((5, 2)), np.ones(5), fractions=(0.9, 0.05, 0.05), rng=0),
     r"split expects fractions that leave no part empty, got \(0.9, 0.05, 0.05\) of N = 5 rows"),
    (lambda: data.split(np.ones((10, 2)), np.ones(10), rng=None),
     r"split expects rng to be a numpy.random.Generator or a seed >= 0, got None"),
    (lambda: data.fit_standardizer(np.ones(3)),
     r"fit_standardizer expects X of shape \(N, D\) with N >= 2, got \(3,\)"),
    (lambda: data.fit_standardizer(np.random.default_rng(0).normal(size=(4, 2))).transform(np.ones((3, 3))),
     r"fit on 2 columns expects X of shape \(2,\) or \(N, 2\), got \(3, 3\)"),
    (lambda: data.split(np.full((10, 2), np.nan), np.ones(10), rng=0), r"X must be finite"),
])
def test_data_bad_input(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_split_needs_rng():
    with pytest.raises(TypeError, match="rng"):
        data.split(np.ones((10, 2)), np.ones(10))  # no default seed: the caller chooses it


# -- data for chapter 7's classification examples ------------------------------------------------------

def test_strength_classes_and_band_names():
    y = np.array([2.3, 19.99, 20.0, 39.9, 40.0, 82.6])
    assert_array_equal(data.strength_classes(y), [0, 0, 1, 1, 2, 2])  # an edge belongs to the class above
    assert data.band_names() == ["< 20 MPa", "20-40 MPa", ">= 40 MPa"]
    assert_array_equal(data.strength_classes(y, edges=(30,)), [0, 0, 0, 1, 1, 1])
    assert data.band_names((10, 25.5, 50), unit="N") == ["< 10 N", "10-25.5 N", "25.5-50 N", ">= 50 N"]


def test_strength_classes_of_the_concrete_data():
    _, y = data.load_concrete()
    counts = np.bincount(data.strength_classes(y), minlength=3)
    assert counts.sum() == 1030 and (counts > 150).all()


def test_strength_classes_reject_bad_input():
    with pytest.raises(ValueError, match=r"strength_classes expects edges to be an increasing 1-d sequence .*"
                                         r"got \(40, 20\)"):
        data.strength_classes(np.ones(3), edges=(40, 20))
    with pytest.raises(ValueError, match=r"band_names expects edges to be an increasing 1-d sequence .*got \(\)"):
        data.band_names(())
    with pytest.raises(ValueError, match=r"strength_classes expects y of shape \(N,\), got \(2, 2\)"):
        data.strength_classes(np.ones((2, 2)))


def test_make_spirals_is_seeded_balanced_and_on_its_arms():
    X, y = data.make_spirals(50, 3, noise=0.05, rng=1)
    assert X.shape == (150, 2) and y.shape == (150,) and y.dtype == np.int64
    assert_array_equal(np.bincount(y), [50, 50, 50])
    X2, y2 = data.make_spirals(50, 3, noise=0.05, rng=1)
    assert_array_equal(X, X2)
    assert not np.array_equal(X, data.make_spirals(50, 3, noise=0.05, rng=2)[0])
    assert_array_equal(X, data.make_spirals(50, 3, noise=0.05, rng=np.random.default_rng(1))[0],
                       err_msg="a seed and a Generator made from it draw the same points")
    clean, labels = data.make_spirals(20, 2, noise=0.0, turns=0.5, rng=0)
    r = np.linspace(0.05, 1.0, 20)
    assert_allclose(np.hypot(*clean[labels == 0].T), r, rtol=1e-12, err_msg="radius of arm 0")
    angle = 2 * np.pi * (0.5 * r + 0.5)  # arm 1 is rotated by half a turn
    assert_allclose(clean[labels == 1], np.c_[r * np.cos(angle), r * np.sin(angle)], atol=1e-12)


def test_make_spirals_rejects_bad_input():
    with pytest.raises(ValueError, match="make_spirals expects n_classes to be an integer >= 2, got 1"):
        data.make_spirals(10, 1, rng=0)
    with pytest.raises(ValueError, match="make_spirals expects noise to be a finite number >= 0, got -0.1"):
        data.make_spirals(10, 2, noise=-0.1, rng=0)
    with pytest.raises(ValueError, match="make_spirals expects n_per_class to be an integer >= 1, got 0"):
        data.make_spirals(0, rng=0)
    with pytest.raises(ValueError, match="make_spirals expects turns to be a finite number > 0, got 0"):
        data.make_spirals(10, 2, turns=0, rng=0)
    with pytest.raises(ValueError, match="make_spirals expects rng to be a numpy.random.Generator or a seed >= 0, "
                                         "got None"):
        data.make_spirals(10, 2, rng=None)
    with pytest.raises(TypeError, match="rng"):
        data.make_spirals(10, 2)  # rng has no default
