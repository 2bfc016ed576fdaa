"""Which units to label next: uncertain ones, spread over reports and sections, no near-duplicates.

`suggest(model, corpus_paths, n)` annotates unlabelled reports with a trained pipeline and ranks their content
units by their *margin*: the distance of the unit's score nearest to its label's threshold (min over labels of
|score − threshold|; small = the model is unsure whether the label applies). `select` then picks greedily:
each step takes the unit with the lowest margin plus a penalty for every unit already picked from its report
(`report_penalty`) and from its section (`section_penalty`), and never a unit whose character-bigram Jaccard
similarity to a picked one reaches `max_similarity` (near-duplicates: boilerplate-like formulae that recur
across reports). The same `select` drives the simulation in `benchmarks/active_learning.py`.

`blind=True` keeps the choice of units and drops what the model said of them (labels, scores, margin, nearest
label) from the results, so the tasks written from them carry no pre-annotation: reviewers who see a
pre-selected answer agree with it too often, and labels made blind can be used to measure the model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..corpus.document import text_sha256
from ..errors import DataError

REPORT_PENALTY = 0.03
SECTION_PENALTY = 0.05
MAX_SIMILARITY = 0.6
MODEL_KEYS = ("labels", "scores", "margin", "nearest_label")  # what `blind` drops


def margins(proba: np.ndarray, thresholds: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the smallest |score − threshold| over labels, and the label index where it is."""
    proba = np.asarray(proba, dtype=float)
    if not len(proba):
        return np.zeros(0), np.zeros(0, dtype=int)
    proba = proba.reshape(len(proba), -1)
    dist = np.abs(proba - np.asarray(thresholds, dtype=float)[None, :])
    return dist.min(axis=1), dist.argmin(axis=1)


def _bigrams(text: str) -> frozenset:
    text = "".join(text.split())
    return frozenset(text[i:i + 2] for i in range(max(len(text) - 1, 1)))


def similarity(a: frozenset, b: frozenset) -> float:
    """Jaccard similarity of two bigram sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def select(margin: Sequence[float], reports: Sequence[str], sections: Sequence[str], texts: Sequence[str], n: int,
           *, report_penalty: float = REPORT_PENALTY, section_penalty: float = SECTION_PENALTY,
           max_similarity: float = MAX_SIMILARITY) -> list[int]:
    """Indices of up to `n` units to label, in the order picked (see the module docstring)."""
    margin = np.asarray(margin, dtype=float)
    alive = np.ones(len(margin), dtype=bool)
    per_report: dict[str, int] = {}
    per_section: dict[tuple[str, str], int] = {}
    report_pen = np.zeros(len(margin))
    section_pen = np.zeros(len(margin))
    report_ids = np.asarray([hash(r) for r in reports]) if len(margin) else np.zeros(0)
    section_keys = [(r, s) for r, s in zip(reports, sections)]
    grams: dict[int, frozenset] = {}
    picked: list[int] = []
    while len(picked) < n and alive.any():
        cost = np.where(alive, margin + report_pen + section_pen, np.inf)
        i = int(np.argmin(cost))
        alive[i] = False
        g = grams.setdefault(i, _bigrams(texts[i]))
        if any(similarity(g, grams[j]) >= max_similarity for j in picked):
            continue
        picked.append(i)
        per_report[reports[i]] = per_report.get(reports[i], 0) + 1
        per_section[section_keys[i]] = per_section.get(section_keys[i], 0) + 1
        same_report = report_ids == report_ids[i]
        report_pen[same_report] = report_penalty * per_report[reports[i]]
        for j in np.flatnonzero(same_report):
            if section_keys[j] == section_keys[i]:
                section_pen[j] = section_penalty * per_section[section_keys[i]]
    return picked


def _labelled_spans(labelled: Sequence[str | Path] | None) -> dict[str, list[tuple[int, int]]]:
    """The labelled units' (start, end) by the SHA-256 of their report's text."""
    from .labelled_data import default_data, read_corpus

    corpus = read_corpus(list(labelled) if labelled else default_data())
    return {text_sha256(text): [(u.start, u.end) for u in corpus.units_of(doc)]
            for doc, text in corpus.documents.items()}


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def suggest(model, corpus_paths: Sequence[str | Path], n: int = 50, *, segmenter: str = "char",
            labelled: Sequence[str | Path] | None = None, skip_labelled: bool = True,
            text_column: str = "text", id_column: str | None = None,
            report_penalty: float = REPORT_PENALTY, section_penalty: float = SECTION_PENALTY,
            max_similarity: float = MAX_SIMILARITY, blind: bool = False,
            notes: Callable[[str], None] | None = None) -> list[dict]:
    """The `n` units of the unlabelled reports in `corpus_paths` to label next, most useful first.

    `model`: a pipeline directory or a loaded pipeline (`policy_nlp.load`). Units that overlap a labelled unit
    of the same report text (`labelled`: unit files / reviewer files; default the packaged training data) are
    not offered, and a report with every content unit labelled is skipped, unless `skip_labelled=False`.
    Each result: rank, doc (the report's file name), doc_sha256 (of its text), start, end, text, kind, section,
    before and after (the neighbouring content units' text), labels (the model's), scores, margin, nearest_label
    (the label whose threshold the unit sits nearest); `blind=True` leaves out labels, scores, margin and
    nearest_label.
    """
    from ..corpus.document import AnnotatedDocument
    from ..corpus.inputs import iter_inputs
    from ..pipeline import THEMES, load

    if n < 1:
        raise DataError("E163", n=n)
    nlp = model if hasattr(model, "pipe_names") else load(model, segmenter=segmenter)
    if THEMES not in nlp.pipe_names:
        raise DataError("E164", model=model)
    component = nlp.get_pipe(THEMES)
    labels = list(component.labels)
    thresholds = component.thresholds
    skip = _labelled_spans(labelled) if skip_labelled else {}
    say = notes or (lambda msg: None)
    units: list[dict] = []
    docs = 0
    for inp in iter_inputs(corpus_paths, text_column, id_column):
        if inp.error is not None or not (inp.text or "").strip():
            say(f"{inp.id}: skipped, {inp.error or 'empty'}")
            continue
        sha = text_sha256(inp.text)
        done = skip.get(sha, [])
        doc = AnnotatedDocument.from_doc(nlp(inp.text), text=inp.text)
        content = [u for u in doc.units if u.kind != "boilerplate" and u.text.strip()]
        fresh = [u for u in content if not _overlaps(u.start, u.end, done)]
        if content and not fresh:
            say(f"{inp.id}: skipped, already labelled")
            continue
        docs += 1
        texts = [None] + [u.text for u in content] + [None]  # each content unit between its neighbours
        context = {id(u): (texts[k], texts[k + 2]) for k, u in enumerate(content)}
        for u in fresh:
            before, after = context[id(u)]
            units.append({"doc": Path(inp.id).name, "doc_sha256": sha, "start": u.start, "end": u.end,
                          "text": u.text, "kind": u.kind, "section": list(u.section), "before": before,
                          "after": after, "labels": list(u.labels), "scores": dict(u.scores)})
    if not units:
        raise DataError("E165", paths=", ".join(map(str, corpus_paths)))
    proba = np.asarray([[u["scores"][label] for label in labels] for u in units])
    margin, nearest = margins(proba, [thresholds[label] for label in labels])
    order = select(margin, [u["doc_sha256"] for u in units], [" › ".join(u["section"]) for u in units],
                   [u["text"] for u in units], n, report_penalty=report_penalty, section_penalty=section_penalty,
                   max_similarity=max_similarity)
    out = []
    for rank, i in enumerate(order, 1):
        unit = dict(units[i])
        unit.update({"rank": rank, "margin": round(float(margin[i]), 6), "nearest_label": labels[nearest[i]]})
        out.append({k: v for k, v in unit.items() if k not in MODEL_KEYS} if blind else unit)
    say(f"{len(out)} of {len(units)} units of {docs} report(s) picked")
    return out
