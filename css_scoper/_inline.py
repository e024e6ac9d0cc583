"""CSS text made safe to put inside an HTML ``<style>`` element, with its meaning unchanged.

An HTML parser ends a ``<style>`` at the first ``</style`` whatever the CSS around it, so a
stylesheet holding that text (in a string, a comment, a selector) would let the markup after it
run on the page. Every ``<`` becomes the CSS escape ``\\3c `` (valid in identifiers, strings and
``url()``; inert in comments), so no ``<`` is left for the HTML parser to see.
"""

from __future__ import annotations

import re

__all__ = ["escape_for_style_element"]

_LT_OR_ESCAPE = re.compile(r"\\[\s\S]|<")


def escape_for_style_element(css: str) -> str:
    """``css`` with no ``<`` left, meaning the same to a CSS parser."""
    if "<" not in css:
        return css

    def one(match: re.Match[str]) -> str:
        text = match.group()
        if text == "<" or text == "\\<":  # ``\<`` was an escaped ``<``: same character
            return "\\3c "
        return text  # another escape: left whole, so its backslash is not read anew

    return _LT_OR_ESCAPE.sub(one, css)
