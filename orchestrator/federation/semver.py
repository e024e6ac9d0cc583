"""webpack 5's semver (``lib/util/semver.js``), not npm's: the rules share scopes negotiate by.

Differences from npm that users can see, kept on purpose: build metadata orders versions
(``1.2.3 < 1.2.3+0``), a string part is greater than a number (``2.2 < 2.beta``), ``!`` means
"not equal", and ``^2.3.4`` is satisfied by ``2.3.beta``. A version is a tuple whose items are
numbers, strings, ``None`` (the prerelease marker) and ``BUILD`` (the build-metadata marker);
a range is a tree of such atoms joined by ``not`` / ``or`` / ``and`` in postfix order, as upstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "BUILD",
    "Range",
    "VersionItem",
    "parse_range",
    "parse_version",
    "range_to_string",
    "satisfy",
    "version_lt",
]


class _Build(tuple[()]):
    """The marker before build metadata (upstream's ``[]``): one shared, immutable instance."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "BUILD"


BUILD: tuple[()] = _Build()
VersionItem: TypeAlias = int | str | tuple[()] | None
RangeItem: TypeAlias = int | str | None
# An atom is (fix_count, *items); a compound is (None, *operands) where operands are atoms,
# compounds and the postfix operators 0 (not), 1 (or), 2 (and).
RangeTree: TypeAlias = tuple[object, ...]

_VERSION_RE = re.compile(r"^([^-+]+)?(?:-([^+]+))?(?:\+(.+))?\Z")
_PLAIN_VERSION_RE = re.compile(r"[0-9]+(?:\.[0-9]+)*\Z")
_SIMPLE_START_RE = re.compile(r"^(\^|~|<=|<|>=|>|=|v|!)")
_HYPHEN_RE = re.compile(r"\s+-\s+")
_OR_RE = re.compile(r"\s*\|\|\s*")
_AND_SPLIT_RE = re.compile(r"[-0-9A-Za-z]\s+")
_ANY_RE = re.compile(r"^[*xX]$")
_INT_RE = re.compile(r"^\s*-?[0-9]+\s*\Z")
# JavaScript's `${+item}` === item; past 15 digits a double may not print back the same.
_CANONICAL_INT_RE = re.compile(r"^(?:0|-?[1-9][0-9]{0,14})\Z")
_MEMO_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Range:
    """A parsed range. Equal ranges compare equal; ``str()`` is upstream's ``rangeToString``.

    ``satisfy`` is a pure function of (range, version), so each range remembers its last few
    thousand answers: the share scope asks the same few questions over and over.
    """

    tree: RangeTree
    _memo: dict[str, bool] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __str__(self) -> str:
        return _tree_to_string(self.tree)


# --- versions -----------------------------------------------------------------------------


def _version_part(text: str) -> list[VersionItem]:
    # Upstream converts with JavaScript's loose ``+item == item``: decimal digits (even with
    # leading zeros or surrounding spaces) and the empty string become numbers.
    out: list[VersionItem] = []
    for item in text.split("."):
        if item.isascii() and item.isdigit():
            out.append(int(item))
        elif item == "":
            out.append(0)
        elif _INT_RE.match(item):
            out.append(int(item))
        else:
            out.append(item)
    return out


def parse_version(text: str) -> tuple[VersionItem, ...]:
    """``"1.2.3-beta.1+5343"`` → ``(1, 2, 3, None, "beta", 1, BUILD, 5343)``."""
    if _PLAIN_VERSION_RE.match(text):  # the common case, "1.2.3"
        return tuple(map(int, text.split(".")))
    match = _VERSION_RE.match(text)
    if match is None:  # only a string with "+" and nothing after it: upstream would throw
        raise ValueError(f"invalid version {text!r}")
    main, pre, build = match.groups()
    ver: list[VersionItem] = _version_part(main) if main else []
    if pre:
        ver.append(None)
        ver.extend(_version_part(pre))
    if build:
        ver.append(BUILD)
        ver.extend(_version_part(build))
    return tuple(ver)


# Upstream compares `(typeof value)[0]`: "n"umber, "s"tring, "u"ndefined, "o"bject.
_KINDS: dict[type, str] = {int: "n", str: "s", type(None): "u", _Build: "o"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "o")


def version_lt(a: str, b: str) -> bool:
    """True iff ``a < b`` in webpack's order (build metadata counts; strings beat numbers)."""
    pa, pb = parse_version(a), parse_version(b)
    i = 0
    while True:
        if i >= len(pa):
            return i < len(pb) and pb[i] is not None
        a_value = pa[i]
        a_kind = _kind(a_value)
        if i >= len(pb):
            return a_kind == "u"
        b_value = pb[i]
        b_kind = _kind(b_value)
        if a_kind == b_kind:
            if a_kind not in ("o", "u") and a_value != b_value:
                return a_value < b_value  # type: ignore[operator]
            i += 1
        else:
            if a_kind == "o" and b_kind == "n":
                return True
            return b_kind == "s" or a_kind == "u"


# --- ranges -------------------------------------------------------------------------------


def _range_part(text: str) -> list[RangeItem]:
    # Stricter than for versions: only a canonical number string becomes a number.
    return [int(item) if _CANONICAL_INT_RE.match(item) else item for item in text.split(".")]


def _parse_partial(text: str) -> list[RangeItem]:
    match = _VERSION_RE.match(text)
    if match is None:
        raise ValueError(f"invalid version in range: {text!r}")
    main, pre = match.group(1), match.group(2)
    ver: list[RangeItem] = [0, *_range_part(main)] if main else [0]
    if pre:
        ver.append(None)
        ver.extend(_range_part(pre))
    while ver and (ver[-1] is None or (isinstance(ver[-1], str) and _ANY_RE.match(ver[-1]))):
        ver.pop()
    return ver


def _to_fixed(rng: list[RangeItem]) -> RangeTree:
    n = len(rng)
    if n == 1:
        return (0,)  # "*" is "x.x.x", not "="
    if n == 2:
        return (1, *rng[1:])  # "1" is "1.x.x"
    if n == 3:
        return (2, *rng[1:])  # "1.2" is "1.2.x"
    return (n, *rng[1:])


def _negate(rng: list[RangeItem] | RangeTree) -> RangeTree:
    head = rng[0]
    assert isinstance(head, int)
    return (-head - 1, *rng[1:])


def _parse_simple(text: str) -> RangeTree:
    match = _SIMPLE_START_RE.match(text)
    start = match.group(0) if match else ""
    rest = _parse_partial(text[len(start) :].strip() if start else text.strip())
    if start == "^":
        if len(rest) > 1 and rest[1] == 0 and _kind(rest[1]) == "n":
            if len(rest) > 2 and rest[2] == 0 and _kind(rest[2]) == "n":
                return (3, *rest[1:])
            return (2, *rest[1:])
        return (1, *rest[1:])
    if start == "~":
        if len(rest) == 2 and rest[0] == 0:
            return (1, *rest[1:])
        return (2, *rest[1:])
    if start == ">=":
        return tuple(rest)
    if start in ("=", "v", ""):
        return _to_fixed(rest)
    if start == "<":
        return _negate(rest)
    if start == ">":
        # and(>=, not(=)) in postfix: >=, =, not, and
        return (None, _to_fixed(rest), 0, tuple(rest), 2)
    if start == "<=":
        # or(<, =) in postfix: <, =, or
        return (None, _to_fixed(rest), _negate(rest), 1)
    # "!": not(=)
    return (None, _to_fixed(rest), 0)


def _combine(items: list[RangeTree], op: int) -> RangeTree:
    if len(items) == 1:
        return items[0]
    arr: list[object] = []
    for item in reversed(items):
        if item[0] is not None:
            arr.append(item)
        else:
            arr.extend(item[1:])
    return (None, *arr, *([op] * (len(items) - 1)))


def _and_items(text: str) -> list[RangeTree]:
    # Upstream splits after a letter, digit or "-" followed by spaces, so "> 3.4" stays one item.
    text = text.strip()
    items: list[RangeTree] = []
    start = 0
    for match in _AND_SPLIT_RE.finditer(text):
        end = match.start() + 1
        items.append(_parse_simple(text[start:end].strip()))
        start = end
    items.append(_parse_simple(text[start:].strip()))
    return items


def _parse_and(text: str) -> RangeTree:
    parts = _HYPHEN_RE.split(text)
    if len(parts) == 1:
        return _combine(_and_items(text), 2)
    low = _parse_partial(parts[0])
    high = _parse_partial(parts[1])
    # >=a <=b → and(>=a, or(<b, =b)); in postfix: =b, <b, or, >=a, and
    return (None, _to_fixed(high), _negate(high), 1, tuple(low), 2)


def _split_top(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    depth = start = i = 0
    while i < len(text):
        char = text[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _parse_grouped_or(text: str) -> RangeTree:
    return _combine([_parse_grouped_and(part) for part in _split_top(text, "||")], 1)


def _parse_grouped_and(text: str) -> RangeTree:
    # The printed form (``>=3 not(^3) (<4 || ^4)``) as well as upstream's grammar: a group is
    # ``not(...)`` or ``(...)``; the text between groups is split as upstream splits it.
    items: list[RangeTree] = []
    i = 0
    plain_start = 0
    while i < len(text):
        negate = text.startswith("not(", i)
        if text[i] == "(" or negate:
            plain = text[plain_start:i].strip()
            if plain:
                items.append(_parse_and(plain))
            open_at = i + 3 if negate else i
            depth, close = 0, open_at
            while close < len(text):
                depth += {"(": 1, ")": -1}.get(text[close], 0)
                if depth == 0:
                    break
                close += 1
            inner = _parse_grouped_or(text[open_at + 1 : close])
            if negate:
                inner = (None, *(inner[1:] if inner[0] is None else (inner,)), 0)
            items.append(inner)
            i = plain_start = close + 1
            continue
        i += 1
    plain = text[plain_start:].strip()
    if plain:
        items.append(_parse_and(plain))
    return _combine(items, 2) if items else _parse_simple("")


def parse_range(text: str) -> Range:
    """Parse ``||``, hyphen ranges, space-joined ANDs and ``^ ~ >= > <= < = ! v`` with ``x X *``.

    Also reads what ``range_to_string`` prints (``not(...)`` and ``(a || b)`` groups), which
    upstream's parser cannot, so a printed range parses back.
    """
    if "(" in text:
        return Range(_parse_grouped_or(text))
    return Range(_combine([_parse_and(part) for part in _OR_RE.split(text)], 1))


# --- range_to_string ------------------------------------------------------------------------


def _unparen(text: str) -> str:
    # Upstream strips /^\((.+)\)$/, which also eats the parentheses of "(a || b) c(d)" and
    # prints an unbalanced string; strip only a pair that encloses the whole text.
    if len(text) <= 2 or text[0] != "(" or text[-1] != ")":
        return text
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index < len(text) - 1:
            return text
    return text[1:-1]


def _tree_to_string(tree: RangeTree) -> str:
    head = tree[0]
    if tree == (0,):
        return "*"
    if head is not None:
        assert isinstance(head, int)
        prefix = {0: ">=", -1: "<", 1: "^", 2: "~"}.get(head, "=" if head > 0 else "!=")
        if tree == (1, 0) or tree == (2, 0):
            # Upstream prints "~0" for what "^0" parses to and "^0" for what "~0" parses
            # to, so neither would read back; print the spelling that does.
            prefix = "~" if head == 1 else "^"
        out = [prefix]
        need_dot = 1
        for item in tree[1:]:
            need_dot -= 1
            if item is None:
                out.append("-")
            else:
                out.append(("." if need_dot > 0 else "") + str(item))
                need_dot = 2
        return "".join(out)
    stack: list[str] = []
    for item in tree[1:]:
        if isinstance(item, tuple):
            stack.append(_tree_to_string(item))
        elif item == 0:
            stack.append("not(" + _unparen(stack.pop()) + ")")
        elif item == 1:
            first = _unparen(stack.pop())
            second = _unparen(stack.pop())
            stack.append("(" + first + " || " + second + ")")
        else:
            first = stack.pop()
            second = stack.pop()
            stack.append(first + " " + second)
    return _unparen(stack.pop())


def range_to_string(rng: Range | str) -> str:
    """Upstream's normal form: ``1`` → ``^1``, ``>3.4`` → ``>=3.4 not(~3.4)``."""
    return _tree_to_string((parse_range(rng) if isinstance(rng, str) else rng).tree)


# --- satisfy --------------------------------------------------------------------------------


def _satisfy_atom(rng: RangeTree, version: tuple[VersionItem, ...]) -> bool:
    # A line-by-line reading of upstream's two decision tables (see lib/util/semver.js).
    fix_count = rng[0]
    assert isinstance(fix_count, int)
    negated = fix_count < 0
    if negated:
        fix_count = -fix_count - 1
    n_range = len(rng)
    n_version = len(version)
    i, j, is_equal = 0, 1, True
    while True:
        if j < n_range:
            range_value = rng[j]
            range_kind = _KINDS.get(type(range_value), "o")
        else:
            range_value, range_kind = None, ""
        if i < n_version:
            version_value = version[i]
            version_kind = _KINDS.get(type(version_value), "o")
        else:
            version_value, version_kind = None, "o"
        if version_kind == "o":
            if not is_equal:
                return True
            if range_kind == "u":
                return j > fix_count and not negated
            return (range_kind == "") != negated
        if version_kind == "u":
            if not is_equal or range_kind != "u":
                return False
        elif is_equal:
            if range_kind == version_kind:
                if j <= fix_count:
                    if version_value != range_value:
                        return False
                else:
                    if (
                        version_value > range_value  # type: ignore[operator]
                        if negated
                        else version_value < range_value  # type: ignore[operator]
                    ):
                        return False
                    if version_value != range_value:
                        is_equal = False
            elif range_kind not in ("s", "n"):
                if negated or j <= fix_count:
                    return False
                is_equal = False
                j -= 1
            elif j <= fix_count or (version_kind < range_kind) != negated:
                return False
            else:
                is_equal = False
        elif range_kind not in ("s", "n"):
            is_equal = False
            j -= 1
        i += 1
        j += 1


def _satisfy_tree(tree: RangeTree, version: tuple[VersionItem, ...]) -> bool:
    if tree[0] is not None:
        return _satisfy_atom(tree, version)
    stack: list[bool] = []
    for item in tree[1:]:
        if isinstance(item, tuple):
            stack.append(_satisfy_tree(item, version))
        elif item == 0:
            stack.append(not stack.pop())
        elif item == 1:
            first, second = stack.pop(), stack.pop()
            stack.append(first or second)
        else:
            first, second = stack.pop(), stack.pop()
            stack.append(first and second)
    return stack.pop()


def satisfy(rng: Range | str, version: str) -> bool:
    """Does ``version`` satisfy ``rng``? (webpack's argument order; MF's is the reverse.)"""
    if isinstance(rng, str):
        rng = parse_range(rng)
    memo = rng._memo
    answer = memo.get(version)
    if answer is None:
        answer = _satisfy_tree(rng.tree, parse_version(version))
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[version] = answer
    return answer
