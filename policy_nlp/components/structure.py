"""`policy_nlp_report_structure`: units, headings and sections of a report, in spaCy built-ins.

Reads: `Doc._.norm_text` (the normalised text set by the tokenizer; recomputed if absent).
Writes:
- `token.is_sent_start` for every token: a sentence starts at each unit (trailing white space joins
  the unit before it), so `doc.sents` iterates units;
- `doc.spans[units_key]`: one span per unit, labelled with its kind (`heading`, `sentence`, `boilerplate`),
  and the unit table in the group's attrs: `levels` (heading level, -1 for other units), `lines` (paragraph
  line), `parents` (index of the innermost heading above, -1 at top level) and, with rules that name parts
  (v3 on) and where the report has them, `parts` (`problems`, `plans`, `rectification` with rules v4 on, or
  ""), written once here and read
  by the theme model, `AnnotatedDocument` and the `Span._.section` getter;
- `doc.spans[headings_key]`: the heading units, labelled `level_0` (the title) … `level_4`.
The rules (heading patterns, page chrome) come from the config and are saved in the component's
directory (`rules.json`), so a saved pipeline keeps its own copy.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy
from spacy import util
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.util import registry

from ..errors import ModelError
from ..rules import DEFAULT_RULES_CONFIG, ReportRules
from .units import KINDS, Unit, segment
from .unit_table import (HEADINGS_KEY, UNITS_KEY, register_keys, unit_rows)

RULES_FILE = "rules.json"


@registry.scorers("policy_nlp.structure_scorer.v1")
def make_structure_scorer():
    return score_units


def score_units(examples, units_key: str = UNITS_KEY, **kwargs) -> dict:
    """Unit boundaries and kinds: precision, recall and F1 of `units_<...>` spans against the reference."""
    return Scorer.score_spans(examples, "units", getter=lambda doc, attr: list(doc.spans.get(units_key, [])),
                              labeled=True, allow_overlap=False)


@Language.factory(
    "policy_nlp_report_structure",
    assigns=["token.is_sent_start", "doc.spans"],
    default_config={"units_key": UNITS_KEY, "headings_key": HEADINGS_KEY, "rules": DEFAULT_RULES_CONFIG,
                    "scorer": {"@scorers": "policy_nlp.structure_scorer.v1"}},
    default_score_weights={"units_f": 0.0, "units_p": None, "units_r": None, "units_per_type": None},
)
def make_report_structure(nlp: Language, name: str, units_key: str, headings_key: str, rules: ReportRules,
                          scorer=None):
    return ReportStructure(name, units_key=units_key, headings_key=headings_key, rules=rules, scorer=scorer)


class ReportStructure:
    """Rule-based: stateless apart from its `ReportRules`, which it saves with the pipeline."""

    def __init__(self, name: str = "policy_nlp_report_structure", *, units_key: str = UNITS_KEY,
                 headings_key: str = HEADINGS_KEY, rules: ReportRules | None = None, scorer=None):
        from ..rules import default_rules

        self.name = name
        self.units_key = units_key
        self.headings_key = headings_key
        self.rules = rules if rules is not None else default_rules()
        self.scorer = scorer or score_units

    def __call__(self, doc: Doc) -> Doc:
        units = segment(doc._.norm_text, self.rules)
        write_units(doc, units, self.units_key, self.headings_key)
        return doc

    def score(self, examples, **kwargs) -> dict:
        return self.scorer(examples, units_key=self.units_key, **kwargs)

    # -- serialisation ------------------------------------------------------------------------------------
    # One field, `rules`; `exclude=["rules"]` leaves it out (spaCy's `util` serialisers).
    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return util.to_bytes({"rules": self.rules.to_dict}, exclude)

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "ReportStructure":
        def read(rules: dict) -> None:
            self.rules = ReportRules.from_dict(rules, f"{self.name} (bytes)")

        util.from_bytes(data, {"rules": read}, exclude)
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {RULES_FILE: lambda p: p.write_text(self.rules.to_json(), encoding="utf-8")}, exclude)

    def from_disk(self, path, *, exclude=tuple()) -> "ReportStructure":
        util.from_disk(path, {RULES_FILE: self._read_rules}, exclude)
        return self

    def _read_rules(self, rules_path: Path) -> None:
        if not rules_path.is_file():
            raise ModelError("E008", source=str(rules_path), detail="the saved pipeline has no rules file")
        self.rules = ReportRules.from_file(rules_path)


def write_units(doc: Doc, units: list[Unit], units_key: str = UNITS_KEY, headings_key: str = HEADINGS_KEY) -> None:
    """Write a unit table into `doc`: unit and heading span groups, the table attrs and sentence starts."""
    unit_spans: list[Span] = []
    heading_spans: list[Span] = []
    starts: list[int] = []
    index: dict[int, int] = {}  # unit table index → kept index (a unit lost to tokenisation is skipped)
    last_end = 0
    labels = {kind: doc.vocab.strings.add(kind) for kind in KINDS}  # the ids `Span` would look up per unit
    for i, unit in enumerate(units):
        label = labels.get(unit.kind, unit.kind)
        span = doc.char_span(unit.start, unit.end, label=label)
        if span is None:  # a custom tokenizer cut across the unit: widen to whole tokens
            span = doc.char_span(unit.start, unit.end, label=label, alignment_mode="expand")
        if span is None:
            continue
        start, end = span.start, span.end
        if starts and start < last_end:
            continue
        index[i] = len(starts)
        starts.append(start)
        last_end = end
        unit_spans.append(span)
        if unit.kind == "heading":
            heading_spans.append(Span(doc, start, end, label=f"level_{unit.level}"))
    set_sentence_starts(doc, starts)
    doc.spans[units_key] = unit_spans
    doc.spans[headings_key] = heading_spans
    group = doc.spans[units_key]
    levels, lines, parents, parts = unit_rows(units, index if len(index) < len(units) else None)
    group.attrs["levels"] = levels
    group.attrs["lines"] = lines
    group.attrs["parents"] = parents
    if any(parts):
        group.attrs["parts"] = parts
    register_keys(doc, units=units_key, headings=headings_key)


def set_sentence_starts(doc: Doc, starts: list[int]) -> None:
    """`token.is_sent_start` for every token in one array write: 1 at token 0 and each unit start,
    -1 elsewhere (assigning the attribute token by token rescans the doc each time: quadratic)."""
    if not len(doc):
        return
    flags = numpy.empty(len(doc), dtype=numpy.uint64)  # spaCy's array type, written as is
    flags.fill(_NOT_START)  # (`numpy.full` is these two steps behind a Python call)
    flags[0] = 1
    flags[starts] = 1
    doc.from_array([SENT_START], flags)


_NOT_START = numpy.uint64(2 ** 64 - 1)  # -1 as spaCy's uint64 column holds it: it reads back as -1


def rules_of(nlp: Language) -> ReportRules:
    """The rules of a pipeline's structure component."""
    for _, component in nlp.pipeline:
        if isinstance(component, ReportStructure):
            return component.rules
    raise ModelError("E002", name="policy_nlp_report_structure")


__all__ = ["ReportStructure", "make_report_structure", "write_units", "rules_of", "score_units",
           "UNITS_KEY", "HEADINGS_KEY", "json"]
