"""Token-aware skipping over CSS text: strings, comments, escapes, url tokens and nested blocks.

The scoper only needs to know where things end, so this module never builds tokens: it jumps
from one significant character to the next with compiled patterns and returns offsets.
"""

from __future__ import annotations

import re

WHITESPACE = " \t\n\r\f"

# Characters that can change how the following text is read (or end what is being skipped).
_SIGNIFICANT = re.compile(r"[{}()\[\];\"'\\]|/\*")
_SIGNIFICANT_IN_BLOCK = re.compile(r"[{}()\[\]\"'\\]|/\*")

# An escape is a backslash and one character, or up to six hex digits and one whitespace
# (which belongs to the escape, so a newline there does not end a string).
ESCAPE = r"\\(?:[0-9A-Fa-f]{1,6}(?:\r\n|[ \t\n\r\f])?|[\s\S]|\Z)"
#: An escape inside a name (a backslash before a newline is none).
IDENT_ESCAPE = r"\\(?:[0-9A-Fa-f]{1,6}(?:\r\n|[ \t\n\r\f])?|[^\n\r\f])"
#: The characters a name continues with (a character class body); NUL is one, as CSS reads
#: it as U+FFFD.
NAME_CHARS = r"A-Za-z0-9_\-\x00\u0080-\U0010ffff"
#: An identifier: its text, escapes included (shared with the <style> escaper).
IDENT = rf"-?(?:[A-Za-z_\x00\u0080-\U0010ffff]|{IDENT_ESCAPE}|-)(?:[{NAME_CHARS}]|{IDENT_ESCAPE})*+"
#: What a string holds between its quotes (shared with the url rewriter).
DOUBLE_QUOTED_BODY = rf'(?:[^"\\\n\r\f]|{ESCAPE})*'
SINGLE_QUOTED_BODY = rf"(?:[^'\\\n\r\f]|{ESCAPE})*"
# a whole string; an unterminated one ends before its newline (a bad string) or at the end
_DOUBLE_QUOTED = re.compile(rf'"{DOUBLE_QUOTED_BODY}(?:"|(?=[\n\r\f])|\Z)')
_SINGLE_QUOTED = re.compile(rf"'{SINGLE_QUOTED_BODY}(?:'|(?=[\n\r\f])|\Z)")
STRING = f"(?:{_DOUBLE_QUOTED.pattern}|{_SINGLE_QUOTED.pattern})"

# After `url(` with no quote: everything up to the closing parenthesis is one token
# (a url token, or the remnants of a bad one), braces and `/*` included.
_UNQUOTED_URL_REST = re.compile(rf"(?:[^)\\]|{ESCAPE})*(?:\)|\Z)")
_URL_ARG_START = re.compile(r"[ \t\n\r\f]*([\"']?)")
_NAME_CHAR = re.compile(rf"[{NAME_CHARS}]")
# "url" with each letter written as the longest escape (`\\00006c` and CR LF)
_LONGEST_URL_NAME = 3 * 9
_HEX_ESCAPE_BEFORE = re.compile(r"\\[0-9A-Fa-f]{1,6}\Z")

_CLOSER = {"(": ")", "[": "]", "{": "}"}

# Fast paths for the common case: text with no strings, comments, escapes or braces, and
# parentheses/brackets nested at most two deep. When they match, the full scan would stop at
# the same place; when they do not, the full scan decides.
_PLAIN = r"(?:[^{}()\[\]\"'\\/;]++|/(?!\*))"
_PARENS = rf"\((?:{_PLAIN}|\({_PLAIN}*+\))*+\)"
_BRACKETS = rf"\[{_PLAIN}*+\]"
_PLAIN_BLOCK = re.compile(rf"(?:{_PLAIN}|;|{_PARENS}|{_BRACKETS})*+\}}")
_PLAIN_PRELUDE = re.compile(rf"(?:{_PLAIN}|{_PARENS}|{_BRACKETS})*+(?=\{{)")

# Whitespace and comments between rules; at the top level of a stylesheet `<!--`/`-->` too.
SKIP_BETWEEN_RULES = re.compile(r"(?:[ \t\n\r\f]+|(?>/\*[\s\S]*?(?:\*/|\Z)))*+")
SKIP_BETWEEN_TOP_RULES = re.compile(r"(?:[ \t\n\r\f]+|(?>/\*[\s\S]*?(?:\*/|\Z))|<!--|-->)*+")

_IDENT = re.compile(IDENT)


_ESCAPE_IN_NAME = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})(?:\r\n|[ \t\n\r\f])?|([\s\S])|\Z)")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _escaped_code_point(match: re.Match[str]) -> str:
    hex_digits, char = match.group(1), match.group(2)
    if hex_digits is None:
        return "\ufffd" if char is None else char
    value = int(hex_digits, 16)
    if value == 0 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return "\ufffd"
    return chr(value)


def name_value(text: str) -> str:
    """The name an identifier's text spells once its escapes are decoded, ASCII-lowercased.

    Browsers compare at-rule, type and pseudo-class names this way (`@m\\65 dia` is `@media`);
    only ASCII letters fold, so `str.lower`'s wider mapping (Kelvin sign → k) is not used.
    """
    if "\\" in text:
        text = _ESCAPE_IN_NAME.sub(_escaped_code_point, text)
    return text.translate(_ASCII_LOWER)


def skip_string(css: str, pos: int) -> int:
    """Offset just after the string starting at `pos` (a bad string stops before its newline)."""
    pattern = _DOUBLE_QUOTED if css[pos] == '"' else _SINGLE_QUOTED
    match = pattern.match(css, pos)
    return match.end() if match else len(css)


def skip_comment(css: str, pos: int) -> int:
    """Offset just after the comment starting at `pos`; an unclosed comment runs to the end."""
    end = css.find("*/", pos + 2)
    return len(css) if end < 0 else end + 2


_IDENT_ESCAPE_AT = re.compile(IDENT_ESCAPE)


def skip_escape(css: str, pos: int) -> int:
    """Offset after the escape at `pos`, whose hex form takes one whitespace after it (`\\62 ody`
    is `body`); a backslash before a newline escapes nothing and is one character."""
    match = _IDENT_ESCAPE_AT.match(css, pos)
    return match.end() if match else pos + 1


def match_ident(css: str, pos: int) -> int:
    """Offset after the identifier starting at `pos`, or `pos` when there is none."""
    match = _IDENT.match(css, pos)
    return match.end() if match else pos


def _starts_name(css: str, start: int) -> bool:
    """Whether an identifier can begin at `start`: the text before it does not run into it.

    Not after a name character (a longer name, a number's unit), `#` or `@` (a hash, an
    at-keyword), a backslash (escaping the name's first letter, or ending an escaped backslash,
    which is a name character too), an escaped character, or the whitespace that ends a hex
    escape (`\\61 url` is one name, `aurl`).
    """
    if start == 0:
        return True
    before = css[start - 1]
    if before in "#@\\" or _NAME_CHAR.match(before):  # `\\\\url` too: an escaped backslash
        return False
    if before in WHITESPACE:
        end = start - 2 if css.startswith("\r\n", start - 2) else start - 1
        hex_escape = _HEX_ESCAPE_BEFORE.search(css, max(0, end - 7), end)
        return hex_escape is None or _backslash_run(css, hex_escape.start()) % 2 == 0
    return _backslash_run(css, start - 2) % 2 == 0 if start >= 2 else True


def _backslash_run(css: str, last: int) -> int:
    """How many backslashes end at offset `last` (0 if `css[last]` is none)."""
    count = 0
    while last - count >= 0 and css[last - count] == "\\":
        count += 1
    return count


def _is_url_function(css: str, paren: int) -> bool:
    """Whether the `(` at `paren` opens `url(`, the one function whose argument is raw text.

    The name may be written with escapes (`u\\72 l(`), as browsers decode it.
    """
    start = paren - 3
    if start >= 0 and css[start:paren].lower() == "url":
        return _starts_name(css, start)
    window = max(0, paren - _LONGEST_URL_NAME)
    if "\\" not in css[window:paren]:
        return False
    for start in range(window, paren):
        if css[start] in "uU\\":
            name = _IDENT.match(css, start)
            if name is not None and name.end() == paren and name_value(name.group()) == "url":
                return _starts_name(css, start)
    return False


def skip_url_argument(css: str, after_paren: int) -> int | None:
    """For an unquoted `url(`, the offset after its closing `)`; None if the argument is quoted."""
    quote = _URL_ARG_START.match(css, after_paren)
    if quote is not None and quote.group(1):
        return None
    rest = _UNQUOTED_URL_REST.match(css, after_paren)
    return rest.end() if rest else len(css)


def scan(css: str, pos: int, stops: str, opened: str = "") -> int:
    """Offset of the first character of `stops` found outside any string, comment or nested block.

    `opened` lists the block openers already entered (e.g. `"{"` to find the end of a block);
    once they are all closed the scan stops just after the closer. Returns `len(css)` at the end
    of the input. Stray closers that match nothing are ordinary characters, as in CSS syntax.
    """
    stack = list(opened)
    search = (_SIGNIFICANT if ";" in stops else _SIGNIFICANT_IN_BLOCK).search
    length = len(css)
    while True:
        match = search(css, pos)
        if match is None:
            return length
        i = match.start()
        c = css[i]
        if c == "/":
            pos = skip_comment(css, i)
        elif c == '"' or c == "'":
            pos = skip_string(css, i)
        elif c == "\\":
            pos = i + 1 if i + 1 < length and css[i + 1] in "\n\r\f" else i + 2
        elif c == "(" or c == "[" or c == "{":
            if not stack and c in stops:
                return i
            if c == "(" and _is_url_function(css, i):
                end = skip_url_argument(css, i + 1)
                if end is not None:
                    pos = end
                    continue
            stack.append(c)
            pos = i + 1
        elif c == ")" or c == "]" or c == "}":
            if stack:
                if _CLOSER[stack[-1]] == c:
                    stack.pop()
                    if not stack and opened:
                        return i + 1
            elif c in stops:
                return i
            pos = i + 1
        else:  # ";"
            if not stack and c in stops:
                return i
            pos = i + 1


def skip_block(css: str, opener: int) -> int:
    """Offset after the block opened at `opener` (`(`, `[` or `{`); `url(` ends at its first `)`
    as a url token (or what is left of a bad one) does, whatever nests inside."""
    if css[opener] == "(" and _is_url_function(css, opener):
        end = skip_url_argument(css, opener + 1)
        if end is not None:
            return end
    return scan(css, opener + 1, "", css[opener])


def block_end(css: str, open_brace: int) -> int:
    """Offset just after the `}` matching the `{` at `open_brace` (or the end of the input)."""
    plain = _PLAIN_BLOCK.match(css, open_brace + 1)
    if plain is not None:
        return plain.end()
    return scan(css, open_brace + 1, "", "{")


def prelude_end(css: str, pos: int, stops: str) -> int:
    """Where a rule's prelude starting at `pos` ends: `scan(css, pos, stops)`, fast when plain."""
    plain = _PLAIN_PRELUDE.match(css, pos)
    if plain is not None:
        return plain.end()
    return scan(css, pos, stops)


def skip_whitespace_and_comments(css: str, pos: int) -> int:
    """Offset of the first character at or after `pos` that is neither whitespace nor a comment."""
    match = SKIP_BETWEEN_RULES.match(css, pos)
    return match.end() if match else pos
