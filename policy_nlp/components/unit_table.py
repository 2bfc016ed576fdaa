"""The unit table in a `Doc`, and the read-only getters over it.

The structure component writes the table once: the unit spans in `doc.spans[units_key]` with `levels`,
`lines` and `parents` in the group's attrs; the themes component adds `labels` and `scores`. The span keys a
pipeline was configured with are recorded in `doc.user_data` so that everything reading a `Doc` (getters,
`AnnotatedDocument`) honours them. The getters find a unit through a per-Doc index (O(1) per call, built
once per Doc) and are registered only if no other package has taken their names.
"""
from __future__ import annotations

import weakref
from itertools import repeat
from typing import Sequence

import numpy as np
from spacy.tokens import Doc, Span

from ..model.estimator import LABELS as MODEL_LABELS
from ..model.features import UnitColumns
from .units import Unit, headings_above, unit_table

UNITS_KEY = "units"
HEADINGS_KEY = "headings"
THEMES_KEY = "themes"
INDICATORS_KEY = "indicators"
_KEYS = ("policy_nlp", "span_keys")
LABELS = MODEL_LABELS  # the label guide's five labels, defined once with the model (`model.estimator.LABELS`)
# The label every unit of a report part carries (the label guide: "every unit of the plans part"); the part
# reporting the rectification of last year's problems (rules v4 on) carries none: its units go by content.
PART_LABEL = {"problems": "shortcomings", "plans": "plans", "rectification": None}
DEFAULT_KEYS = {"units": UNITS_KEY, "headings": HEADINGS_KEY, "themes": THEMES_KEY, "indicators": INDICATORS_KEY}


def register_keys(doc: Doc, **keys: str) -> None:
    """Record the span keys a component wrote, so readers of the Doc find them."""
    current = dict(doc.user_data.get(_KEYS) or DEFAULT_KEYS)
    current.update(keys)
    doc.user_data[_KEYS] = current


def span_key(doc: Doc, role: str) -> str:
    """The span key the pipeline used for `role` (units, headings, themes, indicators)."""
    keys = doc.user_data.get(_KEYS)
    return keys.get(role, DEFAULT_KEYS[role]) if keys else DEFAULT_KEYS[role]


def unit_rows(units: Sequence, index: dict[int, int] | None = None) -> tuple[list[int], list[int], list[int],
                                                                           list[str]]:
    """`levels`, `lines`, `parents` and `parts` lists of a unit table (`index` maps table positions to kept
    positions when some units were dropped; None when every unit was kept: then each list is read off the
    rows in one pass)."""
    if index is None:
        return ([u.level for u in units], [u.line for u in units], [u.parent if u.parent >= 0 else -1 for u in units],
                [u.part for u in units])
    kept = sorted(index, key=index.get)
    levels = [units[i].level for i in kept]
    lines = [units[i].line for i in kept]
    parents = []
    for i in kept:  # the parent heading was lost: the nearest heading above it that was kept
        p = units[i].parent
        while p >= 0 and p not in index:
            p = units[p].parent
        parents.append(index[p] if p >= 0 else -1)
    return levels, lines, parents, [units[i].part for i in kept]


def units_in_part(group, label: str) -> list[int]:
    """Indices of the units of the part whose label is `label`, from the group's `parts` (none without it)."""
    return [i for i, part in enumerate(group.attrs.get("parts") or ()) if part and PART_LABEL.get(part) == label]


def part_label_cells(groups: Sequence, labels: Sequence[str], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The (unit, label column) cells of `units_in_part(group, label)` for every label of `labels`, of the
    units of `groups` stacked one group after another (`sizes`: each group's units; a group without
    `parts` has none in a part), in one pass over their `parts` rather than one per label and group: each
    unit's column (-1 for none) read by one dict look-up, kept where it is one (two index arrays: numpy
    converts no list of indices)."""
    column = {label: j for j, label in enumerate(labels)}
    of_part = {part: column[label] for part, label in PART_LABEL.items() if label in column}
    parts = []
    for group, size in zip(groups, sizes):
        own = group.attrs.get("parts") or ()
        parts += own if len(own) == size else (list(own) + [""] * size)[:size]
    columns = np.fromiter(map(of_part.get, parts, repeat(-1, len(parts))), dtype=np.intp, count=len(parts))
    rows = (columns >= 0).nonzero()[0]  # (`flatnonzero` is this behind a Python call)
    return rows, columns[rows]


_INDEX: "weakref.WeakKeyDictionary[Doc, tuple]" = weakref.WeakKeyDictionary()


def unit_index(span: Span) -> int | None:
    """Index of `span` in its document's unit group, or None if it is not a unit. O(1): a map from token
    start to unit index is built once per Doc and unit group (and rebuilt if the group is replaced)."""
    doc = span.doc
    group = doc.spans.get(span_key(doc, "units"))
    if group is None or not len(group):
        return None
    cached = _INDEX.get(doc)
    if cached is None or cached[0] != (span_key(doc, "units"), len(group), group[0].start, group[-1].end):
        cached = ((span_key(doc, "units"), len(group), group[0].start, group[-1].end),
                  {u.start: i for i, u in enumerate(group)})
        _INDEX[doc] = cached
    i = cached[1].get(span.start)
    if i is not None and group[i].start == span.start and group[i].end == span.end:
        return i
    return None


def section_indices(doc: Doc, i: int) -> list[int]:
    """Indices of the headings above unit `i`, outermost first, from the group's `parents`."""
    parents = doc.spans[span_key(doc, "units")].attrs.get("parents")
    if parents is None:
        return []
    return headings_above(parents.__getitem__, i)


def _section_getter(span: Span) -> list[str]:
    """`Span._.section`: the heading texts above a unit span, outermost first ([] if not a unit)."""
    i = unit_index(span)
    if i is None:
        return []
    group = span.doc.spans[span_key(span.doc, "units")]
    return [group[j].text for j in section_indices(span.doc, i)]


def _scores_getter(span: Span) -> dict[str, float]:
    """`Span._.scores`: the theme probabilities of a unit span ({} when not scored)."""
    i = unit_index(span)
    if i is None:
        return {}
    attrs = span.doc.spans[span_key(span.doc, "units")].attrs
    if "scores" not in attrs:
        return {}
    return dict(zip(attrs["labels"], attrs["scores"][i]))


def _themes_getter(span: Span) -> list[str]:
    """`Span._.themes`: the themes decided for a unit span, in the model's label order."""
    i = unit_index(span)
    if i is None:
        return []
    attrs = span.doc.spans[span_key(span.doc, "units")].attrs
    decided = attrs.get("decided")
    if decided is None:
        return []
    return [label for label, d in zip(attrs["labels"], decided[i]) if d]


for _name, _getter in (("section", _section_getter), ("scores", _scores_getter), ("themes", _themes_getter)):
    if not Span.has_extension(_name):
        Span.set_extension(_name, getter=_getter)


def units_of_doc(doc: Doc, units_key: str | None = None, rules=None) -> list:
    """The unit table of `doc` as `units.Unit` rows (character offsets). Read from the group's attrs when
    the structure component wrote them; computed from the spans and `rules` when the spans came from
    elsewhere (hand-labelled units)."""
    spans, attrs = _group_spans(doc, units_key)
    columns = _written_columns(spans, attrs)
    return [Unit(*row) for row in zip(*columns)] if columns is not None else _computed_table(doc, spans, rules)


def unit_spans_and_columns(doc: Doc, units_key: str | None = None, rules=None) -> tuple[list[Span], UnitColumns]:
    """The unit group's spans and `units_of_doc`'s table of them as columns. spaCy makes a `Span` object each
    time a group item is read, so a reader that needs the spans too (the themes component writes a theme
    span over a unit) reads each unit once, and the columns need no row object per unit."""
    spans, attrs = _group_spans(doc, units_key)
    columns = _written_columns(spans, attrs)
    return spans, columns if columns is not None else UnitColumns.of(_computed_table(doc, spans, rules))


def _group_spans(doc: Doc, units_key: str | None) -> tuple[list[Span], dict]:
    group = doc.spans.get(units_key or span_key(doc, "units"), [])
    spans = list(group)
    return spans, group.attrs if spans else {}


def _written_columns(spans: list[Span], attrs: dict) -> UnitColumns | None:
    """The table as the structure component wrote it in the group's attrs, or None when it did not."""
    n = len(spans)
    levels, lines, parents = attrs.get("levels"), attrs.get("lines"), attrs.get("parents")
    parts = attrs.get("parts") or [""] * n  # written by the structure component since rules v3
    if levels is None or lines is None or parents is None or len(levels) != n \
            or min(len(lines), len(parents), len(parts)) < n:
        return None
    # a list per column, no tuple per unit (fewer objects for the cyclic collector to count and scan)
    starts, ends = [s.start_char for s in spans], [s.end_char for s in spans]
    return UnitColumns(starts, ends, [s.label_ for s in spans], list(levels), lines[:n], parents[:n], parts[:n])


def _computed_table(doc: Doc, spans: list[Span], rules) -> list:
    """The unit table computed from the spans (hand-labelled units: no table in the attrs)."""
    if rules is None:
        from ..rules import default_rules

        rules = default_rules()
    return unit_table(doc._.norm_text, [(s.start_char, s.end_char, s.label_) for s in spans], rules)
