"""What the benchmark scripts share: a median wall time after one warm-up call."""

import time

import numpy as np


def median_time(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` calls of ``fn()``, after one untimed call (PyTorch traces, caches warm)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
