"""Sphinx extension: the bibliography labels its entries by author and year, as the text cites them.

The chapters cite with sphinxcontrib-bibtex's author-year reference style ("Yeh (1998)"), while
the bibliography's default labels are alpha codes ("[Yeh98]"), so a reader cannot match a citation
to its entry at a glance. This registers a pybtex style whose labels are "Yeh, 1998" (two authors:
"A and B, year"; more: "A et al., year"), sorted by author and year, and makes it the default.

It also gives the bibliography list accessible roles: docutils marks each entry
role="doc-biblioentry", a role deprecated in ARIA 1.2 and not allowed in a role="list" container,
which then has no list items (axe: aria-required-children, critical). The entries become list items.
"""

import re

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surname(person) -> str:
    # an institution written {{The JAX authors}} is one "last name" in braces: drop the braces
    return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            if not people:
                names = entry.fields.get("key", entry.key)
            elif len(people) == 1:
                names = _surname(people[0])
            elif len(people) == 2:
                names = f"{_surname(people[0])} and {_surname(people[1])}"
            else:
                names = f"{_surname(people[0])} et al."
            yield f"{names}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle


def _accessible_citations(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and "doc-biblioentry" in body:
        context["body"] = re.sub(r'role="doc-biblioentry"', 'role="listitem"', body)


def setup(app):
    register_plugin("pybtex.style.formatting", "author_year", AuthorYearStyle)
    app.config.bibtex_default_style = "author_year"
    app.connect("html-page-context", _accessible_citations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
