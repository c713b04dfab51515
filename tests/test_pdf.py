"""The whole book as a PDF: every chapter, every numbered equation, the figures and the solutions.

The ``pdf`` fixture builds it as the README says (``jupyter-book build . --builder pdflatex``,
XeLaTeX), into ``_build/latex/book.pdf``. The chapters' outputs come from the execution cache
that the HTML build fills, so after ``jupyter-book build .`` (as CI does first) this takes
about a minute. The tests read the PDF's text with ``pdftotext`` and list its images with
``pdfimages`` (poppler-utils). Where XeLaTeX, latexmk or poppler is missing, they skip and
say which; ``.ci/run`` installs them on Debian.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
LATEX = ROOT / "_build" / "latex"
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
TOOLS = {"xelatex": "texlive-xetex", "latexmk": "latexmk", "pdftotext": "poppler-utils",
         "pdfimages": "poppler-utils"}


@pytest.fixture(scope="session")
def pdf(build_lock, build_book):
    missing = [f"{tool} (Debian: {package})" for tool, package in TOOLS.items() if shutil.which(tool) is None]
    if missing:
        pytest.skip("the PDF needs TeX and poppler, and this machine lacks " + ", ".join(missing))
    with build_lock:  # the HTML build shares _build's doctrees and execution cache
        build = build_book(ROOT, "--builder", "pdflatex")
    assert build.returncode == 0, "the PDF does not build:\n" + build.stdout[-4000:] + build.stderr[-4000:]
    path = LATEX / "book.pdf"
    assert path.exists(), f"the build succeeded but wrote no {path}"
    return path


@pytest.fixture(scope="session")
def text(pdf):
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_the_latex_run_had_no_error(pdf):
    log = (LATEX / "book.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!") or "LaTeX Error" in line]
    assert not errors, "errors in book.log:\n" + "\n".join(errors[:20])
    assert re.search(r"Output written on book\.pdf \((\d+) pages", log), "book.log does not report the PDF"


def test_every_chapter_title_is_in_the_pdf(text):
    flat = " ".join(text.split())
    for path in CHAPTERS:
        first = "".join(_cells(path)[0]["source"]).splitlines()[0]
        title = first.lstrip("# ").strip()
        assert " ".join(title.split()) in flat, f"{path.name}: title {title!r} is not in the PDF"
    for page in ("Notation", "Equation index", "Errata", "References", "For instructors"):
        assert page in flat, page


def test_every_equation_number_of_the_lecture_and_the_chapters_is_in_the_pdf(text):
    rows = re.findall(r"^\| (\d+) \| ([^|]*) \| ([^|]*) \|", (ROOT / "equations.md").read_text(), re.M)
    lecture = [int(n) for n, _, shown_in in rows if shown_in.strip()]
    assert lecture == [n for n in range(1, 36) if n != 31]  # the slides leave eq 31 empty
    tags = set()
    for path in CHAPTERS:
        for cell in _cells(path):
            if cell["cell_type"] == "markdown":
                tags |= set(re.findall(r"\\tag\{([\d.]+)\}", "".join(cell["source"])))
    assert {str(n) for n in lecture} <= tags, "a lecture equation has no \\tag in the chapters"
    shown = set(re.findall(r"\(([\d.]+)\)\s*$", text, re.M))
    missing = sorted(tags - shown, key=lambda t: [int(p) for p in t.split(".")])
    assert not missing, f"equation numbers not in the PDF: {missing}"


def test_every_exercise_is_followed_by_its_solution(text):
    solutions = sum("{solution-start}" in "".join(c["source"]) for path in CHAPTERS for c in _cells(path))
    exercises = sum("{exercise}" in "".join(c["source"]) for path in CHAPTERS for c in _cells(path))
    assert solutions == exercises > 0
    assert len(re.findall(r"Solution to Exercise \d+\.\d+", text)) == solutions


def test_every_figure_is_in_the_pdf(pdf):
    figures = sum(1 for path in CHAPTERS for c in _cells(path) if c["cell_type"] == "code"
                  for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    images = [line for line in listed.splitlines()[2:] if line.split()[2:3] == ["image"]]
    assert len(images) >= figures, f"{len(images)} images in the PDF, {figures} figures in the chapters"
