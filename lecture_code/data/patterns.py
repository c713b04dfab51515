"""Synthetic grayscale images for chapter 8's image classification: short strokes in four orientations.

Each image is ``size x size`` pixels, zero except for one stroke of ``length`` pixels set
to 1: a horizontal bar, a vertical bar, a diagonal (top left to bottom right) or an
anti-diagonal (top right to bottom left), placed uniformly at random wherever it fits,
plus Gaussian pixel noise. The class is the orientation, wherever the stroke lies: a
detector that works at one position works at every position, which is what a
convolution's shared kernel assumes. Images are flattened row-major, as ``lc.Conv2D``
takes them: ``X[n].reshape(size, size)`` is image ``n``.
"""

from __future__ import annotations

import numpy as np

from .._validate import int_between, nonneg_float, positive_int, rng_from

__all__ = ["PATTERN_CLASSES", "make_patterns"]

PATTERN_CLASSES = ("horizontal", "vertical", "diagonal", "anti-diagonal")  #: label c names PATTERN_CLASSES[c]


def _stroke(label: int, size: int, length: int, gen) -> np.ndarray:
    """(size, size) image with one stroke of class ``label`` at a random position where it fits."""
    image = np.zeros((size, size))
    along = np.arange(length)
    free = size - length + 1  # start positions along the stroke's direction
    if label == 0:  # horizontal: any row, a run of columns
        image[gen.integers(size), gen.integers(free) + along] = 1.0
    elif label == 1:  # vertical: a run of rows, any column
        image[gen.integers(free) + along, gen.integers(size)] = 1.0
    else:  # diagonals: a run of rows and a run of columns, the columns reversed for the anti-diagonal
        row, col = gen.integers(free, size=2)
        image[row + along, col + (along if label == 2 else along[::-1])] = 1.0
    return image


def make_patterns(n_per_class: int = 100, size: int = 8, length: int = 4, noise: float = 0.3, *, rng):
    """``(X, y)``: X : (4 * n_per_class, size * size) flattened images, y : (N,) int labels in 0..3.

    Label c is the stroke's orientation, ``PATTERN_CLASSES[c]``; every class has
    ``n_per_class`` images, and the rows come in random order. ``length`` (2 <= length <= size)
    is the stroke's number of pixels, ``noise`` the SD of the Gaussian noise added to every
    pixel. All draws (positions, noise, order) come from ``rng``, a NumPy Generator or a seed >= 0.
    """
    n = positive_int(n_per_class, "make_patterns", "n_per_class")
    size = positive_int(size, "make_patterns", "size")
    if size < 2:
        raise ValueError(f"make_patterns expects size to be an integer >= 2 (pixels per side), got {size}")
    length = int_between(length, 2, size, "make_patterns", "length")
    noise = nonneg_float(noise, "make_patterns", "noise")
    gen = rng_from(rng, "make_patterns")
    labels = np.repeat(np.arange(len(PATTERN_CLASSES)), n)
    images = np.stack([_stroke(int(c), size, length, gen) for c in labels])
    X = images.reshape(len(labels), size * size) + noise * gen.normal(size=(len(labels), size * size))
    order = gen.permutation(len(labels))
    return X[order], labels[order]
