"""Scoring: per-label precision/recall/F1, macro/micro F1, exact-set accuracy, confused label pairs.

Gold units are aligned to predicted units by character overlap (the predicted unit overlapping a gold
unit most lends it its labels), so a different sentence split costs what it costs instead of being
hidden. `evaluate` scores a saved model (`crossval.cross_validate` scores the training recipe).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ..components.themes import align_spans
from ..corpus.document import AnnotatedDocument, AnnotatedUnit
from ..model.metrics import compute_metrics
from .labelled_data import LabelledCorpus, read_corpus

def align(gold: Sequence[AnnotatedUnit], predicted: AnnotatedDocument) -> list:
    """For each gold unit, the predicted unit that overlaps it most in characters, None if none (the themes
    scorer's `align_spans`, so that `nlp.evaluate` pairs the units the same way)."""
    units = sorted(predicted.units, key=lambda u: (u.start, u.end))
    paired = align_spans([(g.start, g.end) for g in gold], [(u.start, u.end) for u in units])
    return [units[i] if i is not None else None for i in paired]


def align_predictions(gold: Sequence[AnnotatedUnit], predicted: AnnotatedDocument) -> list[list[str]]:
    """For each gold unit, the labels of the predicted unit `align` pairs it with ([] if none)."""
    return [list(u.labels) if u is not None else [] for u in align(gold, predicted)]


def format_metrics(metrics: dict, title: str = "") -> str:
    """A readable table of `compute_metrics` output."""
    lines = [title] if title else []
    lines.append(f"{'label':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label, m in metrics["per_label"].items():
        f1 = "-" if m["f1"] is None else f"{m['f1']:.3f}"
        lines.append(f"{label:<24}{m['precision']:>10.3f}{m['recall']:>10.3f}{f1:>10}{m['support']:>10d}")
    lines.append(f"{'macro F1':<24}{metrics['macro_f1']:>30.3f}")
    lines.append(f"{'micro F1':<24}{metrics['micro_f1']:>30.3f}")
    lines.append(f"{'exact-set accuracy':<24}{metrics['exact_set_accuracy']:>30.3f}   ({metrics['units']} units)")
    if metrics.get("labels_not_in_model"):
        lines.append("gold labels the model does not have (scored as missed): "
                     + ", ".join(metrics["labels_not_in_model"]))
    if metrics["confused_pairs"]:
        lines.append("most confused (gold label missed → label predicted instead):")
        for c in metrics["confused_pairs"]:
            lines.append(f"  {c['gold']:<22} → {c['predicted']:<22} {c['count']:>4}")
    return "\n".join(lines)


def format_per_document(metrics: dict) -> str:
    """One line per document: units, macro and micro F1, exact-set accuracy."""
    docs = metrics.get("per_document") or {}
    lines = [f"{'document':<32}{'units':>7}{'macro F1':>10}{'micro F1':>10}{'exact':>8}"]
    for doc, m in docs.items():
        lines.append(f"{doc:<32}{m['units']:>7d}{m['macro_f1']:>10.3f}{m['micro_f1']:>10.3f}"
                     f"{m['exact_set_accuracy']:>8.3f}")
    return "\n".join(lines)


def score_corpus(corpus: LabelledCorpus, predict: Callable[[str, str], AnnotatedDocument],
                 labels: Sequence[str]) -> tuple[dict, dict]:
    """Annotate each document with `predict(doc_name, text)` and score it; also per-document metrics. The
    overall metrics carry `predictions`: per gold unit its doc, start, end, gold labels, the aligned unit's
    labels and scores (for error analysis and calibration)."""
    gold_all, pred_all, per_doc, predictions = [], [], {}, []
    for doc, text in corpus.documents.items():
        gold = corpus.units_of(doc)
        paired = align(gold, predict(doc, text))
        pred = [list(u.labels) if u is not None else [] for u in paired]
        gold_sets = [u.labels for u in gold]
        per_doc[doc] = compute_metrics(gold_sets, pred, labels)
        gold_all += gold_sets
        pred_all += pred
        predictions += [{"doc": doc, "start": g.start, "end": g.end, "gold": list(g.labels), "predicted": p,
                         "scores": dict(u.scores) if u is not None else {}} for g, p, u in zip(gold, pred, paired)]
    return {**compute_metrics(gold_all, pred_all, labels), "predictions": predictions}, per_doc


def evaluate(model: str | Path, data: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
             segmenter: str = "char") -> dict:
    """Score a saved pipeline on labelled documents. The segmenter does not change the units or the
    features (both work on characters), so 'char' gives the same labels without the pkuseg weights."""
    from ..corpus.annotation import annotate_text
    from ..pipeline import load

    nlp = load(model, segmenter=segmenter)
    model_labels = list(nlp.get_pipe("policy_nlp_themes").labels)
    corpus = read_corpus(data, seeds_dir, known_labels=model_labels)
    # Gold labels the model does not know are scored too (all missed), not dropped.
    extra = [label for label in corpus.labels if label not in model_labels]
    overall, per_doc = score_corpus(corpus, lambda name, text: annotate_text(text, nlp), model_labels + extra)
    return {"mode": "model", "model": str(model), **overall, "labels_not_in_model": extra,
            "documents": sorted(corpus.documents), "data_files": corpus.file_hashes, "per_document": per_doc}
