"""Initialization schemes: their scales, seeds and shapes."""

import numpy as np
import pytest

import lecture_code as lc
from lecture_code.initialization import initialize


def test_schemes_have_their_documented_scales():
    net = lc.mlp([400, 300, 1])
    small = initialize(net, 0, "small", scale=0.01)
    glorot = initialize(net, 0, "glorot")
    he = initialize(net, 0, "he")
    assert small[0]["W"].std() == pytest.approx(0.01, rel=0.02)
    assert np.abs(glorot[0]["W"]).max() <= np.sqrt(6 / 700)
    assert glorot[0]["W"].std() == pytest.approx(np.sqrt(6 / 700) / np.sqrt(3), rel=0.02)
    assert he[0]["W"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    for thetas in (small, glorot, he):
        assert not thetas[0]["b"].any() and thetas[1] == {}
        assert thetas[0]["W"].shape == (300, 400) and thetas[2]["W"].shape == (1, 300)


def test_initialize_is_seeded_and_fits_nested_networks():
    net = lc.Sequential([lc.Sequential([lc.Linear(3, 4), lc.Tanh()]), lc.Linear(4, 2)])
    a, b = initialize(net, 5, "he"), initialize(net, np.random.default_rng(5), "he")
    assert np.array_equal(a[0][0]["W"], b[0][0]["W"]) and a[0][1] == {}
    net.forward(np.ones(3), a)  # the shapes fit the network


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(scheme="xavier"), r"scheme must be one of \['small', 'glorot', 'he'\], got 'xavier'"),
    (dict(scale=0.0), r"scale must be a finite number > 0, got 0.0"),
    (dict(rng="a"), r"rng must be"),
])
def test_initialize_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        initialize(lc.mlp([2, 2]), **kwargs)
    with pytest.raises(ValueError, match=r"expects a lecture_code Layer, got function"):
        initialize(lambda x: x)
