"""`policy_nlp_report_structure`: units, headings and sections of a report, in spaCy built-ins.

Reads: `Doc._.norm_text` (the normalised text set by the tokenizer; recomputed if absent).
Writes:
- `token.is_sent_start` for every token: a sentence starts at each unit (trailing white space joins
  the unit before it), so `doc.sents` iterates units;
- `doc.spans["units"]`: one span per unit, labelled with its kind (`heading`, `sentence`, `boilerplate`);
- `doc.spans["headings"]`: the heading units, labelled `level_0` (the title) … `level_4`.
Section paths are derived from these groups (`Span._.section`), so `Doc.to_json` and `DocBin` keep all.
"""
from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from .units import segment

UNITS_KEY = "units"
HEADINGS_KEY = "headings"


@Language.factory("policy_nlp_report_structure", default_config={"units_key": UNITS_KEY,
                                                                  "headings_key": HEADINGS_KEY})
def make_report_structure(nlp: Language, name: str, units_key: str, headings_key: str):
    return ReportStructure(name, units_key=units_key, headings_key=headings_key)


class ReportStructure:
    """Stateless: the rules live in `units.py`."""

    def __init__(self, name: str = "policy_nlp_report_structure", *, units_key: str = UNITS_KEY,
                 headings_key: str = HEADINGS_KEY):
        self.name = name
        self.units_key = units_key
        self.headings_key = headings_key

    def __call__(self, doc: Doc) -> Doc:
        units = segment(doc._.norm_text)
        unit_spans: list[Span] = []
        heading_spans: list[Span] = []
        for unit in units:
            span = doc.char_span(unit.start, unit.end, label=unit.kind)
            if span is None:  # a custom tokenizer cut across the unit: widen to whole tokens
                span = doc.char_span(unit.start, unit.end, label=unit.kind, alignment_mode="expand")
            if span is None or (unit_spans and span.start < unit_spans[-1].end):
                continue
            unit_spans.append(span)
            if unit.kind == "heading":
                heading_spans.append(Span(doc, span.start, span.end, label=f"level_{unit.level}"))
        set_sentence_starts(doc, [span.start for span in unit_spans])
        doc.spans[self.units_key] = unit_spans
        doc.spans[self.headings_key] = heading_spans
        return doc


def set_sentence_starts(doc: Doc, starts: list[int]) -> None:
    """`token.is_sent_start` for every token in one array write: 1 at token 0 and each unit start,
    -1 elsewhere (assigning the attribute token by token rescans the doc each time: quadratic)."""
    if not len(doc):
        return
    flags = numpy.full((len(doc), 1), -1, dtype="int64")
    flags[0, 0] = 1
    flags[starts, 0] = 1
    doc.from_array([SENT_START], flags.astype("uint64"))  # spaCy's array type; -1 wraps and reads back as -1


def heading_level(span: Span) -> int:
    return int(span.label_.rsplit("_", 1)[1])


def section_paths(doc: Doc, units_key: str = UNITS_KEY, headings_key: str = HEADINGS_KEY) -> list[list[Span]]:
    """For each unit span, the heading spans above it (outermost first; the title is left out)."""
    headings = {span.start: heading_level(span) for span in doc.spans.get(headings_key, [])}
    stack: list[tuple[int, Span]] = []
    out = []
    for span in doc.spans.get(units_key, []):
        level = headings.get(span.start) if span.label_ == "heading" else None
        if level is not None and level > 0:
            while stack and stack[-1][0] >= level:
                stack.pop()
        out.append([s for _, s in stack])
        if level is not None and level > 0:
            stack.append((level, span))
    return out


def _section_getter(span: Span) -> list[str]:
    doc = span.doc
    for unit, path in zip(doc.spans.get(UNITS_KEY, []), section_paths(doc)):
        if unit.start == span.start and unit.end == span.end:
            return [s.text for s in path]
    return []


if not Span.has_extension("section"):
    Span.set_extension("section", getter=_section_getter)
