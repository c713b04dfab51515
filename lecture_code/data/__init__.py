"""Data for the book: the concrete strength data, seeded splits and standardization, and the
data of chapter 7's classification examples.

The Concrete Compressive Strength data (Yeh 1998; UCI, CC BY 4.0) ships with the
package, so the chapters work offline and in Colab; see ``README.md`` beside this
file for its provenance. :func:`strength_classes` turns strengths into bands (with
:func:`band_names` to label them), :func:`make_spirals` draws a seeded 2-D
classification problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._validate import as_array, nonneg_float, positive_float, positive_int, rng_from, shape_str

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


def split(X, y, fractions=(0.7, 0.15, 0.15), *, rng) -> Split:
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
        raise ValueError(f"split expects fractions to be three positive numbers summing to 1, got {fractions!r}")
    n = X.shape[0]
    n_val, n_test = int(f[1] * n), int(f[2] * n)
    if min(n_val, n_test, n - n_val - n_test) < 1:
        raise ValueError(f"split expects fractions that leave no part empty, got {fractions!r} of N = {n} rows")
    order = rng_from(rng, "split").permutation(n)
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


# -- data for chapter 7's classification examples ------------------------------------------------------

def _edges(edges, caller: str) -> np.ndarray:
    e = as_array(edges, "edges")
    if e.ndim != 1 or e.size == 0 or (np.diff(e) <= 0).any():
        raise ValueError(f"{caller} expects edges to be an increasing 1-d sequence of at least one number, "
                         f"got {edges!r}")
    return e


def strength_classes(y, edges=(20.0, 40.0)) -> np.ndarray:
    """(N,) int labels for values y : (N,): class c holds edges[c-1] <= y < edges[c] (len(edges) + 1 classes)."""
    y = as_array(y, "y")
    if y.ndim != 1:
        raise ValueError(f"strength_classes expects y of shape (N,), got {shape_str(y.shape)}")
    return np.searchsorted(_edges(edges, "strength_classes"), y, side="right").astype(np.int64)


def band_names(edges=(20.0, 40.0), unit: str = "MPa") -> list:
    """Names of the classes of :func:`strength_classes`: ``['< 20 MPa', '20-40 MPa', '>= 40 MPa']``."""
    e = [f"{v:g}" for v in _edges(edges, "band_names")]
    return [f"< {e[0]} {unit}", *(f"{a}-{b} {unit}" for a, b in zip(e[:-1], e[1:])), f">= {e[-1]} {unit}"]


def make_spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.05, turns: float = 0.75, *, rng):
    """``(X, y)``: X : (n_per_class * n_classes, 2) points on ``n_classes`` interleaved spiral arms, y : (N,) int.

    Arm c runs from near the centre (radius 0.05) out to radius 1 through ``turns`` turns,
    rotated by 2 pi c / C; each coordinate gets Gaussian noise of SD ``noise``, drawn from
    ``rng`` (a NumPy Generator or a seed >= 0).
    """
    n = positive_int(n_per_class, "make_spirals", "n_per_class")
    c = positive_int(n_classes, "make_spirals", "n_classes")
    if c < 2:
        raise ValueError(f"make_spirals expects n_classes to be an integer >= 2, got {c}")
    noise = nonneg_float(noise, "make_spirals", "noise")
    turns = positive_float(turns, "make_spirals", "turns")
    gen = rng_from(rng, "make_spirals")
    r = np.linspace(0.05, 1.0, n)
    X, y = [], []
    for k in range(c):
        angle = 2 * np.pi * (turns * r + k / c)
        arm = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        X.append(arm + noise * gen.normal(size=arm.shape))
        y.append(np.full(n, k, dtype=np.int64))
    return np.concatenate(X), np.concatenate(y)


__all__ = ["FEATURES", "TARGET", "load_concrete", "Split", "split", "Standardizer", "fit_standardizer",
           "strength_classes", "band_names", "make_spirals"]
