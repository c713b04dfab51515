"""Sphinx extension: the lecture's equation numbers in the PDF.

The chapters number equations as the lecture does, with ``\\tag{N}`` inside ``$$ ... $$``.
Sphinx's LaTeX writer wraps every display equation in ``split``, where amsmath forbids
``\\tag`` (MathJax, on the website, does not mind). This moves the tag out of ``split``,
to the end of the enclosing ``equation*`` or ``align*``, where it is allowed.
"""

import re

import sphinx.util.math

_TAG = re.compile(r"\\tag\*?\{[^{}]*\}")
_wrap = sphinx.util.math.wrap_displaymath


def wrap_displaymath(text, label, numbering):
    tags = _TAG.findall(text)
    if not tags:
        return _wrap(text, label, numbering)
    wrapped = _wrap(_TAG.sub("", text), label, False if label is None else numbering)
    end = wrapped.rstrip().rfind("\\end{")
    return wrapped[:end] + tags[-1] + wrapped[end:]


def setup(app):
    sphinx.util.math.wrap_displaymath = wrap_displaymath
    return {"parallel_read_safe": True, "parallel_write_safe": True}
