"""Pin the book to one git tag or branch: a semester's edition that later changes cannot move.

    python scripts/pin_edition.py 2027-spring

points every chapter's setup cell (``REPO = "git+<url>@<ref>"``, the install Colab runs) and
``_config.yml``'s ``repository: branch:`` (the Colab links of the launch menu) at ``<ref>``,
and rewrites the student editions to match. Commit the result, tag it ``<ref>`` and push
the tag: students who open a chapter from that edition's site or links then get the
chapters and the ``lecture_code`` of that tag, whatever happens on ``main`` afterwards.
``python scripts/pin_edition.py main`` points everything back at ``main``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import student_editions  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
SETUP = re.compile(r'(REPO = \\"git\+[^"@\\]+@)([^"\\]+)(\\")')
BRANCH = re.compile(r"^(  branch: )(\S+)(.*)$", re.M)


def pin(ref: str, root: Path = ROOT) -> list:
    """Point ``root``'s chapters, ``_config.yml`` and student editions at ``ref``; the files changed."""
    if not isinstance(ref, str) or not REF.match(ref) or ".." in ref:
        raise ValueError(f"pin expects a git tag or branch name such as '2027-spring', got {ref!r}")
    changed = []

    def point(path, pattern, what):
        # the one match of pattern in path, its ref replaced; the path is kept if it changed
        text = path.read_text()
        new, n = pattern.subn(lambda m: m.group(1) + ref + m.group(3), text)
        if n != 1:
            raise ValueError(f"pin expects {what}, found {n}")
        if new != text:
            path.write_text(new)
            changed.append(path.relative_to(root))

    for path in student_editions.chapters(root):
        point(path, SETUP, f"one REPO = \"git+<url>@<ref>\" line in {path.name}'s setup cell")
    point(root / "_config.yml", BRANCH, "one 'branch:' line under repository: in _config.yml")
    return changed + student_editions.write_all(root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the git tag or branch the edition installs from, e.g. 2027-spring")
    args = parser.parse_args(argv)
    changed = pin(args.ref)
    print("\n".join(f"changed: {p}" for p in changed) or f"already pinned to {args.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
