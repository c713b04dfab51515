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


def test_weights_are_drawn_in_layer_order_and_biases_start_at_zero():
    thetas = initialize(lc.mlp([3, 4, 2]), 7, "small", scale=0.1)
    gen = np.random.default_rng(7)
    assert np.array_equal(thetas[0]["W"], gen.normal(0, 0.1, size=(4, 3)))
    assert np.array_equal(thetas[2]["W"], gen.normal(0, 0.1, size=(2, 4)))  # the next draw: no draw for a bias


@pytest.mark.parametrize("layer,fans", [
    (lc.Conv1D(4, 6, 5, 40), {"W": (4 * 5, 6 * 5)}),
    (lc.Conv2D(3, 8, (3, 2), (6, 6)), {"W": (3 * 6, 8 * 6)}),
    (lc.RNN(30, 50, 4), {"W_ih": (30, 50), "W_hh": (50, 50)}),
    (lc.LSTM(30, 50, 4), {"W_ih": (30, 200), "W_hh": (50, 200)}),
], ids=repr)
def test_every_layer_declares_its_weights_and_their_fans(layer, fans):
    """The schemes act on what each layer declares a weight, with the fan-in and fan-out it declares."""
    spec = layer.param_spec()
    assert {name for name, p in spec.items() if p.role == "weight"} == set(fans)
    assert all(p.role == "bias" for name, p in spec.items() if name not in fans)
    for name, (fan_in, fan_out) in fans.items():
        assert (spec[name].fan_in, spec[name].fan_out) == (fan_in, fan_out), name
    he, glorot = initialize(layer, 0, "he"), initialize(layer, 1, "glorot")
    for name, p in spec.items():
        assert he[name].shape == p.shape
        if p.role == "bias":
            assert not he[name].any() and not glorot[name].any(), name
        else:
            assert he[name].std() == pytest.approx(np.sqrt(2 / p.fan_in), rel=0.15), name
            assert np.abs(glorot[name]).max() <= np.sqrt(6 / (p.fan_in + p.fan_out)), name
    layer.forward(np.ones(layer.d_in), he)  # the shapes fit the layer


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(scheme="xavier"), r"initialize expects scheme to be one of \['small', 'glorot', 'he'\], got 'xavier'"),
    (dict(scale=0.0), r"initialize expects scale to be a finite number > 0, got 0.0"),
    (dict(rng="a"), r"initialize expects rng to be a numpy.random.Generator or a seed >= 0, got 'a'"),
    (dict(rng=None), r"got None"),
])
def test_initialize_bad_input(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        initialize(lc.mlp([2, 2]), **{"rng": 0, **kwargs})
    with pytest.raises(ValueError, match=r"expects a lecture_code Layer, got function"):
        initialize(lambda x: x, 0)
