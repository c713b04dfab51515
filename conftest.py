"""pytest's settings for the whole repository: how the tests are split between CPU cores.

``pytest`` runs on every core (pytest-xdist, ``-n auto`` in pyproject.toml; ``-n 0`` runs in
one process). Work is handed to the workers in units: every test is a unit of its own, except

- a notebook's nbval cells, which are one unit (they share a kernel and run in order);
- the site tests (tests/test_site.py) and the PDF tests (tests/test_pdf.py), one unit each
  (each builds the book once; the two builds take turns, see ``build_lock`` in tests/conftest.py).

The units are handed out longest first, so that the workers finish together: the site and the
PDF, then the whole-chapter runs (the longest chapter first, by the run times its cells
record), then everything else, in the order it was collected. This file is at the root so that
it applies whichever paths are given, ``pytest chapters/05_training.ipynb`` included.
"""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))
ONE_UNIT_MODULES = ("tests/test_site.py", "tests/test_pdf.py")


def work_unit(nodeid):
    """The unit of work a test belongs to: its notebook, one of ONE_UNIT_MODULES, or the test alone."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") or path in ONE_UNIT_MODULES else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "load":  # another --dist given on the command line wins
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the order pytest_collection_modifyitems gives
    return ByWorkUnit(config, log)


def _chapter_seconds(path):
    if os.path.join(ROOT, "_ext") not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, "_ext"))
    import nbformat
    import parallel_execution  # imported here, not at start-up: it imports Sphinx

    return parallel_execution.last_run_seconds(nbformat.read(path, as_version=4))


def pytest_collection_modifyitems(config, items):
    seconds = {}

    def chapter_of(item):
        if item.path.suffix == ".ipynb":
            return str(item.path)
        spec = getattr(item, "callspec", None)
        notebook = spec.params.get("path") if spec else None
        return str(notebook) if notebook is not None and item.get_closest_marker("book") else None

    def rank(indexed):
        index, item = indexed
        unit = work_unit(item.nodeid)
        if unit in ONE_UNIT_MODULES:
            return (0, ONE_UNIT_MODULES.index(unit), index)
        chapter = chapter_of(item)
        if chapter:
            if chapter not in seconds:
                seconds[chapter] = _chapter_seconds(chapter)
            return (1, -seconds[chapter], index)
        return (2, 0, index)

    items[:] = [item for _, item in sorted(enumerate(items), key=rank)]
