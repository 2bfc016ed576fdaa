"""Fast scanning for an alternation of patterns that share no first character.

Python's `re` skips ahead in C only when a pattern opens with a literal or a character class; an alternation
like the rules' in-line chrome patterns (`(?:当前位置|…)…|(?:发布时间|…)…|【?(?:字号|…)…`) is instead tried
alternative by alternative at every position of the text. `PrefixScan` finds the same matches with a pattern
that opens with the class of characters a match can start with (`first_char_class`, worked out from the
parsed pattern when the rules load) and matches the original pattern inside a look-ahead from there, so the
positions that cannot start a match are skipped in C.
"""
from __future__ import annotations

import re

try:  # the parser `re` compiles with (its module name since Python 3.11)
    from re import _constants as _c, _parser as _p
except ImportError:  # Python 3.10
    import sre_constants as _c
    import sre_parse as _p

# The standard library's parse tree of a pattern and its opcodes, for the modules that read patterns
# (`model.pattern_search` too): one place that knows where `re` keeps its parser.
parse = _p.parse
OPCODES = _c
REPEATS = tuple(getattr(_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                if hasattr(_c, name))

_ZERO_WIDTH = (_c.ASSERT, _c.ASSERT_NOT, _c.AT)
_CATEGORIES = {_c.CATEGORY_DIGIT: r"\d", _c.CATEGORY_NOT_DIGIT: r"\D", _c.CATEGORY_SPACE: r"\s",
               _c.CATEGORY_NOT_SPACE: r"\S", _c.CATEGORY_WORD: r"\w", _c.CATEGORY_NOT_WORD: r"\W"}
_CASE_FLAGS = re.IGNORECASE | re.LOCALE | re.ASCII


class _Unknown(Exception):
    """The first characters of a pattern cannot be bounded by a class (any character, a negated class …)."""


def first_char_class(pattern: str, flags: int = 0) -> str | None:
    """A character class (`[…]`) holding every character a match of `pattern` can start with, or None when
    there is no such class short of "any character": the pattern can match the empty string, ignores case,
    or opens with `.`, a negated class, a back reference or a conditional group."""
    if flags & _CASE_FLAGS:
        return None
    try:
        parsed = _p.parse(pattern, flags)
        if parsed.state.flags & _CASE_FLAGS:
            return None
        items, nullable = _first(parsed)
    except (_Unknown, re.error):
        return None
    if nullable or not items:
        return None
    return "[" + "".join(dict.fromkeys(items)) + "]"


def anchored_at_start(pattern: re.Pattern) -> bool:
    """True when a match of `pattern` can start only where the searched string (or slice) starts: the pattern
    opens, outside any alternation, with `^` (without MULTILINE) or `\\A`. Then `pattern.search(s)` is
    `pattern.match(s)`, and a string whose first character is not in `first_char_class` cannot match."""
    try:
        parsed = _p.parse(pattern.pattern, pattern.flags)
    except re.error:
        return False
    if not len(parsed) or (pattern.flags | parsed.state.flags) & re.MULTILINE:
        return False
    return parsed[0] in ((_c.AT, _c.AT_BEGINNING), (_c.AT, _c.AT_BEGINNING_STRING))


def _first(sequence) -> tuple[list[str], bool]:
    """The class items a match of `sequence` can start with, and whether it can match the empty string."""
    items: list[str] = []
    for op, av in sequence:
        found, nullable = _first_of(op, av)
        items += found
        if not nullable:
            return items, False
    return items, True


def _first_of(op, av) -> tuple[list[str], bool]:
    if op == _c.LITERAL:
        return [_char(av)], False
    if op == _c.IN:
        return [_class_item(item_op, item_av) for item_op, item_av in av], False
    if op == _c.SUBPATTERN:
        if av[1] or av[2]:  # flags switched on or off inside the group
            raise _Unknown
        return _first(av[-1])
    if op == _c.BRANCH:
        items, nullable = [], False
        for branch in av[1]:
            found, empty = _first(branch)
            items += found
            nullable = nullable or empty
        return items, nullable
    if op in REPEATS:
        found, nullable = _first(av[2])
        return found, nullable or av[0] == 0
    if op == getattr(_c, "ATOMIC_GROUP", None):
        return _first(av)
    if op in _ZERO_WIDTH:  # consumes nothing: the next item's characters start the match
        return [], True
    raise _Unknown  # ANY, NOT_LITERAL, GROUPREF, GROUPREF_EXISTS …


def _class_item(op, av) -> str:
    if op == _c.LITERAL:
        return _char(av)
    if op == _c.RANGE:
        return f"{_char(av[0])}-{_char(av[1])}"
    if op == _c.CATEGORY and av in _CATEGORIES:
        return _CATEGORIES[av]
    raise _Unknown  # NEGATE and anything else


def _char(code: int) -> str:
    return f"\\U{code:08x}"


class PrefixScan:
    """The non-empty matches `pattern.finditer(text, pos, endpos)` finds, found faster when the pattern has
    a first-character class (`first_char_class`) and no groups of its own; else by `finditer` itself.

    The scan pattern `[first](?<=(?=(pattern))[\\s\\S])` stops only at characters that can start a match
    (the C engine's class prefix search), matches `pattern` there as `pattern.match(text, p, endpos)` would,
    and steps one character on; the matches that start inside the previous one are dropped, as `finditer`
    would have gone on from that match's end."""

    def __init__(self, pattern: re.Pattern):
        self.pattern = pattern
        self.scan = scan_pattern(pattern, capture=True) if not pattern.groups else None

    def spans(self, text: str, pos: int, endpos: int) -> list[tuple[int, int]]:
        """(start, end) of each non-empty match of `pattern.finditer(text, pos, endpos)`, in order."""
        if self.scan is None:
            return [m.span() for m in self.pattern.finditer(text, pos, endpos) if m.end() > m.start()]
        out, last = [], pos
        for m in self.scan.finditer(text, pos, endpos):
            start, end = m.span(1)
            if start >= last:
                out.append((start, end))
                last = end
        return out


def scan_pattern(pattern: re.Pattern, capture: bool = False) -> re.Pattern | None:
    """`[first](?<=(?=(?:pattern))[\\s\\S])`: stops only at a character of the class a match of `pattern` can start
    with (`first_char_class`; the C engine's class prefix search) and matches `pattern` there, in a group of its
    own when `capture`. None where the pattern has no such class or `re` refuses the scan (global flags inside
    the pattern, which may stand only at its start): then the pattern itself serves."""
    first = first_char_class(pattern.pattern, pattern.flags)
    if first is None:
        return None
    try:
        return re.compile(first + r"(?<=(?=" + ("(" if capture else "(?:") + pattern.pattern + r"))[\s\S])",
                          pattern.flags)
    except re.error:
        return None
