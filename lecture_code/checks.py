"""Comparing two results: the chapters' one way of saying "these agree".

A chapter computes something twice (by hand and with ``lecture_code``, with ``lecture_code``
and with PyTorch) and states that the two agree. :func:`agree` decides it for arrays, numbers
and parameter trees alike (lists and dicts of arrays, as ``net.init`` returns them);
:func:`compare` prints the verdict in one line, for nbval to compare, and returns it, for the
chapter to assert::

    assert lc.checks.compare("lc.backprop and torch.autograd", grads, torch_grads)

The tolerance is relative with an absolute floor: ``|ours - reference| <= tol * max(1, |reference|)``
element by element, so a tolerance means the same for a gradient of size 1e-3 and of size 1e3.
Two results of different structure (other keys, other lengths, other shapes) are not a
disagreement but a mistake in the comparison, and raise a ``ValueError`` that says where.
"""

from __future__ import annotations

import numpy as np

__all__ = ["max_difference", "agree", "compare"]


def _is_number(x) -> bool:
    return isinstance(x, (int, float, complex, np.number, np.bool_)) and not isinstance(x, bool)


def _pairs(ours, reference, where: str = "ours"):
    """The matching leaves of two results, ``[(where, a, b), ...]``, as float arrays.

    Dicts must have the same keys, lists and tuples the same length, arrays the same shape.
    """
    if isinstance(reference, dict):
        if not isinstance(ours, dict) or set(ours) != set(reference):
            got = sorted(map(str, ours)) if isinstance(ours, dict) else type(ours).__name__
            raise ValueError(f"compare expects {where} to be a dict with the keys {sorted(map(str, reference))}, "
                             f"got {got}")
        return [p for k in reference for p in _pairs(ours[k], reference[k], f"{where}[{k!r}]")]
    if isinstance(reference, (list, tuple)):
        if not isinstance(ours, (list, tuple)) or len(ours) != len(reference):
            got = f"length {len(ours)}" if isinstance(ours, (list, tuple)) else type(ours).__name__
            raise ValueError(f"compare expects {where} to be a sequence of length {len(reference)}, got {got}")
        return [p for i, (a, b) in enumerate(zip(ours, reference)) for p in _pairs(a, b, f"{where}[{i}]")]
    a, b = _array(ours, where), _array(reference, f"the reference of {where}")
    if a.shape != b.shape:
        raise ValueError(f"compare expects {where} to have the reference's shape {b.shape}, got {a.shape}")
    return [(where, a, b)]


def _array(x, name):
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    if not (_is_number(x) or isinstance(x, np.ndarray)):
        raise ValueError(f"compare expects {name} to be an array or a number (or a dict or list of them), "
                         f"got {type(x).__name__}")
    a = np.asarray(x)
    if a.dtype.kind not in "fiuc":
        raise ValueError(f"compare expects {name} to hold numbers, got dtype {a.dtype}")
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _tolerance(tol) -> float:
    if not _is_number(tol) or not np.isfinite(tol) or not 0 <= tol < 1:
        raise ValueError(f"compare expects tol to be a number in [0, 1), got {tol!r}")
    return float(tol)


def _scaled_error(a, b) -> float:
    """``max |a - b| / max(1, |b|)``; infinite where either side is not finite."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return np.inf
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)), initial=0.0))


def max_difference(ours, reference) -> float:
    """The largest ``|ours - reference|`` over all leaves (NaN if either side holds a NaN)."""
    return max((float(np.max(np.abs(a - b), initial=0.0)) for _, a, b in _pairs(ours, reference)), default=0.0)


def agree(ours, reference, tol: float = 1e-12) -> bool:
    """Do two results agree: same structure, finite, ``|a - b| <= tol * max(1, |b|)`` everywhere?"""
    tol = _tolerance(tol)
    return all(_scaled_error(a, b) <= tol for _, a, b in _pairs(ours, reference))


def compare(label: str, ours, reference, tol: float = 1e-12) -> bool:
    """Print ``"<label> agree to <tol>: True"`` (or ``False`` and where) and return the verdict."""
    if not isinstance(label, str) or not label:
        raise ValueError(f"compare expects a label (a non-empty str) first, got {label!r:.60}")
    tol = _tolerance(tol)
    errors = [(_scaled_error(a, b), where) for where, a, b in _pairs(ours, reference)]
    worst, where = max(errors, default=(0.0, ""))
    verdict = worst <= tol
    line = f"{label} agree to {tol:.0e}: {verdict}"
    if not verdict:
        at = f"worst at {where}: " if len(errors) > 1 or where != "ours" else ""
        line += f" ({at}" + ("not finite)" if np.isinf(worst) else f"scaled difference {worst:.3g})")
    print(line)
    return verdict
