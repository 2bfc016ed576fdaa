"""Labelled corpus → spaCy `Example`s, the one input of `ThemeClassifier.initialize`.

Each labelled document becomes an Example whose reference `Doc` carries the unit table (the labelled units,
and where they do not cover the report the reviewer file's other units, then the rule-based units, so that
sections and positions are those of the whole report), a `labelled` flag per unit in the group's attrs, and
one `themes` span per (labelled unit, label). Training, cross-validation and `nlp.initialize` all read these.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from spacy.language import Language
from spacy.tokens import Span
from spacy.training import Example

from ..rules import ReportRules
from ..components.structure import write_units
from ..components.unit_table import HEADINGS_KEY, THEMES_KEY, UNITS_KEY
from ..components.units import segment, unit_table
from .labelled_data import LabelledCorpus

DOC_ID_KEY = ("policy_nlp", "doc_id")


def _overlaps_any(start: int, end: int, spans: Sequence[tuple[int, int, str]]) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


def context_spans(corpus: LabelledCorpus, doc: str, norm: str, rules: ReportRules) -> list[tuple[int, int, str]]:
    """The labelled units of `doc` plus, where they leave text uncovered, the reviewer file's other units and
    then the rule-based units (non-overlapping), in document order."""
    spans = [(u.start, u.end, u.kind) for u in corpus.units_of(doc)]

    def uncovered() -> bool:
        covered = np.zeros(len(norm), dtype=bool)
        for s, e, _ in spans:
            covered[s:e] = True
        return any(not covered[i] and not ch.isspace() for i, ch in enumerate(norm))

    for extra in (lambda: corpus.context_units.get(doc, []),
                  lambda: [(u.start, u.end, u.kind) for u in segment(norm, rules)]):
        if not uncovered():
            break
        kept: list[tuple[int, int, str]] = []
        for sp in sorted(set(extra())):
            if not _overlaps_any(sp[0], sp[1], spans) and not _overlaps_any(sp[0], sp[1], kept):
                kept.append(sp)
        spans = sorted(spans + kept)
    return spans


def document_example(nlp: Language, corpus: LabelledCorpus, doc: str, rules: ReportRules,
                     units_key: str = UNITS_KEY, headings_key: str = HEADINGS_KEY,
                     themes_key: str = THEMES_KEY) -> Example:
    """The Example of one labelled document (see the module docstring)."""
    text = corpus.documents[doc]
    predicted = nlp.make_doc(text)
    reference = nlp.make_doc(text)
    norm = reference._.norm_text
    spans = context_spans(corpus, doc, norm, rules)
    write_units(reference, unit_table(norm, spans, rules), units_key, headings_key)
    labels = {(u.start, u.end): u.labels for u in corpus.units_of(doc)}
    group = reference.spans[units_key]
    group.attrs["labelled"] = [(s.start_char, s.end_char) in labels for s in group]
    reference.spans[themes_key] = [Span(reference, s.start, s.end, label=label) for s in group
                                   for label in labels.get((s.start_char, s.end_char), []) if s.label_ != "boilerplate"]
    reference.user_data[DOC_ID_KEY] = doc
    return Example(predicted, reference)


def corpus_examples(nlp: Language, corpus: LabelledCorpus, rules: ReportRules, **keys) -> dict[str, Example]:
    """Examples of every document of the corpus, by document name (corpus order)."""
    return {doc: document_example(nlp, corpus, doc, rules, **keys) for doc in corpus.documents}
