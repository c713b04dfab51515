"""The build's parallel execution (``_ext/parallel_execution.py``): same pages, same failures, less waiting.

A small book of three notebooks is built in a temporary folder with the extension, as the
book is: the notebooks are executed by the pool and served to MyST-NB from the cache, their
outputs reach the pages, and a notebook that fails still fails the build with its cell's
error, as it does without the extension.
"""

import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import parallel_execution  # noqa: E402


def test_the_last_run_time_is_read_from_the_cells_timestamps():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2"), nbformat.v4.new_markdown_cell("x")]
    nb.cells[0].metadata.execution = {"iopub.execute_input": "2026-12-01T10:00:00.250Z",
                                      "shell.execute_reply": "2026-12-01T10:00:02.000Z"}
    nb.cells[1].metadata.execution = {"iopub.execute_input": "2026-12-01T10:00:02.000Z",
                                      "shell.execute_reply": "2026-12-01T10:00:05.500Z"}
    assert parallel_execution.last_run_seconds(nb) == pytest.approx(1.75 + 3.5)
    nb.cells[1].metadata.execution = {"iopub.execute_input": "not a time"}
    assert parallel_execution.last_run_seconds(nb) == pytest.approx(1.75)  # an unknown time counts 0
    assert parallel_execution.last_run_seconds(nbformat.v4.new_notebook()) == 0


def _book(folder, notebooks):
    folder.mkdir()
    (folder / "_config.yml").write_text(textwrap.dedent(f"""\
        title: t
        execute:
          execute_notebooks: cache
          raise_on_error: true
        sphinx:
          local_extensions:
            parallel_execution: {ROOT / "_ext"}
        """))
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                    + "".join(f"- file: {name}\n" for name in notebooks))
    (folder / "intro.md").write_text("# Intro\n")
    for name, source in notebooks.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}"),
                                             nbformat.v4.new_code_cell(source)])
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")


@pytest.mark.book
def test_the_pool_executes_caches_and_the_pages_show_the_outputs(tmp_path, build_book):
    book = tmp_path / "book"
    _book(book, {f"nb{k}": f"print('output of notebook {k}:', {k} * 7)" for k in range(3)})
    done = build_book(book, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = done.stdout + done.stderr
    assert "executing 3 notebooks in" in log and "executed 3 notebooks" in log
    assert log.count("Using cached notebook") == 3 and "Executing notebook using" not in log
    for k in range(3):
        assert f"output of notebook {k}: {k * 7}" in (book / "_build" / "html" / f"nb{k}.html").read_text()
    again = build_book(book, timeout=600)  # nothing changed: nothing is executed, by the pool or by MyST-NB
    assert again.returncode == 0 and "executing" not in again.stdout + again.stderr


@pytest.mark.book
def test_a_failing_notebook_still_fails_the_build_with_its_error(tmp_path, build_book):
    book = tmp_path / "book"
    _book(book, {"good": "print('fine')", "bad": "x = 1\n1 / (x - 1)", "also_good": "print('also fine')"})
    done = build_book(book, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "bad.ipynb failed and will run again" in log  # the pool's report
    assert "ZeroDivisionError" in log and "1 / (x - 1)" in log  # MyST-NB's, with the cell
    assert "also_good.ipynb: Using cached notebook" in log  # read before it: served from the pool's run
    assert "bad.ipynb: Executing notebook" in log
