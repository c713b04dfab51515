"""A chapter is for a student who changes it: its checks hold for any seed.

Every random draw in a chapter (initial weights, data, shuffles, splits, dropout masks) comes
from the one ``SEED`` its setup cell defines, so that changing that line changes them all.
The chapter's asserts state what holds whatever the seed (equal to PyTorch, a shape, an
identity, a general bound); what depends on the seed is printed, for nbval to compare. The
second test runs every chapter with another seed, to the end.
"""

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
SEED_LINE = re.compile(r"^SEED = 0(  #.*)?$", re.M)
OTHER_SEED = 1
# calls whose integer argument is a seed, and keywords that take one
SEEDED_CALLS = {"default_rng", "init", "seed", "manual_seed", "RandomState", "spawn_rng"}
SEED_KEYWORDS = {"rng", "seed", "random_state"}


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def python_source(cell):
    """The cell without IPython's magics and shell escapes, which are not Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in "".join(cell["source"]).splitlines())


def literal_seeds(source):
    """``(line, text)`` of every integer written where a seed goes."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):  # a default seed hides a seed: seed=0
            args = node.args
            named = list(zip(args.args[len(args.args) - len(args.defaults):], args.defaults))
            named += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            found += [(d.lineno, f"{a.arg}={d.value} (a default)") for a, d in named if a.arg in SEED_KEYWORDS
                      and isinstance(d, ast.Constant) and isinstance(d.value, int) and not isinstance(d.value, bool)]
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        args = node.args if name in SEEDED_CALLS else []
        args = args + [k.value for k in node.keywords if k.arg in SEED_KEYWORDS]
        found += [(a.lineno, ast.unparse(node)) for a in args
                  if isinstance(a, ast.Constant) and isinstance(a.value, int) and not isinstance(a.value, bool)]
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_setup_cell_defines_the_one_seed(path):
    cells = code_cells(path)
    setup = "".join(cells[0]["source"])
    assert len(SEED_LINE.findall(setup)) == 1, f"{path.name}: the setup cell should define SEED = 0 on a line of its own"
    later = [i for i, c in enumerate(cells[1:], 2) if re.search(r"^SEED\s*=", "".join(c["source"]), re.M)]
    assert not later, f"{path.name}: code cell(s) {later} assign SEED again; derive other seeds from it (SEED + 1)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_random_draw_comes_from_the_seed(path):
    found = [f"code cell {i}, line {line}: {text}" for i, cell in enumerate(code_cells(path), 1)
             for line, text in literal_seeds(python_source(cell))]
    assert not found, (f"{path.name} draws from seeds written as numbers; use SEED (or SEED + k):\n"
                       + "\n".join(found))


@pytest.mark.book
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_chapter_runs_to_the_end_with_another_seed(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source, replaced = SEED_LINE.subn(f"SEED = {OTHER_SEED}", setup.source, count=1)
    assert replaced == 1, f"{path.name}: no SEED = 0 line in the setup cell"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "1")  # the kernel inherits them: one thread is fastest for these sizes
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} with SEED = {OTHER_SEED} stops: {str(error)[-1500:]}")
