"""Wall time of the Jacobian strategies of chapter 3, measured in a fresh process.

:mod:`lecture_code.cost` counts the multiply-adds of forward mode, reverse mode
and the dense product exactly; :func:`time_jacobians` measures how long
:func:`lecture_code.cost.jacobian_by` takes by each, so that the counts can be
compared with the clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from ._validate import nonneg_int, positive_int
from .cost import MODES, _checked, _mode, _run, _sizes

__all__ = ["time_jacobians"]


def time_jacobians(sizes_list, *, rng: int, modes=("forward", "reverse"), repeat: int = 3, threads: int = 1) -> dict:
    """Seconds of :func:`jacobian_by` on ``mlp(sizes)`` for each widths list: ``{mode: [best of repeat, ...]}``.

    Timed in a fresh Python process whose BLAS may use ``threads`` threads (one by
    default): on a machine shared with other work, a multithreaded matrix product
    waits for busy cores, and its timings say more about the load than about the
    algorithm. The modes alternate within each repeat; x and the parameters are
    drawn in that process from the seed ``rng`` (an integer >= 0).
    """
    if not isinstance(sizes_list, (list, tuple)) or not sizes_list:
        raise ValueError(f"time_jacobians expects a non-empty list of widths lists, got {sizes_list!r:.80}")
    if not isinstance(modes, (list, tuple)) or not modes:
        raise ValueError(f"time_jacobians expects modes to be a non-empty list drawn from {list(MODES)}, got {modes!r}")
    seed = nonneg_int(rng, "time_jacobians", "rng (a seed)")
    job = {
        "sizes_list": [_sizes(sizes) for sizes in sizes_list],
        "modes": [_mode(mode) for mode in modes],
        "repeat": positive_int(repeat, "time_jacobians", "repeat"),
        "seed": int(seed),
    }
    n = str(positive_int(threads, "time_jacobians", "threads"))
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # so the child imports this lecture_code
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n)
    done = subprocess.run(
        [sys.executable, "-c", "from lecture_code.timing import _time_main; _time_main()"],
        input=json.dumps(job), capture_output=True, text=True, env=env, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the timing process failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def _time_main():
    """Run in the timing process: read the job from stdin, print ``{mode: [seconds, ...]}`` as JSON."""
    from .sequential import mlp

    job = json.loads(sys.stdin.read())
    times = {mode: [] for mode in job["modes"]}
    for sizes in job["sizes_list"]:
        net = mlp(sizes)
        thetas = net.init(job["seed"])
        x = np.random.default_rng(job["seed"]).normal(size=sizes[0])
        leaves, x, _ = _checked(net, thetas, x, "forward")
        best = {mode: float("inf") for mode in job["modes"]}
        for _ in range(job["repeat"]):
            for mode in job["modes"]:
                start = time.perf_counter()
                _run(leaves, x, mode, lambda a: a, lambda a: a)
                best[mode] = min(best[mode], time.perf_counter() - start)
        for mode in job["modes"]:
            times[mode].append(best[mode])
    print(json.dumps(times))
