"""Write the student edition of every chapter: the exercises kept, their solutions replaced by stubs.

    python scripts/student_editions.py            # write student/<chapter>.ipynb
    python scripts/student_editions.py --check    # exit 1 if a committed edition is out of date

A chapter's exercise is a markdown ``{exercise}`` cell followed by its solution: a markdown
``{solution-start}`` cell (the explanation), code cells, and a ``{solution-end}`` cell. In the
student edition the explanation and the two fences go; each solution code cell becomes an
answer cell that holds

- the exercise's data, kept as it is (the statements that define what a self-check is
  given besides the answer, e.g. the matrices of a by-hand example);
- a stub for each answer (``name = ...``; a function ``def f(...): return ...``, its
  header and comment kept), where a self-check's answer argument is one of the
  solution's names or a call of one of its functions; an answer written into the call
  itself becomes ``...`` there;
- the self-check calls, without their ``assert`` (a blank answer prints "Not answered
  yet" and returns ``False``, see ``lecture_code/selfcheck/_answers.py``).

Everything else the solution cell does (comparisons with lecture_code and PyTorch, prints,
the steps that lead to the answer) is part of the solution and goes, and the cell's
outputs go with it. Every other cell is kept as it is, outputs included. ``fill=True``
writes the same answer cells with the chapter's own answers in place of the stubs: the
tests run that edition to show that the answer cells keep everything a check needs.
"""

from __future__ import annotations

import argparse
import ast
import copy
import inspect
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDENT = ROOT / "student"

HEADER = "# Your answer: replace each ... below, then run the cell to check it."
BANNER = """\
**Student edition.** The exercises at the end of this chapter come without their
solutions: each answer cell holds stubs (`...`) for you to replace, and its
self-check prints "Not answered yet" until you do, then "Correct" or a hint. The
solutions are in the book's web edition, folded below each exercise."""


class EditionError(ValueError):
    """A solution cell the generator cannot turn into an answer cell, with the reason."""


def _checks():
    """``{name: signature}`` of every self-check that has answer parameters."""
    from lecture_code.selfcheck import _answers
    import lecture_code.selfcheck as selfcheck

    return {name: (inspect.signature(getattr(selfcheck, name)), answers)
            for name, answers in _answers.ANSWERS.items()}


def _check_name(node):
    """``name`` if ``node`` is a call ``lc.selfcheck.name(...)``, else ``None``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        inner = node.func.value
        if isinstance(inner, ast.Attribute) and inner.attr == "selfcheck":
            return node.func.attr
    return None


def _defined(stmt):
    """Names a top-level statement binds."""
    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
        return {stmt.name}
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, (ast.For, ast.With)):
        targets = [stmt.target] if isinstance(stmt, ast.For) else [i.optional_vars for i in stmt.items if i.optional_vars]
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


class _Cell:
    """A solution code cell's source with character offsets for its nodes."""

    def __init__(self, source):
        self.source = source
        try:
            self.tree = ast.parse(source)
        except SyntaxError as error:
            raise EditionError(f"a solution cell is not plain Python: {error}") from None
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def span(self, node):
        return (self.starts[node.lineno - 1] + node.col_offset,
                self.starts[node.end_lineno - 1] + node.end_col_offset)

    def text(self, node, to_line_end=False):
        start, end = self.span(node)
        if to_line_end:  # keep a comment that ends the statement's last line
            end = self.starts[node.end_lineno] if node.end_lineno < len(self.starts) else len(self.source)
        return self.source[start:end].rstrip("\n")


def _stub(cell, stmt, fill):
    """The stub of an answer statement (or, with ``fill``, the statement itself)."""
    if fill:
        return cell.text(stmt, to_line_end=True)
    if isinstance(stmt, ast.FunctionDef):
        header_end = cell.starts[stmt.body[0].lineno - 1]
        header = cell.source[cell.starts[stmt.lineno - 1]:header_end].rstrip("\n")
        if stmt.decorator_list:
            header = cell.source[cell.starts[stmt.decorator_list[0].lineno - 1]:header_end].rstrip("\n")
        return f"{header}\n    return ...  # your answer"
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        names = cell.text(target)
        if isinstance(target, ast.Tuple):
            blanks = ", ".join("..." for _ in target.elts)
        elif isinstance(stmt.value, ast.Dict) and all(k is not None for k in stmt.value.keys):
            keys = "".join(f"    {cell.text(k)}: ...,\n" for k in stmt.value.keys)
            return f"{names} = {{  # your answer\n{keys}}}"
        else:
            blanks = "..."
        return f"{names} = {blanks}  # your answer"
    raise EditionError(f"cannot write a stub for line {stmt.lineno}: {cell.text(stmt)!r}")


def answer_cell(source: str, fill: bool = False) -> str:
    """The student edition of one solution code cell (see the module's docstring)."""
    checks = _checks()
    cell = _Cell(source)
    body = cell.tree.body
    defined_by = {}
    for i, stmt in enumerate(body):
        for name in _defined(stmt):
            defined_by.setdefault(name, []).append(i)

    check_stmts, answer_names, inline, data_nodes = [], set(), [], []
    for i, stmt in enumerate(body):
        calls = [n for n in ast.walk(stmt) if _check_name(n) in checks]
        if not calls:
            continue
        check_stmts.append(i)
        for call in calls:
            signature, answers = checks[_check_name(call)]
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                raise EditionError(f"line {call.lineno}: write the self-check's arguments out, without * or **")
            bound = signature.bind(*call.args, **{k.arg: k.value for k in call.keywords})
            for param, node in bound.arguments.items():
                if param not in answers:
                    data_nodes.append(node)
                elif isinstance(node, ast.Name) and node.id in defined_by:
                    answer_names.add(node.id)
                elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                      and node.func.id in defined_by):
                    answer_names.add(node.func.id)
                    data_nodes.extend(node.args + [k.value for k in node.keywords])
                else:  # the answer is written into the call: blank it there
                    inline.append(node)
    if not check_stmts:
        raise EditionError("a solution cell calls no lc.selfcheck check")

    loop_names = {n for i in check_stmts for n in _defined(body[i])}
    keep = set()
    todo = {n for node in data_nodes for n in _used(node)} - loop_names
    for i in check_stmts:  # what a check statement needs besides its answers
        stmt = body[i]
        skipped = {id(n) for node in inline for n in ast.walk(node)}
        skipped |= {id(n) for c in ast.walk(stmt) if _check_name(c) in checks for n in ast.walk(c)}
        todo |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                 and id(n) not in skipped} - loop_names - answer_names
    while todo:
        name = todo.pop()
        if name in answer_names:
            raise EditionError(f"the exercise's data depends on the answer {name!r}")
        for i in defined_by.get(name, []):
            if i not in keep and i not in check_stmts:
                keep.add(i)
                todo |= _used(body[i]) - {n for j in keep for n in _defined(body[j])}
    stubs = {i for name in answer_names for i in defined_by[name]}
    if fill:  # the answer as the chapter writes it, with the steps that lead to it
        todo = {n for i in stubs for n in _used(body[i])} | {n for node in inline for n in _used(node)}
        while todo:
            for i in defined_by.get(todo.pop(), []):
                if i not in keep and i not in stubs and i not in check_stmts:
                    keep.add(i)
                    todo |= _used(body[i])
    if stubs & keep:
        raise EditionError(f"line {body[min(stubs & keep)].lineno} defines both the data and an answer")

    pieces = []  # (text, whether it is a function definition)
    for i, stmt in enumerate(body):
        if i in stubs:
            text = _stub(cell, stmt, fill)
        elif i in keep:
            text = cell.text(stmt, to_line_end=True)
        elif i in check_stmts:
            text = _check_text(cell, stmt, checks, inline, fill)
        else:
            continue
        pieces.append((text, isinstance(stmt, (ast.FunctionDef, ast.ClassDef))))
    out = "" if fill else HEADER + "\n"
    for k, (text, is_def) in enumerate(pieces):
        if k:
            out += "\n\n\n" if (is_def or pieces[k - 1][1]) else "\n"
        out += text
    return out


def _check_text(cell, stmt, checks, inline, fill):
    """A check statement with ``assert <check>`` made a call and inline answers blanked."""
    start, _ = cell.span(stmt)
    end = cell.starts[stmt.end_lineno] if stmt.end_lineno < len(cell.starts) else len(cell.source)
    edits = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Assert):
            if _check_name(node.test) in checks:
                a, b = cell.span(node)
                t0, t1 = cell.span(node.test)
                edits += [(a, t0, ""), (t1, b, "")]
                for line in range(node.lineno, node.end_lineno):  # continuation lines move left with it
                    at = cell.starts[line]
                    if cell.source.startswith(" " * (t0 - a), at):
                        edits.append((at, at + t0 - a, ""))
            else:  # an assert about the solution: it goes with the solution
                a, b = cell.span(node)
                line_start = cell.starts[node.lineno - 1]
                edits.append((line_start, cell.starts[node.end_lineno], ""))
    if not fill:
        for node in inline:
            a, b = cell.span(node)
            if start <= a and b <= end:
                edits.append((a, b, "..."))
    text = cell.source[start:end]
    for a, b, new in sorted(edits, reverse=True):
        text = text[:a - start] + new + text[b - start:]
    return text.rstrip("\n")


def _kind(cell):
    source = "".join(cell["source"])
    if cell["cell_type"] != "markdown":
        return None
    for fence in ("solution-start", "solution-end"):
        if "{" + fence + "}" in source:
            return fence
    return None


def student_edition(chapter: dict, fill: bool = False) -> dict:
    """The student edition of a chapter notebook (a new dict; the chapter is unchanged)."""
    nb = copy.deepcopy(chapter)
    cells, inside, n_answers = [], False, 0
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)  # timestamps of the chapter's last run
        kind = _kind(cell)
        if kind == "solution-start":
            inside = True
            continue
        if kind == "solution-end":
            inside = False
            continue
        if inside and cell["cell_type"] == "markdown":
            continue
        if inside and cell["cell_type"] == "code":
            cell["source"] = _lines(answer_cell("".join(cell["source"]), fill=fill))
            cell["outputs"], cell["execution_count"] = [], None
            n_answers += 1
        cells.append(cell)
    if inside:
        raise EditionError("a {solution-start} has no {solution-end}")
    if n_answers == 0:
        raise EditionError("the chapter has no exercise with a solution cell")
    title = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    cells.insert(title + 1, {"cell_type": "markdown", "id": "student-edition", "metadata": {},
                             "source": _lines(BANNER)})
    nb["cells"] = cells
    return nb


def _lines(text):
    lines = text.splitlines(keepends=True)
    return lines


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def chapters(root: Path = ROOT):
    return sorted((root / "chapters").glob("[0-9][0-9]_*.ipynb"))


def write_all(root: Path = ROOT, check: bool = False) -> list:
    """Write (or, with ``check``, only compare) every edition under ``root``; the paths out of date."""
    student = root / "student"
    student.mkdir(exist_ok=True)
    stale = []
    for path in chapters(root):
        text = dumps(student_edition(json.loads(path.read_text())))
        target = student / path.name
        if target.exists() and target.read_text() == text:
            continue
        stale.append(target.relative_to(root))
        if not check:
            target.write_text(text)
    for path in student.glob("*.ipynb"):
        if not (root / "chapters" / path.name).exists():
            stale.append(path.relative_to(root))
            if not check:
                path.unlink()
    return stale


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if an edition is out of date")
    args = parser.parse_args(argv)
    stale = write_all(check=args.check)
    verb = "out of date" if args.check else "written"
    print("\n".join(f"{verb}: {p}" for p in stale) or "all student editions are up to date")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
