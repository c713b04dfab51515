"""Sphinx extension: the chapters' kernels use one BLAS thread each.

The chapters multiply small matrices, for which a second BLAS thread costs more in
synchronisation than it saves, and on a small machine it competes with the build itself:
on the 2-core machine the book is developed on, a clean build takes 136 s with one thread
against 151 s with the default (``benchmarks/bench_build.py``). The kernels that execute
the chapters inherit these variables; a value already set in the environment wins.
"""

import os

THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def setup(app):
    for name in THREADS:
        os.environ.setdefault(name, "1")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
