"""The equation index names, for every equation of the lecture, code and a test that exist."""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "equations.md").read_text()
# the lecture's equations: eq | in words | shown in | computed by, then (after its heading) eq | test;
# then "Beyond the lecture": the same two tables for chapter 9's equations 9.1-9.5 and chapter 10's 10.1-10.4
LECTURE, BEYOND = TEXT.split("## Beyond the lecture")
FIRST, SECOND = LECTURE.split("## How each equation is tested")
BEYOND_CODE, BEYOND_TESTS = BEYOND.split("| eq | test (in `tests/`) |")


def rows(text, number=r"\d+"):
    return [line for line in text.splitlines() if re.match(rf"^\| {number} \|", line)]


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


ROWS = rows(FIRST)
TABLE = {int(cells(row)[0]): cells(row) for row in ROWS}
TESTS = {int(cells(row)[0]): cells(row)[1] for row in rows(SECOND)}


def resolve(dotted):
    """``lecture_code.a.b`` as the package exposes it (attributes first, submodules where needed)."""
    first, *rest = dotted.split(".")
    obj, path = importlib.import_module(first), first
    for name in rest:
        path = f"{path}.{name}"
        obj = getattr(obj, name) if hasattr(obj, name) else importlib.import_module(path)
    return obj


def test_every_equation_has_exactly_one_row():
    numbers = [int(cells(row)[0]) for row in ROWS]
    assert numbers == list(range(1, 36)), f"equations in the index: {numbers}"
    assert [int(cells(row)[0]) for row in rows(SECOND)] == numbers, "the table of tests has other equations"
    assert "empty" in TABLE[31][1] and not TESTS[31]


BEYOND_TABLE = {cells(row)[0]: cells(row) for row in rows(BEYOND_CODE, r"9\.\d")}
BEYOND_TEST = {cells(row)[0]: cells(row)[1] for row in rows(BEYOND_TESTS, r"9\.\d")}
CHAPTER_9 = [f"9.{k}" for k in range(1, 6)]
BEYOND_TABLE_10 = {cells(row)[0]: cells(row) for row in rows(BEYOND_CODE, r"10\.\d")}
BEYOND_TEST_10 = {cells(row)[0]: cells(row)[1] for row in rows(BEYOND_TESTS, r"10\.\d")}
CHAPTER_10 = [f"10.{k}" for k in range(1, 5)]


def section_labels():
    """Every ``(label)=`` that the chapters and the reference pages define."""
    found = set()
    texts = [p.read_text() for p in ROOT.glob("*.md")]
    for path in (ROOT / "chapters").glob("*.ipynb"):
        texts += ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]
    for text in texts:
        found |= set(re.findall(r"^\(([\w-]+)\)=\s*$", text, flags=re.M))
    return found


LABELS = section_labels()


def test_chapter_9_has_its_five_equations_in_both_tables_beyond_the_lecture():
    assert list(BEYOND_TABLE) == CHAPTER_9, f"chapter 9's equations in the index: {list(BEYOND_TABLE)}"
    assert list(BEYOND_TEST) == CHAPTER_9, f"chapter 9's equations in its table of tests: {list(BEYOND_TEST)}"
    assert not rows(BEYOND), "a lecture equation's row is in the table beyond the lecture"


def test_chapter_10_has_its_four_equations_in_both_tables_beyond_the_lecture():
    assert list(BEYOND_TABLE_10) == CHAPTER_10, f"chapter 10's equations in the index: {list(BEYOND_TABLE_10)}"
    assert list(BEYOND_TEST_10) == CHAPTER_10, f"chapter 10's equations in its table of tests: {list(BEYOND_TEST_10)}"


@pytest.mark.parametrize("eq", [n for n in range(1, 36) if n != 31] + CHAPTER_9 + CHAPTER_10)
def test_named_function_test_and_section_exist(eq):
    _, words, shown, code = TABLE[eq] if isinstance(eq, int) else {**BEYOND_TABLE, **BEYOND_TABLE_10}[eq]
    test = TESTS[eq] if isinstance(eq, int) else {**BEYOND_TEST, **BEYOND_TEST_10}[eq]
    assert words, f"eq {eq}: no description"
    function = re.fullmatch(r"`([\w.]+)`", code)
    assert function, f"eq {eq}: no function named in {code!r}"
    assert callable(resolve(function.group(1))), f"eq {eq}: {function.group(1)} is not callable"
    where = re.fullmatch(r"`(test_\w+\.py)` `(test_\w+)`", test)
    assert where, f"eq {eq}: no test named in {test!r}"
    source = ROOT / "tests" / where.group(1)
    assert source.exists(), f"eq {eq}: {source} does not exist"
    defined = {node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef)}
    assert where.group(2) in defined, f"eq {eq}: {where.group(1)} has no {where.group(2)}"
    section = re.fullmatch(r"\{ref\}`(?:[^`<]+ <)?([\w-]+)>?`", shown)
    assert section, f"eq {eq}: no section referenced in {shown!r}"
    assert section.group(1) in LABELS, f"eq {eq}: no chapter defines the section label ({section.group(1)})="
