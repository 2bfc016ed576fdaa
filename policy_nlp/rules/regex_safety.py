"""A check, made when rules load, that a regular expression cannot backtrack catastrophically.

Python's `re` backtracks: a quantifier over something that can itself match a varying number of times
(`(a+)+`, `(a?a?b?)+`, `(\\s*x?)*`) or over alternatives (`(a|aa)+`, `(x)?(?:(?(1)a|aa))+`) can take time
exponential in the line's length on a line that almost matches, and a rules file is data anyone can hand over
with a model. `backtracking_risk(pattern)` walks the parsed pattern
and names such a construct (None when there is none); the rules loader refuses those patterns (E008).
Possessive quantifiers and atomic groups (`a++`, `(?>…)`) never backtrack into their body and pass.
"""
from __future__ import annotations

try:  # Python ≥ 3.11
    from re import _constants as _c, _parser as _p
except ImportError:  # Python 3.10
    import sre_constants as _c
    import sre_parse as _p

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)


def backtracking_risk(pattern: str) -> str | None:
    """What in `pattern` can backtrack catastrophically: under a repeat, a quantifier that can match more than
    one number of times (`+`, `*`, `?`, `{1,3}`) or alternatives (`a|b`, a conditional group `(?(1)a|b)`);
    None when it has neither."""
    return _risk(_p.parse(pattern), repeated=False)


def _many(hi) -> bool:
    return hi is _c.MAXREPEAT or hi > 1


def _varies(lo, hi) -> bool:
    return hi is _c.MAXREPEAT or lo != hi


def _risk(items, repeated: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            if repeated and _varies(av[0], av[1]):
                return "a quantifier inside a quantified group"
            found = _risk(av[2], repeated or _many(av[1]))
        elif op == _c.BRANCH:
            found = "alternatives (a|b) under a quantifier" if repeated else \
                next(filter(None, (_risk(b, repeated) for b in av[1])), None)
        elif op == _c.GROUPREF_EXISTS:  # (?(1)yes|no) chooses like an alternation
            found = "a conditional group (?(1)a|b) under a quantifier" if repeated else \
                next(filter(None, (_risk(b, repeated) for b in av[1:] if b)), None)
        elif op == _c.SUBPATTERN:
            found = _risk(av[-1], repeated)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _risk(av[1], repeated)
        else:  # literals, classes, anchors; possessive repeats and atomic groups never backtrack into their body
            found = None
        if found:
            return found
    return None
