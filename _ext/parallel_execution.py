"""Sphinx extension: execute the chapters that need it side by side, one per CPU core.

MyST-NB executes a notebook when Sphinx reads it, one after another: a clean build of the
book spends most of its time running ten kernels in sequence while the other cores wait.
Before Sphinx reads anything, this extension finds the notebooks that the execution cache
(``execute_notebooks: cache``) cannot serve and runs them in a pool of processes, with
jupyter-cache's own worker, which stores each result in that cache. MyST-NB then finds
every notebook cached and executes nothing; its pages, and its error messages, are what
they would have been without this extension.

- The longest chapter starts first, so that the pool finishes together: each chapter's
  last run time is read from the ``execution`` timestamps its cells carry.
- A notebook that fails here is not cached. MyST-NB then runs it again in the usual way,
  and its error fails the build with the cell and the traceback, as it always has.
- With one notebook to run, or one core, the extension steps aside.
- Each kernel inherits one BLAS thread (``one_blas_thread``), so that two kernels on two
  cores do not fight over them.

Measured with ``benchmarks/bench_build.py`` on the 2-core machine the book is developed on,
a clean build takes 65-77 s with this extension and 114 s without (the README's "Benchmarks").
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import suppress
from datetime import datetime
from pathlib import Path

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)


def last_run_seconds(nb) -> float:
    """How long the notebook took when it was last run, from its cells' ``execution`` metadata (0 if unknown)."""
    total = 0.0
    for cell in nb.cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        with suppress(KeyError, ValueError, TypeError):
            start = datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
            total += max(0.0, (end - start).total_seconds())
    return total


def uncached_notebooks(cache, paths):
    """``(path, notebook)`` for each path whose code the cache holds no executed copy of."""
    missing = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            missing.append((path, nb))
    return missing


def execute_in_parallel(app, env, docnames):
    config = env.mystnb_config  # MyST-NB's settings, with the cache's path resolved as it uses it
    if config.execution_mode != "cache" or config.execution_in_temp:
        return
    paths = [Path(env.doc2path(name)) for name in docnames]
    paths = [p for p in paths if p.suffix == ".ipynb" and not _excluded(config, p, env.srcdir)]
    if len(paths) < 2 or (os.cpu_count() or 1) < 2:
        return

    from jupyter_cache import get_cache
    from jupyter_cache.cache.db import NbProjectRecord
    from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

    cache = get_cache(config.execution_cache_path)
    missing = uncached_notebooks(cache, paths)
    workers = min(os.cpu_count() or 1, len(missing))
    if workers < 2:
        return
    missing.sort(key=lambda item: -last_run_seconds(item[1]))  # the longest first
    jobs = []
    for path, _ in missing:
        record = cache.add_nb_to_project(str(path))
        NbProjectRecord.remove_tracebacks([record.pk], cache.db)
        jobs.append(ProcessData(record.pk, record.uri, cache, config.execution_timeout,
                                config.execution_allow_errors))
    logger.info(f"executing {len(jobs)} notebooks in {workers} processes")
    start = datetime.now()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = list(pool.imap_unordered(ExecutionWorkerLocalMProc(), jobs, chunksize=1))
    failed = [Path(uri).name for status, uri in results if status != 0]
    seconds = (datetime.now() - start).total_seconds()
    logger.info(f"executed {len(jobs) - len(failed)} notebooks in {seconds:.1f} s"
                + (f"; {', '.join(failed)} failed and will run again as the build reads them" if failed else ""))


def _excluded(config, path, srcdir):
    """Notebooks MyST-NB never executes (``nb_execution_excludepatterns``) stay out of the pool."""
    relative = path.relative_to(srcdir) if path.is_relative_to(srcdir) else path
    return any(relative.match(pattern) for pattern in config.execution_excludepatterns)


def setup(app):
    app.connect("env-before-read-docs", execute_in_parallel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
