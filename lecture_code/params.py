"""Parameter trees: the ``thetas`` of a network (nested lists of dicts of arrays) as one object.

A training step, a penalty or an optimizer treats all parameters alike;
these helpers map a function over every array, and flatten the tree into
one vector (and back) for optimizers such as ``scipy.optimize.minimize``.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_array, shape_str


def tree_map(fn, tree, *others):
    """The tree of ``fn(a, b, ...)`` over matching arrays of ``tree`` and ``others``."""
    if isinstance(tree, dict):
        return {key: tree_map(fn, tree[key], *(o[key] for o in others)) for key in tree}
    if isinstance(tree, (list, tuple)):
        return [tree_map(fn, t, *(o[i] for o in others)) for i, t in enumerate(tree)]
    return fn(tree, *others)


def leaves(tree, prefix: str = "") -> list:
    """``[(name, array), ...]`` in a fixed order; names like ``"2.W"`` (layer 2's W)."""
    if isinstance(tree, dict):
        return [item for key in tree for item in leaves(tree[key], f"{prefix}{key}" if not prefix else f"{prefix}.{key}")]
    if isinstance(tree, (list, tuple)):
        return [item for i, t in enumerate(tree) for item in leaves(t, f"{prefix}.{i}" if prefix else str(i))]
    return [(prefix, tree)]


def flatten(tree) -> np.ndarray:
    """All parameters as one vector (float64, or float32 if they all are), in the order of :func:`leaves`."""
    arrays = [np.ravel(a) for _, a in leaves(tree)]
    return np.concatenate(arrays) if arrays else np.zeros(0)


def unflatten(vector, like):
    """The tree shaped like ``like`` holding the entries of ``vector`` (inverse of :func:`flatten`)."""
    vector = as_array(vector, "vector")
    sizes = [np.size(a) for _, a in leaves(like)]
    if vector.shape != (sum(sizes),):
        raise ValueError(f"expected a vector of shape ({sum(sizes)},) for these parameters, got {shape_str(vector.shape)}")
    pieces = iter(np.split(vector, np.cumsum(sizes)[:-1]) if sizes else [])
    return tree_map(lambda a: next(pieces).reshape(np.shape(a)).copy(), like)


def count(tree) -> int:
    """The number of scalar parameters."""
    return int(sum(np.size(a) for _, a in leaves(tree)))
