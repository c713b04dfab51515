"""The book's structure: every chapter in the table of contents, executed, and installable in Colab."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files(node):
    if isinstance(node, dict):
        found = [node["file"]] if "file" in node else []
        return found + [f for value in node.values() for f in toc_files(value)]
    if isinstance(node, list):
        return [f for item in node for f in toc_files(item)]
    return []


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in chapters/"


def test_every_chapter_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = set(toc_files(toc)) | {toc["root"]}
    for path in CHAPTERS:
        assert f"chapters/{path.stem}" in listed, f"{path.name} is missing from _toc.yml"
    for name in listed:
        assert any((ROOT / f"{name}{ext}").exists() for ext in (".md", ".ipynb")), f"_toc.yml lists {name}, which does not exist"


def test_book_settings_make_failures_fail_the_build():
    execute = CONFIG["execute"]
    assert execute["raise_on_error"] is True and execute["allow_errors"] is False
    assert execute["execute_notebooks"] in ("cache", "force")
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", CONFIG["repository"]["branch"])  # main, or a pinned tag
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_setup_cell_installs_from_the_configured_repository(path):
    cells = json.loads(path.read_text())["cells"]
    first_code = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    assert "import lecture_code as lc" in first_code
    installs = re.findall(r"REPO = \"git\+(\S+?)@(\S+?)\"", first_code)
    assert installs == [(url, branch)], f"{path.name}: setup cell installs {installs}, _config.yml says {url}@{branch}"
    assert re.search(r'^    %pip install --quiet "lecture_code @ \{REPO\}"$', first_code, flags=re.M), path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_stored_executed_in_order_without_errors_or_warnings(path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: re-run it top to bottom"
    for c in cells:
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"{path.name}: a cell stores an error"
            assert out.get("name") != "stderr", f"{path.name}: a cell stores stderr: {''.join(out['text'])[:200]}"


def test_publishing_workflow_builds_everywhere_and_deploys_main_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    steps = " ".join(str(step.get("uses", "")) + " " + str(step.get("run", "")) for step in build["steps"])
    assert "pip install -r requirements.txt" in steps and "jupyter-book build . -W -n --keep-going" in steps
    upload = next(step for step in build["steps"] if "upload-pages-artifact" in str(step.get("uses")))
    assert upload["with"]["path"] == "_build/html" and "refs/heads/main" in upload["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and deploy["needs"] == "build"
    assert any("actions/deploy-pages" in str(step.get("uses")) for step in deploy["steps"])
    assert deploy["environment"]["name"] == "github-pages"


def test_the_published_site_carries_the_pdf_the_pages_link_to():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [str(step.get("run", "")) for step in workflow["jobs"]["build"]["steps"]]
    html = next(i for i, r in enumerate(runs) if "jupyter-book build . -W -n --keep-going" in r)
    pdf = next(i for i, r in enumerate(runs) if "--builder pdflatex" in r)
    assert html < pdf and "cp _build/latex/book.pdf _build/html/book.pdf" in runs[pdf]
    assert any("texlive-xetex" in r and "latexmk" in r for r in runs[:pdf])
    owner, repo = urlparse(CONFIG["repository"]["url"]).path.strip("/").split("/")
    link = f"https://{owner}.github.io/{repo}/book.pdf"
    for page in ("intro.md", "instructors.md"):
        assert f"]({link})" in (ROOT / page).read_text(), f"{page} does not link to {link}"
    assert CONFIG["latex"]["latex_documents"]["targetname"] == "book.tex"
