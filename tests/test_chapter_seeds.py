"""A chapter is for a student who changes it: its checks hold for any seed.

Every random draw in a chapter (initial weights, data, shuffles, splits, dropout masks) comes
from the one ``SEED`` its setup cell defines, so that changing that line changes them all.
The chapter's asserts state what holds whatever the seed (equal to PyTorch, a shape, an
identity, a general bound); what depends on the seed is printed, for nbval to compare.

The last test runs every chapter to the end with another seed, and in the same run its
student edition (``student/``), so that each chapter is executed once besides nbval's run:

- the run is the student edition with ``SEED = 1``: every cell of the chapter except the
  solutions, in order, each answer cell with its stubs in place. Every self-check in an
  answer cell must say "Not answered yet", and the edition must run to its end without
  the solutions, as a student's does;
- before each answer cell, in a copy of the namespace (so that nothing leaks into the
  edition), the same answer cell is run with the chapter's own answers written in (every
  self-check must say "Correct"), and then the chapter's solution cell itself, asserts and
  all. Every cell of the chapter has then run with the other seed.
"""

import ast
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import student_editions as se  # noqa: E402

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


APART = "# the chapter's answer, then its solution, in a copy of the namespace (nothing leaks)"
SOLUTION_MARK = "--- the chapter's solution ---"
RUN_APART = f"""\
_answered, _stubs = {{}}, {{}}


def _apart_namespace():
    # the edition's namespace, with the answers given so far in place of the stubs still there
    namespace = dict(globals())
    namespace.update({{k: v for k, v in _answered.items() if namespace.get(k) is _stubs.get(k)}})
    return namespace


def _run_apart(namespace, answer, solution):
    exec(compile(answer, "<answer>", "exec"), namespace)
    print({SOLUTION_MARK!r})
    exec(compile(solution, "<solution>", "exec"), namespace)


def _keep_answers(namespace, names):
    _answered.update({{k: namespace[k] for k in names if k in namespace}})
    _stubs.update({{k: globals()[k] for k in names if k in globals()}})
"""


def stubbed_names(source):
    """The names an answer cell's stubs define at its top level."""
    names = []
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names += [n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def seed_and_edition_run(path):
    """The notebook :func:`test_the_chapter_and_its_edition_run_with_another_seed` executes.

    A later exercise may build on an earlier one's answer (a function the student wrote):
    the answered run then sees the earlier answer where the edition holds its stub, as a
    student who answered both would.
    """
    chapter = json.loads(path.read_text())

    def edition(fill):
        return nbformat.reads(se.dumps(se.student_edition(chapter, fill=fill)), as_version=4)

    nb, filled = edition(False), {c.id: c.source for c in edition(True).cells}
    solutions = {c.id: c.source for c in nbformat.read(path, as_version=4).cells}
    cells, after_answer = [], False
    for cell in nb.cells:
        answer = cell.cell_type == "code" and se.HEADER in cell.source
        if answer:
            # one namespace per solution: the answer cells of one solution follow each other,
            # and a later one sees what the earlier ones defined
            source = "\n".join([APART, "" if after_answer else "_apart = _apart_namespace()",
                                 f"_run_apart(_apart, {filled[cell.id]!r}, {solutions[cell.id]!r})"])
            cells.append(nbformat.v4.new_code_cell(source, id=f"apart-{cell.id}"))
        after_answer = answer
        cells.append(cell)
        if answer:
            cells.append(nbformat.v4.new_code_cell(f"_keep_answers(_apart, {stubbed_names(cell.source)!r})",
                                                   id=f"keep-{cell.id}"))
    nb.cells = cells
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source, replaced = SEED_LINE.subn(f"SEED = {OTHER_SEED}", setup.source, count=1)
    assert replaced == 1, f"{path.name}: no SEED = 0 line in the setup cell"
    setup.source += "\n" + RUN_APART
    return nb


def _verdicts(text):
    return re.findall(r"^(Correct|Not yet|Not answered yet):", text, re.M)


@pytest.mark.book
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_chapter_and_its_edition_run_with_another_seed(path):
    nb = seed_and_edition_run(path)  # its kernel has one BLAS thread, as tests/conftest.py sets
    student = se.STUDENT / path.name  # run where a student runs it
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(student.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name} (its student edition, with SEED = {OTHER_SEED}) stops: {str(error)[-1500:]}")
    assert any(c.id.startswith("apart-") for c in nb.cells), f"{path.name}: no answer cell was run"
    for cell in nb.cells:
        text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream") \
            if cell.cell_type == "code" else ""
        if cell.id.startswith("apart-"):
            answered = text.split(SOLUTION_MARK)[0]
            verdicts = _verdicts(answered)
            assert verdicts and set(verdicts) == {"Correct"}, f"{path.name}, answered: {cell.source[:300]}\n{answered}"
        elif cell.cell_type == "code" and se.HEADER in cell.source:
            verdicts = _verdicts(text)
            assert verdicts and set(verdicts) == {"Not answered yet"}, f"{path.name}, blank: {cell.source[:300]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_other_seed_run_is_the_edition_with_each_answer_and_solution_run_apart_first(path):
    nb = seed_and_edition_run(path)
    edition = nbformat.read(se.STUDENT / path.name, as_version=4)
    ids = [c.id for c in nb.cells]
    assert [i for i in ids if not i.startswith(("apart-", "keep-"))] == [c.id for c in edition.cells]
    answers = [c.id for c in edition.cells if c.cell_type == "code" and se.HEADER in c.source]
    assert answers
    for answer in answers:
        at = ids.index(answer)
        assert ids[at - 1] == f"apart-{answer}" and ids[at + 1] == f"keep-{answer}"
    chapter = nbformat.read(path, as_version=4)
    solutions = [c.source for c in chapter.cells if c.id in answers]
    apart = "\n".join(c.source for c in nb.cells if c.id.startswith("apart-"))
    assert len(solutions) == len(answers) and all(repr(s) in apart for s in solutions)
    assert SEED_LINE.search(nb.cells[[c.cell_type for c in nb.cells].index("code")].source) is None
    assert f"SEED = {OTHER_SEED}" in next(c for c in nb.cells if c.cell_type == "code").source


def test_stubbed_names_are_the_answer_cells_top_level_names():
    source = "W = np.eye(2)\nJ, k = ..., ...\n\n\ndef f(x):\n    inner = 1\n    return ...\n\n\nlc.selfcheck.g(J)\n"
    assert stubbed_names(source) == ["W", "J", "k", "f"]
