"""Data for the book: the concrete strength data, seeded splits and standardization.

The Concrete Compressive Strength data (Yeh 1998; UCI, CC BY 4.0) ships with the
package, so the chapters work offline and in Colab; see ``README.md`` beside this
file for its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._validate import as_array, rng_from, shape_str

FEATURES = (
    "cement", "blast_furnace_slag", "fly_ash", "water",
    "superplasticizer", "coarse_aggregate", "fine_aggregate", "age_days",
)
TARGET = "compressive_strength_mpa"


def load_concrete():
    """``(X, y)``: X : (1030, 8) mixture (kg/m^3) and age (days), columns as in ``FEATURES``; y : (1030,) strength in MPa."""
    with resources.files(__name__).joinpath("concrete.csv").open("r", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if tuple(header) != FEATURES + (TARGET,) or table.shape != (1030, 9):
        raise ValueError(f"concrete.csv is not the expected file: header {header}, shape {shape_str(table.shape)}")
    return table[:, :8].copy(), table[:, 8].copy()


@dataclass(frozen=True)
class Split:
    """Training, validation and test parts of a data set (rows drawn without overlap)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def split(X, y, fractions=(0.7, 0.15, 0.15), rng=0) -> Split:
    """Shuffle the N rows with ``rng`` and cut them into train / validation / test by ``fractions``.

    X : (N, D), y : (N,) or (N, M); ``fractions`` are three positive numbers summing to 1.
    The sizes are rounded down for validation and test; training gets the rest.
    """
    X = as_array(X, "X")
    y = as_array(y, "y")
    if X.ndim != 2 or y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"split expects X of shape (N, D) and y with N rows, got X {shape_str(X.shape)} and y {shape_str(y.shape)}")
    f = np.asarray(fractions, dtype=np.float64)
    if f.shape != (3,) or (f <= 0).any() or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions!r}")
    n = X.shape[0]
    n_val, n_test = int(f[1] * n), int(f[2] * n)
    if min(n_val, n_test, n - n_val - n_test) < 1:
        raise ValueError(f"fractions {fractions!r} of N = {n} rows leave a part empty")
    order = rng_from(rng).permutation(n)
    val, test, train = order[:n_val], order[n_val:n_val + n_test], order[n_val + n_test:]
    return Split(X[train], y[train], X[val], y[val], X[test], y[test])


@dataclass(frozen=True)
class Standardizer:
    """Per-column mean and standard deviation of the data it was fit on; ``transform`` gives mean 0, SD 1 there."""

    mean: np.ndarray
    scale: np.ndarray

    def _check(self, X, name):
        X = as_array(X, name)
        if X.ndim not in (1, 2) or X.shape[-1] != self.mean.shape[0]:
            d = self.mean.shape[0]
            raise ValueError(f"Standardizer fit on {d} columns expects {name} of shape ({d},) or (N, {d}), got {shape_str(X.shape)}")
        return X

    def transform(self, X) -> np.ndarray:
        """(X - mean) / scale."""
        return (self._check(X, "X") - self.mean) / self.scale

    def inverse(self, Z) -> np.ndarray:
        """Z * scale + mean: back to the original units."""
        return self._check(Z, "Z") * self.scale + self.mean


def fit_standardizer(X, names=None) -> Standardizer:
    """The standardizer of X : (N, D), N >= 2 (fit it on the training split only, then apply it to every split).

    A constant column (SD 0) cannot be standardized: it raises ``ValueError`` naming the column.
    """
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"fit_standardizer expects X of shape (N, D) with N >= 2, got {shape_str(X.shape)}")
    mean, scale = X.mean(axis=0), X.std(axis=0)
    constant = np.flatnonzero(scale <= 1e-12 * np.maximum(1.0, np.abs(mean)))
    if constant.size:
        j = int(constant[0])
        label = f"column {j}" + (f" ({names[j]!r})" if names is not None else "")
        raise ValueError(
            f"{label} is constant (value {mean[j]:g}, SD 0) on the data the standardizer is fit on: "
            f"it carries no information there and cannot be scaled to SD 1; drop it before fitting"
        )
    return Standardizer(mean, scale)


__all__ = ["FEATURES", "TARGET", "load_concrete", "Split", "split", "Standardizer", "fit_standardizer"]
