"""The synthetic stroke images of chapter 8 (lecture_code.data.patterns)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from lecture_code.data import patterns


def _stroke_pixels(image):
    """(rows, cols) of the pixels set to 1 in a noise-free image, in reading order."""
    rows, cols = np.nonzero(image == 1.0)
    return rows, cols


def test_shapes_labels_and_balanced_classes():
    X, y = patterns.make_patterns(7, size=6, length=3, noise=0.2, rng=0)
    assert X.shape == (28, 36) and y.shape == (28,) and y.dtype.kind == "i"
    assert_array_equal(np.bincount(y, minlength=4), [7, 7, 7, 7])
    assert len(patterns.PATTERN_CLASSES) == 4 and patterns.PATTERN_CLASSES[0] == "horizontal"
    assert not np.array_equal(y, np.sort(y)), "the rows are shuffled, not grouped by class"


@pytest.mark.parametrize("size, length", [(8, 4), (5, 5), (6, 2), (2, 2)])
def test_without_noise_every_image_is_one_stroke_of_its_class(size, length):
    X, y = patterns.make_patterns(30, size=size, length=length, noise=0.0, rng=1)
    steps = np.arange(length)
    for image, label in zip(X.reshape(-1, size, size), y):
        assert set(np.unique(image)) == {0.0, 1.0}
        rows, cols = _stroke_pixels(image)
        assert rows.size == length, f"a stroke has {length} pixels, got {rows.size}"
        order = np.argsort(rows * size + cols)
        rows, cols = rows[order], cols[order]
        if label == 0:
            assert_array_equal(rows, np.full(length, rows[0]), err_msg="a horizontal bar stays in one row")
            assert_array_equal(cols, cols[0] + steps)
        elif label == 1:
            assert_array_equal(cols, np.full(length, cols[0]), err_msg="a vertical bar stays in one column")
            assert_array_equal(rows, rows[0] + steps)
        elif label == 2:
            assert_array_equal(rows, rows[0] + steps)
            assert_array_equal(cols, cols[0] + steps, err_msg="a diagonal runs down and to the right")
        else:
            assert_array_equal(rows, rows[0] + steps)
            assert_array_equal(cols, cols[0] - steps, err_msg="an anti-diagonal runs down and to the left")


def test_strokes_appear_at_every_position_where_they_fit():
    size, length = 6, 3
    X, y = patterns.make_patterns(400, size=size, length=length, noise=0.0, rng=2)
    images = X.reshape(-1, size, size)
    starts = {c: set() for c in range(4)}
    for image, label in zip(images, y):
        rows, cols = _stroke_pixels(image)
        starts[int(label)].add((int(rows.min()), int(cols.min())))
    free = size - length + 1
    assert len(starts[0]) == size * free  # any row, free column starts
    assert len(starts[1]) == free * size
    assert len(starts[2]) == free * free and len(starts[3]) == free * free


def test_noise_has_the_requested_sd_and_the_draws_follow_rng():
    size, length, noise = 8, 4, 0.3
    X, _ = patterns.make_patterns(500, size=size, length=length, noise=noise, rng=3)
    p = length / size**2  # fraction of stroke pixels
    assert X.mean() == pytest.approx(p, abs=0.01)
    assert X.var() == pytest.approx(p * (1 - p) + noise**2, rel=0.02)
    again, _ = patterns.make_patterns(500, size=size, length=length, noise=noise, rng=np.random.default_rng(3))
    assert_array_equal(X, again, err_msg="a seed and a Generator from it draw the same images")
    other, _ = patterns.make_patterns(500, size=size, length=length, noise=noise, rng=4)
    assert not np.array_equal(X, other)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_per_class=0), r"make_patterns expects n_per_class to be an integer >= 1, got 0"),
    (dict(size=1), r"make_patterns expects size to be an integer >= 2 \(pixels per side\), got 1"),
    (dict(size=2.5), r"make_patterns expects size to be an integer >= 1, got 2.5"),
    (dict(size=6, length=7), r"make_patterns expects length to be an integer with 2 <= length <= 6, got 7"),
    (dict(length=1), r"make_patterns expects length to be an integer with 2 <= length <= 8, got 1"),
    (dict(noise=-0.1), r"make_patterns expects noise to be a finite number >= 0, got -0.1"),
    (dict(noise=float("nan")), r"make_patterns expects noise to be a finite number >= 0, got nan"),
    (dict(rng=-1), r"make_patterns expects rng to be a numpy.random.Generator or a seed >= 0, got -1"),
])
def test_bad_input_is_named(kwargs, message):
    kwargs = {"rng": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        patterns.make_patterns(**kwargs)
