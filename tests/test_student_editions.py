"""The student editions (student/*.ipynb): in sync with their chapters, runnable blank, passing when answered.

``scripts/student_editions.py`` writes them; these tests regenerate each one in memory and
compare it with the committed file, and check what an edition keeps and drops. Running them
(from top to bottom with every stub in place, every self-check then saying "Not answered
yet"; and with the chapter's own answers written in, every self-check saying "Correct") is
done in the chapter's run with another seed, in ``tests/test_chapter_seeds.py``.
"""

import json
import sys
from pathlib import Path

import pytest

import lecture_code as lc
from lecture_code.selfcheck import _answers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import pin_edition  # noqa: E402,F401
import student_editions as se  # noqa: E402

CHAPTERS = se.chapters()


# -- the generator ------------------------------------------------------------------------
def test_an_answer_cell_keeps_the_data_and_the_checks_and_stubs_the_answers():
    source = (
        "W = np.eye(2)          # the exercise's data\n"
        "steps = W @ W\n"
        "J = steps * 2          # the answer\n"
        "def f(x):  # a hint\n"
        "    return 2 * x\n"
        "assert lc.selfcheck.linear_relu_jacobian(W, np.zeros(2), np.ones(2), J)\n"
        "assert lc.selfcheck.products_needed(5, 3, 5, 3, 'reverse'), 'a message'\n"
        "assert lc.selfcheck.chain_jacobian(f)\n"
        "assert np.allclose(J, 2 * W)   # about the solution: it goes\n"
        "print(J)\n"
    )
    blank = se.answer_cell(source)
    assert blank.splitlines() == [
        se.HEADER,
        "W = np.eye(2)          # the exercise's data",
        "J = ...  # your answer",
        "",
        "",
        "def f(x):  # a hint",
        "    return ...  # your answer",
        "",
        "",
        "lc.selfcheck.linear_relu_jacobian(W, np.zeros(2), np.ones(2), J)",
        "lc.selfcheck.products_needed(5, 3, ..., ..., ...)",
        "lc.selfcheck.chain_jacobian(f)",
    ]
    filled = se.answer_cell(source, fill=True)
    assert "J = steps * 2" in filled and "steps = W @ W" in filled  # the answer with its steps
    assert "products_needed(5, 3, 5, 3, 'reverse')" in filled and "assert" not in filled


def test_an_answer_cell_refuses_what_it_cannot_split():
    with pytest.raises(se.EditionError, match="calls no lc.selfcheck check"):
        se.answer_cell("x = 1\nassert x == 1\n")
    with pytest.raises(se.EditionError, match="depends on the answer 'J'"):
        se.answer_cell("J = 2.0\nW = J * np.eye(2)\nlc.selfcheck.linear_relu_jacobian(W, 0, 0, J)\n")
    with pytest.raises(se.EditionError, match="not plain Python"):
        se.answer_cell("%timeit f()\nlc.selfcheck.chain_jacobian(f)\n")


def test_a_chapter_without_a_closed_solution_is_refused():
    chapter = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["````{solution-start} x\n"]}]}
    with pytest.raises(se.EditionError, match="no {solution-end}"):
        se.student_edition(chapter)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_committed_edition_is_the_chapters(path):
    committed = se.STUDENT / path.name
    assert committed.exists(), f"no student edition of {path.name}: run python scripts/student_editions.py"
    fresh = se.dumps(se.student_edition(json.loads(path.read_text())))
    assert committed.read_text() == fresh, f"{committed.name} is out of date: run python scripts/student_editions.py"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_an_edition_drops_the_solutions_and_keeps_everything_else(path):
    chapter = json.loads(path.read_text())
    student = json.loads((se.STUDENT / path.name).read_text())
    text = json.dumps(student)
    assert "{solution-start}" not in text and "{solution-end}" not in text
    exercises = [c for c in chapter["cells"] if "{exercise}" in "".join(c["source"])]
    assert exercises and all(c in student["cells"] for c in exercises), "every exercise is kept as it is"
    solution = chapter_solution_cells(chapter)
    answers = [c for c in student["cells"] if se.HEADER in "".join(c["source"])]
    assert len(answers) == sum(c["cell_type"] == "code" for c in solution)
    assert all(not c["outputs"] and c["execution_count"] is None for c in answers)
    rest = [c for c in student["cells"] if c not in answers and c["id"] != "student-edition"]
    for c in chapter["cells"]:
        c.get("metadata", {}).pop("execution", None)  # run timestamps are not copied
    assert rest == [c for c in chapter["cells"] if se._kind(c) is None and c not in solution]


def chapter_solution_cells(chapter):
    """The cells between a {solution-start} and its {solution-end}, the fences excluded."""
    inside, cells = False, []
    for c in chapter["cells"]:
        kind = se._kind(c)
        inside = kind == "solution-start" or (inside and kind != "solution-end")
        if inside and kind is None:
            cells.append(c)
    return cells


# -- the self-checks' blank answers --------------------------------------------------------
def test_every_check_names_its_answer_parameters():
    import importlib
    import inspect
    import pkgutil

    checks = set()
    for info in pkgutil.iter_modules(lc.selfcheck.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"lecture_code.selfcheck.{info.name}")
            checks |= {name for name in module.__all__ if inspect.isfunction(getattr(module, name))}
    assert checks == set(_answers.ANSWERS), "selfcheck/_answers.py must list every check's answer parameters"
    for name in checks:
        assert getattr(lc.selfcheck, name).answers == _answers.ANSWERS[name]


def test_a_blank_answer_is_reported_not_failed(capsys):
    assert lc.selfcheck.parameter_count([4, 8, 2], ...) is False
    assert "Not answered yet: replace the ... in `answer`" in capsys.readouterr().out
    assert lc.selfcheck.products_needed(784, 10, 784, ..., "reverse") is False
    assert "`n_vjps`" in capsys.readouterr().out
    assert lc.selfcheck.output_layers({"grade": (5, ..., "cross_entropy")}) is False
    assert "Not answered yet" in capsys.readouterr().out

    def stub(x):
        return ...

    def unfinished(x):
        raise NotImplementedError("your answer")

    for fn in (stub, unfinished):
        assert lc.selfcheck.softmax_jacobian(fn) is False
        assert f"your function {fn.__name__} is still a stub" in capsys.readouterr().out


def test_a_real_answer_still_gets_its_verdict(capsys):
    assert lc.selfcheck.parameter_count([4, 8, 2], 58)
    assert capsys.readouterr().out.startswith("Correct")
    assert not lc.selfcheck.parameter_count([4, 8, 2], 57)
    assert capsys.readouterr().out.startswith("Not yet")

    def wrong_softmax_jacobian(x):
        raise ZeroDivisionError("a real mistake")

    assert not lc.selfcheck.softmax_jacobian(wrong_softmax_jacobian)
    assert "ZeroDivisionError" in capsys.readouterr().out  # a real error is a hint, not "not answered"


def test_answer_parameters_must_exist():
    with pytest.raises(ValueError, match=r"expects parameters of _f\(x\), got \['y'\]"):
        _answers.answer_check(_f, ("y",))


def _f(x):
    return x


# -- running the editions -------------------------------------------------------------------
# Each edition is run blank and answered in the same run as its chapter's run with another
# seed: tests/test_chapter_seeds.py, test_the_chapter_and_its_edition_run_with_another_seed.


# -- pinning a semester's edition ----------------------------------------------------------
def test_pinning_points_the_setup_cells_the_links_and_the_editions_at_one_ref(tmp_path):
    import shutil

    import yaml

    import pin_edition

    (tmp_path / "chapters").mkdir()
    originals = {}
    for path in CHAPTERS:
        shutil.copy(path, tmp_path / "chapters" / path.name)
        originals[path.name] = path.read_text()
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    config = (ROOT / "_config.yml").read_text()

    changed = pin_edition.pin("2027-spring", tmp_path)
    assert len(changed) == 2 * len(CHAPTERS) + 1  # the chapters, _config.yml and the new editions
    assert yaml.safe_load((tmp_path / "_config.yml").read_text())["repository"]["branch"] == "2027-spring"
    url = yaml.safe_load(config)["repository"]["url"]
    for path in CHAPTERS:
        pinned = json.loads((tmp_path / "chapters" / path.name).read_text())
        setup = "".join(next(c for c in pinned["cells"] if c["cell_type"] == "code")["source"])
        assert f'REPO = "git+{url}@2027-spring"' in setup
        edition = (tmp_path / "student" / path.name).read_text()
        assert "@2027-spring" in edition and "@main" not in edition

    pin_edition.pin("main", tmp_path)  # and back: nothing else was touched
    assert (tmp_path / "_config.yml").read_text() == config
    for path in CHAPTERS:
        assert (tmp_path / "chapters" / path.name).read_text() == originals[path.name]
    with pytest.raises(ValueError, match="expects a git tag or branch name"):
        pin_edition.pin("no spaces; rm -rf", tmp_path)
