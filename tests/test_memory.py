"""lecture_code.memory: checkpointed backprop gives backprop's gradients exactly, and keeps less."""

import numpy as np
import pytest
from cases import chapter1_net

import lecture_code as lc
from lecture_code import memory

L = lc.losses


def _same(a, b):
    return all(np.array_equal(x, y) for (_, x), (_, y) in zip(lc.params.leaves(a), lc.params.leaves(b)))


@pytest.mark.parametrize("make, every", [
    (lambda: lc.mlp([5, 8, 8, 8, 8, 2], "tanh"), None),
    (lambda: lc.mlp([5, 8, 8, 8, 8, 2], "relu"), 1),
    (lambda: lc.mlp([5, 8, 8, 8, 8, 2], "sigmoid"), 3),
    (lambda: lc.mlp([5, 8, 8, 8, 8, 2]), 100),
    (chapter1_net, 2),  # nested Sequentials: their leaves are checkpointed
    (lambda: lc.Sequential([lc.Conv1D(1, 2, 3, 10), lc.Tanh(), lc.Linear(16, 2)]), 2),
    (lambda: lc.Sequential([lc.RNN(1, 3, 5), lc.Linear(3, 2)]), 1),
])
def test_checkpointed_gradients_are_backprops_exactly(make, every):
    net = make()
    thetas = net.init(0)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(6, net.d_in or 4)), rng.normal(size=(6, 2))
    value, grads = lc.backprop(net, thetas, X, Y, L.squared_error)
    value2, grads2 = memory.backprop_checkpointed(net, thetas, X, Y, L.squared_error, every=every)
    assert value2 == value and _same(grads, grads2)
    assert lc.params.tree_map(np.shape, grads2) == lc.params.tree_map(np.shape, grads)


def test_checkpoint_segments_cover_every_layer_once():
    assert memory.checkpoint_segments(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert memory.checkpoint_segments(4, 1) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert memory.checkpoint_segments(4, 9) == [(0, 4)]


def _peaks(depth, batch=128, width=32):
    net = lc.mlp([width] + [width] * depth + [1], "tanh")
    thetas = net.init(0)
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(batch, width)), rng.normal(size=(batch, 1))
    _, reverse = memory.peak_memory(lc.backprop, net, thetas, X, Y, L.squared_error)
    _, checkpointed = memory.peak_memory(memory.backprop_checkpointed, net, thetas, X, Y, L.squared_error)
    _, forward = memory.peak_memory(net.jvp, X, thetas, X)
    return reverse, checkpointed, forward


def test_reverse_mode_memory_grows_with_depth_and_checkpointing_cuts_it():
    one_activation = 128 * 32 * 8
    r8, c8, f8 = _peaks(8)
    r32, c32, f32 = _peaks(32)
    # reverse mode keeps every layer's input: four times the depth, several times the memory
    assert r32 - r8 > 24 * 2 * one_activation
    # forward mode keeps the current value and tangent only: no growth with depth
    assert f32 < f8 + 4 * one_activation and f32 < r32 / 10
    # checkpointing every sqrt(K) layers: far less than reverse mode, growing like sqrt(depth)
    assert c32 < r32 / 2 and c32 - c8 < (r32 - r8) / 2


def test_peak_memory_measures_what_a_function_allocates():
    _, peak = memory.peak_memory(lambda: np.ones(100_000).sum())
    assert 800_000 <= peak < 1_000_000
    assert memory.peak_memory(lambda a, b: a + b, 2, b=3)[0] == 5


@pytest.mark.parametrize("call, message", [
    (lambda: memory.peak_memory(3), r"peak_memory expects a function, got int"),
    (lambda: memory.checkpoint_segments(0, 2), r"checkpoint_segments expects n_layers to be an integer >= 1, got 0"),
    (lambda: memory.backprop_checkpointed(lc.mlp([2, 1]), lc.mlp([2, 1]).init(0), np.ones((3, 2)), np.ones((3, 1)),
                                          L.squared_error, every=0), r"expects every to be an integer >= 1, got 0"),
    (lambda: memory.backprop_checkpointed(np.tanh, [], np.ones((3, 2)), np.ones((3, 1)), L.squared_error),
     r"backprop_checkpointed expects a Layer"),
    (lambda: memory.backprop_checkpointed(lc.mlp([2, 1]), lc.mlp([2, 1]).init(0), np.ones((3, 2)), np.ones((4, 1)),
                                          L.squared_error), r"as many targets as examples"),
    (lambda: memory.backprop_checkpointed(lc.mlp([2, 1]), lc.mlp([2, 1]).init(0), np.ones((3, 2)), np.ones((3, 1)),
                                          np.square), r"expects a lecture_code loss"),
])
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
