"""Sphinx extension: write each <script> of a page once.

Jupyter Book 1 reads the sources twice, so sphinx-thebe (which it always loads) registers
its inline configuration script twice, and the second copy fails in the browser with
"Identifier 'THEBE_JS_URL' has already been declared". This drops the repeats.
"""


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # a body-only script is registered once with filename None and once with ""
        name = script.filename if hasattr(script, "filename") else str(script)
        key = (name or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
