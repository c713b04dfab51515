"""Parameter trees: map, flatten and unflatten."""

import numpy as np
import pytest
from cases import chapter1_net
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import params


def test_flatten_and_unflatten_are_inverse():
    net = chapter1_net()
    thetas = net.init(0)
    flat = params.flatten(thetas)
    assert flat.shape == (132,) and params.count(thetas) == 132
    back = params.unflatten(flat, thetas)
    for (name_a, a), (name_b, b) in zip(params.leaves(thetas), params.leaves(back)):
        assert name_a == name_b and a.shape == b.shape
        assert_allclose(a, b, rtol=0, atol=0)
    assert [name for name, _ in params.leaves(thetas)][:3] == ["0.0.W", "0.0.b", "1.0.W"]


def test_unflatten_copies_so_the_vector_can_change():
    thetas = lc.mlp([2, 2]).init(0)
    flat = params.flatten(thetas)
    back = params.unflatten(flat, thetas)
    flat[:] = 0.0
    assert np.abs(back[0]["W"]).sum() > 0


def test_tree_map_combines_matching_trees():
    thetas = lc.mlp([3, 4, 1]).init(1)
    doubled = params.tree_map(lambda a, b: a + b, thetas, thetas)
    assert_allclose(params.flatten(doubled), 2 * params.flatten(thetas), rtol=0, atol=0)
    assert doubled[1] == {}


def test_unflatten_bad_input():
    thetas = lc.mlp([2, 2]).init(0)
    with pytest.raises(ValueError, match=r"expected a vector of shape \(6,\) for these parameters, got \(5,\)"):
        params.unflatten(np.zeros(5), thetas)
    with pytest.raises(ValueError, match=r"vector must be finite"):
        params.unflatten(np.full(6, np.nan), thetas)
