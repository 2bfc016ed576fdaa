"""Which of a batch of strings each of a few regular expressions is found in, searching only where it can be.

The cue features ask, of every distinct text of a batch, whether each rules pattern is found in it: a
`search` per text and pattern, most of them failing. Every match of a pattern consumes one of a few literal
strings on each path through it (`下一步|今后|…` one of its words; `…(?:不足|短板|…)` one of those):
`required_strings` reads them from the parsed pattern. `BatchSearch` finds the texts that hold one of them for
the whole batch at once (`term_counts.TermCounter`) and calls `search` on those texts only, so its answer is
`[p.search(s) is not None for s in strings]`. A pattern it cannot read (no literal on some path,
case-insensitive matching) is searched in every text.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np

from ..rules.regex_prefix import OPCODES as _C, REPEATS as _REPEATS, parse
from .term_counts import TermCounter

_ATOMIC = getattr(_C, "ATOMIC_GROUP", None)
_LONGEST = 4  # a literal run's first characters are required as well: short keys for `TermCounter`


def required_strings(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings one of which every match of `pattern` contains; None when the pattern does not tell."""
    if not isinstance(pattern.pattern, str) or pattern.flags & re.IGNORECASE:
        return None
    return _in_sequence(parse(pattern.pattern, pattern.flags))


def _in_sequence(items) -> frozenset[str] | None:
    """The most telling requirement of a sequence: its longest run of literal characters (at most `_LONGEST`
    of them), else the first item that has one (assertions and anchors consume nothing, so they tell
    nothing)."""
    best, run = None, ""
    for op, av in [*items, (None, None)]:
        if op is _C.LITERAL:
            run += chr(av)
            continue
        run = run[:_LONGEST]
        if run and (best is None or min(map(len, best)) < len(run)):
            best = frozenset([run])
        run = ""
        if best is None and op is not None:
            best = _in_item(op, av)
    return best


def _in_item(op, av) -> frozenset[str] | None:
    if op is _C.IN:
        return frozenset(chr(a) for _, a in av) if all(o is _C.LITERAL for o, _ in av) else None
    if op is _C.SUBPATTERN:
        return None if av[1] & re.IGNORECASE else _in_sequence(av[3])
    if op is _C.BRANCH:
        options = [_in_sequence(branch) for branch in av[1]]
        return None if any(o is None for o in options) else frozenset().union(*options)
    if op in _REPEATS:
        return _in_sequence(av[2]) if av[0] >= 1 else None
    if op is _ATOMIC and _ATOMIC is not None:
        return _in_sequence(av)
    return None


_FOUND_IN: dict = {}  # pattern → `found_in(pattern)` (the rules' few patterns, compiled once)


def found_in(pattern: re.Pattern) -> Callable[[str], bool]:
    """`lambda text: pattern.search(text) is not None`, for one text at a time: a search of the alternation
    of the literals every match contains (`required_strings`), a plain scan, goes first, and the pattern is
    searched only in a text that holds one (most texts do not; a literal alternation costs a fifth of a
    search of the rules' patterns)."""
    got = _FOUND_IN.get(pattern)
    if got is None:
        search, literals = pattern.search, required_strings(pattern)
        if literals is None or "" in literals:
            def got(text: str) -> bool:
                return search(text) is not None
        else:
            holds = re.compile("|".join(map(re.escape, sorted(literals)))).search

            def got(text: str) -> bool:
                return holds(text) is not None and search(text) is not None
        _FOUND_IN[pattern] = got
    return got


class BatchSearch:
    """`found(strings)`: strings × patterns, whether each pattern is found in each string."""

    def __init__(self, patterns: Sequence[re.Pattern]):
        self.patterns = list(patterns)
        required = [required_strings(p) for p in self.patterns]
        self.filtered = [j for j, r in enumerate(required) if r is not None]
        self.literals = {j: sorted(required[j]) for j in self.filtered}  # pattern → the strings it requires
        self.counter = TermCounter(self.literals)

    def found(self, strings: Sequence[str], holds: np.ndarray | None = None) -> np.ndarray:
        """`holds`: strings × `filtered` patterns, whether each string holds one of the pattern's `literals`,
        when the caller counted them already (in the same scan as other terms); else counted here."""
        out = np.zeros((len(strings), len(self.patterns)), dtype=bool)
        if holds is None:
            holds = self.counter.counts(strings) > 0
        for j, pattern in enumerate(self.patterns):
            rows = np.flatnonzero(holds[:, self.filtered.index(j)]) if j in self.filtered else range(len(strings))
            search = pattern.search
            out[[i for i in rows if search(strings[i]) is not None], j] = True
        return out
