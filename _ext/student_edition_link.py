"""Sphinx extension: each chapter's launch menu also opens its student edition in Colab.

The theme's launch menu (the rocket icon) opens the chapter itself in Colab, solutions
and all. This adds, right after that entry, one that opens ``student/<chapter>.ipynb``:
the same notebook with the exercises' solutions replaced by stubs
(``scripts/student_editions.py``), from the same repository and branch.
"""

from pathlib import Path

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def add_student_edition(app, pagename, templatename, context, doctree):
    if not pagename.startswith("chapters/"):
        return
    name = pagename.split("/", 1)[1]
    if not (Path(app.srcdir) / "student" / f"{name}.ipynb").exists():
        LOGGER.warning(f"{pagename}: no student edition student/{name}.ipynb (python scripts/student_editions.py)")
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        buttons = group["buttons"]
        for i, button in enumerate(buttons):
            if button.get("text") == "Colab" and "/chapters/" in button.get("url", ""):
                head, tail = button["url"].rsplit("/chapters/", 1)
                buttons.insert(i + 1, {
                    "type": "link",
                    "text": "Colab: student edition",
                    "tooltip": "Open this chapter in Colab with the exercises' solutions left out",
                    "icon": button.get("icon", ""),
                    "url": f"{head}/student/{tail}",
                })
                return
    LOGGER.warning(f"{pagename}: the launch menu has no Colab entry to put the student edition beside")


def setup(app):
    app.connect("html-page-context", add_student_edition, priority=502)  # after the theme's launch buttons
    return {"parallel_read_safe": True, "parallel_write_safe": True}
