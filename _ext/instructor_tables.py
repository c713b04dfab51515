"""Sphinx extension: the two generated tables of the instructors' page.

At the start of a build this writes, next to ``instructors.md`` (neither file is committed):

- ``_versions.md``: Python and the packages the chapters run on, as installed in the
  environment that builds the book, and the commit it was built from;
- ``_editions.md``: for every chapter, links that open it and its student edition in
  Colab, from the repository and branch in ``_config.yml`` (so a pinned edition's page
  links to the pinned notebooks).

``instructors.md`` includes both. A file is rewritten only when its text changes, so an
unchanged rebuild re-reads nothing.
"""

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ["numpy", "scipy", "matplotlib", "torch", "jupyter-book", "sphinx", "myst-nb",
            "sphinx-book-theme", "nbval", "lecture_code"]
COLAB = "https://colab.research.google.com/github"


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit(root):
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h (%cs)"],
                             capture_output=True, text=True, timeout=10, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions(root):
    """The versions as a Markdown table, with the commit and the platform under it."""
    rows = [("Python", platform.python_version())] + [(name, _version(name)) for name in PACKAGES]
    lines = ["| package | version |", "|---|---|"] + [f"| {name} | {version} |" for name, version in rows]
    return "\n".join(lines) + (f"\n\nBuilt from commit {_commit(root)} on "
                               f"{platform.system()} {platform.machine()}.\n")


def editions(root, repository_url, branch):
    """A Markdown table: each chapter, and links to it and to its student edition in Colab."""
    repo = repository_url.rstrip("/").removeprefix("https://github.com/")
    lines = ["| chapter | for students | with solutions |", "|---|---|---|"]
    for path in sorted((Path(root) / "chapters").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        title = "".join(cells[0]["source"]).splitlines()[0].lstrip("# ").strip()
        student = f"{COLAB}/{repo}/blob/{branch}/student/{path.name}"
        chapter = f"{COLAB}/{repo}/blob/{branch}/chapters/{path.name}"
        lines.append(f"| {{doc}}`{title} <chapters/{path.stem}>` | [student edition]({student}) "
                     f"| [chapter]({chapter}) |")
    return "\n".join(lines) + "\n"


def _write(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _generate(app):
    root = Path(app.srcdir)
    options = app.config.html_theme_options or {}
    _write(root / "_versions.md", versions(root))
    _write(root / "_editions.md", editions(root, options.get("repository_url", ""),
                                           options.get("repository_branch", "main")))


def setup(app):
    app.connect("builder-inited", _generate)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
