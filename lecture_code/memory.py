"""The memory of reverse mode, and gradient checkpointing to spend less of it.

Reverse mode needs, for its backward pass, every layer's input from the forward pass
(what each pullback keeps): for K layers of width H on a batch of N examples, memory
that grows like K N H. Forward mode keeps only the current value and its tangent.

Checkpointing stores only every k-th layer input (the checkpoints) during the forward
pass. The backward pass then goes through the network segment by segment, last segment
first: it recomputes the segment's forward pass from its checkpoint, keeping that
segment's pullbacks, and pulls the cotangent back through them. At most K/k checkpoints
and the k inputs of one segment are alive at once, so the memory is about

    (K/k + k) N H,  smallest at k = sqrt(K): 2 sqrt(K) N H instead of K N H     (eq 9.5)

for the price of one more forward pass. The gradients are the same numbers: the same
pullbacks run on the same inputs, in the same order.
"""

from __future__ import annotations

import math
import tracemalloc

from ._validate import positive_int
from .backprop import checked_problem
from .layers import Layer
from .losses import Loss

__all__ = ["peak_memory", "backprop_checkpointed", "checkpoint_segments"]


def peak_memory(fn, *args, **kwargs):
    """``(result, peak)``: what ``fn(*args, **kwargs)`` returns, and the most bytes it held at once.

    Measured with ``tracemalloc``, which sees every NumPy array: the peak is over the
    allocations made during the call (what existed before it does not count).
    """
    if not callable(fn):
        raise ValueError(f"peak_memory expects a function, got {type(fn).__name__}")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return result, peak


def checkpoint_segments(n_layers: int, every: int) -> list:
    """``[(start, stop), ...]``: the layers of each segment, a checkpoint at every ``start``."""
    n_layers = positive_int(n_layers, "checkpoint_segments", "n_layers")
    every = positive_int(every, "checkpoint_segments", "every")
    return [(start, min(start + every, n_layers)) for start in range(0, n_layers, every)]


def backprop_checkpointed(net: Layer, thetas, X, Y, loss: Loss, every=None):
    """``(L, grads)`` as :func:`lecture_code.backprop` gives them, keeping only every ``every``-th layer input.

    ``every`` defaults to round(sqrt(K)) for a network of K layers (its leaves, in the
    order they act); ``every=1`` keeps them all (as ``backprop`` does, plus one more
    forward pass). grads is shaped like ``thetas``.
    """
    thetas, X = checked_problem(net, thetas, X, Y, loss, "backprop_checkpointed")
    pairs = net.leaves(thetas)
    every = max(1, round(math.sqrt(len(pairs)))) if every is None else every
    segments = checkpoint_segments(len(pairs), every)
    # forward: keep only each segment's input (the checkpoints)
    checkpoints, x = [], X
    for start, stop in segments:
        checkpoints.append(x)
        for layer, theta in pairs[start:stop]:
            x = layer._forward(x, theta)
    # backward, last segment first: recompute its forward pass with pullbacks, then pull back
    theta_bars, u, value = [None] * len(pairs), None, None
    for (start, stop), x in zip(reversed(segments), reversed(checkpoints)):
        pullbacks = []
        for layer, theta in pairs[start:stop]:
            x, pullback = layer._forward_vjp(x, theta)
            pullbacks.append(pullback)
        if u is None:  # the last segment ends in the prediction: the loss starts the sweep (eq 26)
            value, u = loss(x, Y)
        for k in reversed(range(start, stop)):
            u, theta_bars[k] = pullbacks[k - start](u)
        del pullbacks  # this segment's stored inputs go before the previous segment's are made
    found = iter(theta_bars)
    return value, net.map_leaves(lambda layer, theta: next(found), thetas)
