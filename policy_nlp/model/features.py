"""Features of a unit: what it says and where it sits.

`build_contexts(norm_text, units, rules)` reads a report's unit table (`components.units.Unit` rows: kind,
heading level, paragraph line, parent heading) and returns one context row per unit, as an object array
whose columns are `CONTEXT_COLUMNS`: the unit's text, the lead sentence of its paragraph, its kind and
level, its section headings, its position, the report's year and the part a paragraph lead opened.
The transformers below turn those columns into numbers (they are the parts the theme estimator's
`ColumnTransformer` is built from): `ContentCues` (term-list counts and future wording of the unit and its
lead) and `PositionCues` (cues of the part its headings open, its place in the report). The term lists
and part cues come from the `ReportRules` the estimator was trained with.
"""
from __future__ import annotations

import functools
import itertools
import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..rules import ReportRules
from .char_ngrams import code_form, codes_of, nul_safe, white_space_free
from .pattern_search import BatchSearch, found_in
from .term_counts import TermCounter

CONTEXT_COLUMNS = ("text", "lead", "kind", "level", "section", "section_outer", "section_path", "position",
                   "report_year", "part_state")
COL = {name: i for i, name in enumerate(CONTEXT_COLUMNS)}
CONTENT_COLUMNS = [COL[c] for c in ("text", "lead", "kind", "level", "report_year")]
POSITION_COLUMNS = [COL[c] for c in ("section", "section_outer", "section_path", "position", "report_year",
                                     "part_state")]
# A part the structure found (rules v3 on) is the part state of its units, ahead of what a lead opened.
PART_STATES = {"problems": "problem", "plans": "future"}
_YEAR_RE = re.compile(r"(20\d\d)年")
_REVIEW_YEAR_RE = re.compile(r"(20\d\d)年(?!\d{1,2}月)")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


_DIGIT, _SPACE = 1, 2  # `_char_classes`' classes (no character is both)


@functools.cache
def _char_classes() -> np.ndarray:
    """By code (code point + 1, as `codes_of` gives them): `_DIGIT` where `_DIGITS`' `\\d` matches the
    character, `_SPACE` where `str.split` splits on it, 0 otherwise; worked out once, by the regex and
    `str.split` themselves on every code point. One table, so that `_canonical_codes` gathers once."""
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    classes = np.full(0x110001, _SPACE, dtype=np.uint8)
    classes[0] = 0
    classes[codes_of("".join(every.split()))] = 0
    classes[codes_of("".join(re.findall(r"\d", every)))] = _DIGIT  # (a digit, category Nd, is no white space)
    return classes


def _canonical_codes(codes: np.ndarray) -> np.ndarray:
    """`canonical` on codes: each match of `_DIGITS` becomes one `0`, then white space goes. A match starts
    at a run of digits and takes the next run too when a `.` alone joins them, so in a chain of runs joined
    by single dots the 1st, 3rd, ... runs open matches (and become `0`) and the 2nd, 4th, ... go with the
    dot before them."""
    classes = _char_classes()[codes]
    d = classes == _DIGIT
    starts = np.flatnonzero(d & ~np.concatenate(([False], d[:-1])))
    before = np.maximum(starts - 1, 0)
    linked = (starts >= 2) & (codes[before] == ord(".") + 1) & d[np.maximum(starts - 2, 0)]
    runs = np.arange(len(starts))
    second = (runs - np.maximum.accumulate(np.where(linked, 0, runs))) % 2 == 1
    out = codes.copy()
    drop = classes != 0  # digits and white space
    out[starts[~second]] = ord("0") + 1
    drop[starts[~second]] = False
    drop[before[second]] = True
    return out[~drop]


@code_form(_canonical_codes)
@nul_safe
@white_space_free
def canonical(text: str) -> str:
    """Normalised text for n-grams: numbers folded to 0, white space removed (what `\\s` matches is the white
    space `str.split` splits on, so this is `re.sub(r"\\s+", "", ...)`, without a second regex pass)."""
    return "".join(_DIGITS.sub("0", text).split())


@white_space_free
def section_text(text: str) -> str:
    """The section heading for n-grams; `无` ("none") for a unit outside any section."""
    return canonical(text) or "无"


def report_year_of(norm_text: str) -> int:
    """The year the report is about: the first year it names that is not part of a date (`2026年1月27日`),
    since reports open with the year under review (`2024年,我区…`, `2015年工作回顾`); 0 if none."""
    m = _REVIEW_YEAR_RE.search(norm_text)
    return int(m.group(1)) if m else 0


def names_later_year(text: str, report_year: int) -> bool:
    """True when `text` names a year after the report's year (a heading like 2025年工作安排)."""
    return bool(report_year) and latest_year(text) > report_year


def latest_year(text: str) -> int:
    """The latest year `text` names (`2025年`), -1 if none: `names_later_year` compares it."""
    return max(map(int, _YEAR_RE.findall(text)), default=-1)


class UnitColumns(NamedTuple):
    """A unit table as columns (each a sequence, one item per unit): what `build_contexts` reads of it.
    The themes component builds it from the unit spans and the group's attrs without a row object per unit."""

    starts: Sequence[int]
    ends: Sequence[int]
    kinds: Sequence[str]
    levels: Sequence[int]
    lines: Sequence[int]
    parents: Sequence[int]
    parts: Sequence[str]

    @classmethod
    def of(cls, units: Sequence) -> "UnitColumns":
        """The columns of unit table rows (`components.units.Unit`: start, end, kind, level, line, parent,
        part)."""
        return cls([u.start for u in units], [u.end for u in units], [u.kind for u in units],
                   [u.level for u in units], [u.line for u in units], [u.parent for u in units],
                   [u.part for u in units])


def build_contexts(norm_text: str, units: Sequence | UnitColumns, rules: ReportRules) -> np.ndarray:
    """Context rows (object array, columns `CONTEXT_COLUMNS`) for the units of one report's unit table
    (its rows, or its `UnitColumns`)."""
    return context_array(context_rows(norm_text, units, rules))


def context_array(rows: Sequence[tuple]) -> np.ndarray:
    """Context rows (tuples, `context_rows`) as one object array, columns `CONTEXT_COLUMNS`."""
    out = np.empty((len(rows), len(CONTEXT_COLUMNS)), dtype=object)
    if rows:
        out[:] = rows  # all rows at once: a row assigned alone costs twice as much
    return out


def context_rows(norm_text: str, units: Sequence | UnitColumns, rules: ReportRules) -> list[tuple]:
    """`build_contexts`' rows as tuples, so that the rows of several reports make one array."""
    table = units if isinstance(units, UnitColumns) else UnitColumns.of(units)
    report_year = report_year_of(norm_text)
    future, problem = found_in(rules.future_re), rules.part_cues.get("shortcomings")
    problem = found_in(problem) if problem is not None else None
    texts = [norm_text[start:end] for start, end in zip(table.starts, table.ends)]
    rows = []
    lead_text, state, line = "", "", None
    n = max(len(texts), 1)
    sections: dict[int, tuple[str, str, str]] = {-1: ("", "", "")}
    for i, (text, kind, level, unit_line, parent, part) in enumerate(
            zip(texts, table.kinds, table.levels, table.lines, table.parents, table.parts)):
        new_line = unit_line != line
        line = unit_line
        if kind == "heading" and level in (0, 1):
            state = ""
        inner, outer, path = sections.get(parent) or _section_of(parent, texts, table.parents, sections)
        if new_line:
            lead_text, lead = text, ""
        else:
            lead = lead_text
        rows.append((text, lead, kind, level, inner, outer, path, i / n, report_year, PART_STATES.get(part, state)))
        if new_line and kind == "sentence":
            if future(text):
                state = "future"
            elif problem is not None and problem(text):
                state = "problem"
    return rows


def _section_of(j: int, texts: Sequence[str], parents: Sequence[int], sections: dict) -> tuple[str, str, str]:
    """(inner, outer, joined path) of the headings above a unit whose parent is `j`: the parent's text, its
    outermost heading's and all of them from the outermost down, memoised in `sections` per parent (the
    units of a section share them)."""
    got = sections.get(j)
    if got is None:
        text = texts[j]
        if parents[j] >= 0:
            _, outer, path = _section_of(parents[j], texts, parents, sections)
        else:
            outer, path = text, ""
        got = sections[j] = (text, outer, path + text)
    return got


# Within a `shared_cues` block: (rules fingerprint, what, the rows' shape, their objects' addresses) → (the
# rows, what the cue transformers computed of them); (rules fingerprint, "cues of strings") → `_CuesOfStrings`.
_SHARED: ContextVar[dict | None] = ContextVar("policy_nlp_shared_cues", default=None)


@contextmanager
def shared_cues():
    """Within the block, cue transformers of equal rules compute the term counts and pattern matches of a
    list of strings once: the topic and the part group's content blocks read the same texts. Nothing
    outlives the block (no memo across batches)."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


class _Compiled(NamedTuple):
    """What a cue transformer derives from its rules dict (`source`), once; kept out of its pickled state."""

    source: dict | None
    rules: ReportRules
    terms: TermCounter
    fingerprint: str
    searches: dict  # name → `BatchSearch` of a list of the rules' patterns
    joint: dict  # name → `TermCounter` of the term lists and that search's literals, or None (see `_joint`)


class _CuesOfStrings(NamedTuple):
    """What `_cues` worked out for distinct strings, kept within a `shared_cues` block for `_from_content`:
    each string's row (`index`), the term counts and the patterns found (strings × columns each)."""

    index: dict[str, int]
    term_counts: np.ndarray
    found: np.ndarray


class _RuleCues(BaseEstimator, TransformerMixin):
    """Shared parts of the cue transformers: the rules (a JSON dict) and term counting."""

    def __init__(self, rules: dict | None = None):
        self.rules = rules

    def _compiled(self) -> _Compiled:
        cached = self.__dict__.get("_compiled_rules")
        if cached is None or cached.source is not self.rules:
            from ..rules import default_rules

            rules = ReportRules.from_dict(self.rules, "estimator") if self.rules else default_rules()
            cached = _Compiled(self.rules, rules, TermCounter(rules.lexicon), rules.fingerprint, {}, {})
            self.__dict__["_compiled_rules"] = cached
        return cached

    def _rules(self) -> ReportRules:
        return self._compiled().rules

    def _lexicon_counts(self, text: str) -> tuple[float, ...]:
        """log1p of the occurrences of each label's terms in `text`: the definition `_term_counts` computes
        for a batch."""
        return tuple(float(np.log1p(sum(text.count(term) for term in terms)))
                     for terms in self._rules().lexicon.values())

    def _term_counts(self, strings: Sequence[str]) -> np.ndarray:
        """`_lexicon_counts` of each of `strings` (strings × labels), counted for the batch at once
        (`term_counts.TermCounter`); each count's log1p is the same scalar call as there."""
        return _log1p(self._compiled().terms.counts(strings))

    def _search(self, what: str, patterns: Sequence[re.Pattern]) -> BatchSearch:
        """The `pattern_search.BatchSearch` of a list of patterns, named `what` (built once)."""
        searches = self._compiled().searches
        if what not in searches:
            searches[what] = BatchSearch(patterns)
        return searches[what]

    def _matches(self, what: str, strings: Sequence[str], patterns: Sequence[re.Pattern]) -> np.ndarray:
        """strings × patterns: whether each pattern is found in each string."""
        return self._search(what, patterns).found(strings)

    def _joint(self, what: str, patterns: Sequence[re.Pattern]) -> TermCounter | None:
        """One `TermCounter` of the term lists (first columns) and the literals search `what` requires (one
        column per pattern it filters), so that a list of strings is scanned once for both; None when the
        joint counter would count by `str.count` where the two alone would not (too many distinct
        characters for its keys)."""
        joint = self._compiled().joint
        if what not in joint:
            search, terms = self._search(what, patterns), self._compiled().terms
            counter = TermCounter({**{("terms", label): ts for label, ts in self._rules().lexicon.items()},
                                   **{("search", j): lits for j, lits in search.literals.items()}})
            joint[what] = counter if counter.exact or not (terms.exact and search.counter.exact) else None
        return joint[what]

    def _terms_and_matches(self, what: str, strings: Sequence[str], patterns: Sequence[re.Pattern]
                           ) -> tuple[np.ndarray, np.ndarray]:
        """(`_term_counts(strings)`, `_matches(what, strings, patterns)`), the term lists and the literals the
        patterns require counted in one scan of the strings (`_joint`)."""
        counter = self._joint(what, patterns)
        if counter is None:
            return self._term_counts(strings), self._matches(what, strings, patterns)
        counts = counter.counts(strings)
        n_labels = len(self._rules().lexicon)
        return _log1p(counts[:, :n_labels]), self._search(what, patterns).found(strings, counts[:, n_labels:] > 0)

    def _patterns(self) -> list[re.Pattern]:
        """The patterns of the cues: the part cues in order, then the future wording."""
        rules = self._rules()
        return [*rules.part_cues.values(), rules.future_re]

    def _cues(self, strings: list[str], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """(`_term_counts`, `_matches` of `_patterns`) of the distinct `strings` (`index`: each one's row), in
        one scan; within a `shared_cues` block kept for the position block (`_from_content`), whose section
        headings are units' texts too."""
        got = self._terms_and_matches("cues", strings, self._patterns())
        memo = _SHARED.get()
        if memo is not None:
            memo[(self._compiled().fingerprint, "cues of strings")] = _CuesOfStrings(index, *got)
        return got

    def _from_content(self, strings: list[str], field: str, columns: int, compute) -> np.ndarray:
        """`compute(strings)` (strings × `columns`): within a `shared_cues` block the rows of the strings the
        content blocks worked out already (`_cues`: the `_CuesOfStrings` `field`, "term_counts" or "found", of
        which the first `columns`) are read from there, and only the rest are computed."""
        known = (_SHARED.get() or {}).get((self._compiled().fingerprint, "cues of strings"))
        values = None if known is None else getattr(known, field)
        if values is None or not len(values):
            return compute(strings)
        index = known.index
        at = np.fromiter((index.get(s, -1) for s in strings), dtype=np.intp, count=len(strings))
        out = values[at, :columns]
        new = np.flatnonzero(at < 0)
        if len(new):
            out[new] = compute([strings[i] for i in new])
        return out

    def _shared(self, what: str, X: np.ndarray, compute):
        """`compute(X)` of the rows `X` (an object array), once for the cue transformers of equal rules within a
        `shared_cues` block that get the same rows. The rows are known by their objects (the addresses the
        array holds: the topic and the part group's blocks get copies of one batch's columns, which hold the
        same objects), a cheaper key than their values; the memo keeps a copy of the array (its own references:
        `X` may be a view of the caller's array, which the caller may write over), so that none of its objects
        is freed and its address taken by another within the block. The caller must not change the result."""
        memo = _SHARED.get()
        if memo is None:
            return compute(X)
        key = (self._compiled().fingerprint, what, X.shape, X.tobytes())
        got = memo.get(key)
        if got is None:
            got = memo[key] = (X.copy(), compute(X))
        return got[1]

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_compiled_rules", None)
        return state

    def fit(self, X, y=None):
        self._rules()
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self._names(), dtype=object)


class ContentCues(_RuleCues):
    """What the unit and its paragraph lead say: term counts per label (guide's lists), part-cue and future
    wording, heading flags, length. Input columns: text, lead, kind, level, report_year. `lead_weight` scales
    the paragraph lead's cues against the unit's own (the guide labels a unit by what it says itself)."""

    def __init__(self, rules: dict | None = None, lead_weight: float = 1.0):
        super().__init__(rules)
        self.lead_weight = lead_weight

    def __setstate__(self, state):
        state.setdefault("lead_weight", 1.0)  # saved before the parameter existed: the lead counted fully
        super().__setstate__(state)

    def _names(self) -> list[str]:
        rules = self._rules()
        names = []
        for label in rules.lexicon:
            names += [f"terms[{label}]", f"lead_terms[{label}]"]
        for label in rules.part_cues:
            names += [f"heading_part_cue[{label}]", f"lead_part_cue[{label}]"]
        return names + ["future_wording", "lead_future_wording", "heading_names_later_year", "is_heading",
                        "is_top_heading", "length"]

    def transform(self, X):
        """Column by column: the cues of each distinct text are looked up once (a unit's lead is the text of
        another unit), the numbers those of computing row by row, to the bit. Within a `shared_cues` block
        the columns that do not depend on `lead_weight` are worked out once for the rows (the topic and the
        part group's blocks read the same rows with different lead weights)."""
        X = np.asarray(X, dtype=object).reshape(-1, len(CONTENT_COLUMNS))
        unweighted, lead_terms, lead_found = self._shared("content rows", X, self._unweighted)
        w, n_terms, n_cues = self.lead_weight, lead_terms.shape[1], lead_found.shape[1] - 1
        out = unweighted.copy()
        out[:, 1:2 * n_terms:2] = w * lead_terms
        out[:, 2 * n_terms + 2 * np.arange(n_cues) + 1] = np.where(lead_found[:, :n_cues], w, 0.0)
        out[:, 2 * n_terms + 2 * n_cues + 1] = np.where(lead_found[:, n_cues], w, 0.0)
        return out.astype(np.float32)

    def _unweighted(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`transform`'s columns with the lead's columns left 0, and the lead's term counts and pattern
        matches (which `lead_weight` scales)."""
        text, lead, kind, level, year = X.T
        strings = list(dict.fromkeys(itertools.chain(text, lead)))
        index = {s: i for i, s in enumerate(strings)}
        own, ld = _indices(index, text), _indices(index, lead)
        terms, found = self._cues(strings, index)
        heading = kind == "heading"
        n_terms, n_cues = terms.shape[1], found.shape[1] - 1
        out = np.zeros((len(X), len(self._names())), dtype=float)
        out[:, 0:2 * n_terms:2] = terms[own]
        out[:, 2 * n_terms + 2 * np.arange(n_cues)] = heading[:, None] & found[own, :n_cues]
        k = 2 * n_terms + 2 * n_cues
        out[:, k] = found[own, n_cues]
        at = np.flatnonzero(heading)
        out[at, k + 2] = [names_later_year(t, y) for t, y in zip(text[at], year[at])]
        out[:, k + 3] = heading
        out[:, k + 4] = (level == 0) | (level == 1)
        out[:, k + 5] = np.minimum(np.fromiter(map(len, text), dtype=float, count=len(X)), 400) / 400.0
        return out, terms[ld], found[ld]


def _log1p(counts: np.ndarray) -> np.ndarray:
    """log1p of each count, each the same scalar `np.log1p` call as `_lexicon_counts` makes."""
    log1p = np.array([float(np.log1p(c)) for c in range(int(counts.max(initial=0)) + 1)])
    return log1p[counts]


def _indices(index: dict[str, int], values) -> np.ndarray:
    return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


class PositionCues(_RuleCues):
    """Where the unit sits: term counts of its section heading, the part its headings open, whether a
    heading names a later year, the part a paragraph lead opened, its position. Input columns: section,
    section_outer, section_path, position, report_year, part_state."""

    def _names(self) -> list[str]:
        rules = self._rules()
        names = [f"section_terms[{label}]" for label in rules.lexicon]
        for label in rules.part_cues:
            names += [f"top_section_part_cue[{label}]", f"section_path_part_cue[{label}]"]
        names += ["top_section_names_later_year", "no_section", "after_problem_lead", "after_future_lead",
                  "position", "last_quarter"]
        return names

    def transform(self, X):
        """Column by column: a report's units share a few section headings, whose term counts and cues are
        looked up once each; the numbers those of computing row by row, to the bit."""
        rules = self._rules()
        X = np.asarray(X, dtype=object).reshape(-1, len(POSITION_COLUMNS))
        inner, outer, path, position, year, state = X.T
        names = list(dict.fromkeys(inner))
        terms = self._from_content(names, "term_counts", len(rules.lexicon), self._term_counts)
        headings = list(dict.fromkeys(itertools.chain(outer, path)))
        index = {s: i for i, s in enumerate(headings)}
        cues = list(rules.part_cues.values())
        found = self._from_content(headings, "found", len(cues),
                                   lambda strings: self._matches("part cues", strings, cues))
        n_terms, n_cues = terms.shape[1], len(cues)
        tops = list(dict.fromkeys(outer))  # the start of `headings`: a top section's index is the same in both
        latest = np.fromiter(map(latest_year, tops), dtype=np.int64, count=len(tops))
        top = _indices(index, outer)
        out = np.zeros((len(X), len(self._names())), dtype=float)
        out[:, :n_terms] = terms[_indices({s: i for i, s in enumerate(names)}, inner)]
        cue_cols = n_terms + 2 * np.arange(n_cues)
        out[:, cue_cols] = found[top]
        out[:, cue_cols + 1] = found[_indices(index, path)]
        k = n_terms + 2 * n_cues
        years = year.astype(np.int64)  # `names_later_year` of each row's top section, on the tops' latest years
        out[:, k] = (years != 0) & (latest[top] > years)
        out[:, k + 1] = path == ""
        out[:, k + 2] = state == "problem"
        out[:, k + 3] = state == "future"
        out[:, k + 4] = position.astype(float)
        out[:, k + 5] = out[:, k + 4] >= 0.75
        return out.astype(np.float32)


class CapScaler(BaseEstimator, TransformerMixin):
    """Divides each column by its training maximum when that exceeds 1 (counts fall into [0, 1]; flags and
    shares already there are left as they are, unlike `MaxAbsScaler`, which would inflate rare ones)."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float32)
        self.scale_ = np.maximum(X.max(axis=0) if len(X) else np.ones(X.shape[1], dtype=np.float32), 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float32) / self.scale_

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features if input_features is not None else
                          [f"x{i}" for i in range(self.n_features_in_)], dtype=object)
