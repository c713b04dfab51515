"""The equation index names, for every equation of the lecture, code and a test that exist."""

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "equations.md").read_text()
# the first table: eq | in words | shown in | computed by; the second, after its heading: eq | test
FIRST, SECOND = TEXT.split("## How each equation is tested")


def rows(text):
    return [line for line in text.splitlines() if re.match(r"^\| \d+ \|", line)]


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


@pytest.mark.parametrize("eq", [n for n in range(1, 36) if n != 31])
def test_named_function_test_and_section_exist(eq):
    _, words, shown, code = TABLE[eq]
    test = TESTS[eq]
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
    assert re.fullmatch(r"\{ref\}`([^`<]+ <)?[\w-]+>?`", shown), f"eq {eq}: no section referenced in {shown!r}"
