"""What every self-check shares: one printed verdict line and a checked list of widths."""

from __future__ import annotations

from .._validate import positive_int


def report(ok: bool, good: str, hint: str) -> bool:
    """Print ``Correct: <good>`` or ``Not yet: <hint>`` and return ``ok``."""
    print(f"Correct: {good}" if ok else f"Not yet: {hint}")
    return ok


def sizes(widths) -> list:
    """``widths`` as a list of at least two ints >= 1, else ``ValueError``."""
    if not isinstance(widths, (list, tuple)) or len(widths) < 2:
        raise ValueError(f"expected a list of at least two layer widths, got {widths!r}")
    return [positive_int(s, f"sizes[{i}]") for i, s in enumerate(widths)]
