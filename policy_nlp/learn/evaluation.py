"""Scoring: per-label precision/recall/F1, macro/micro F1, exact-set accuracy, confused label pairs.

The labelled documents become spaCy `Example`s (`report_examples`) and the themes component's scorer
(`components.themes.score_themes`, what `nlp.evaluate` calls) scores them: gold units are aligned to predicted
units by character overlap (the predicted unit overlapping a gold unit most lends it its labels), so a
different sentence split costs what it costs instead of being hidden. `evaluate` scores a saved model with
`nlp.evaluate` (`crossval.cross_validate` scores the training recipe through the same scorer).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from spacy.language import Language
from spacy.scorer import Scorer
from spacy.training import Example

from .examples import corpus_examples
from .labelled_data import LabelledCorpus, read_corpus


def report_examples(nlp: Language, corpus: LabelledCorpus) -> dict[str, Example]:
    """The Examples `nlp.evaluate` scores, by document: predicted `nlp.make_doc(text)`, reference the labelled
    units in the themes scorer's reference format (`examples.corpus_examples`, as for training). E102 first
    for a report longer than `annotation.MAX_CHARS`."""
    from ..corpus.annotation import MAX_CHARS, check_length
    from ..pipeline import STRUCTURE, THEMES

    for text in corpus.documents.values():
        check_length(text, MAX_CHARS, getattr(nlp.tokenizer, "segmenter", None))
    themes = nlp.get_pipe(THEMES)
    return corpus_examples(nlp, corpus, nlp.get_pipe(STRUCTURE).rules, units_key=themes.units_key,
                           themes_key=themes.themes_key)


def report_figures(scores: dict) -> dict:
    """The evaluation report's figures from the themes scorer's keys of a scores dict (`nlp.evaluate`,
    `components.themes.score_themes`): labels, units, per-label figures, macro and micro F1, exact-set
    accuracy, confused pairs, per gold unit its prediction, and per-document figures."""
    return {"labels": list(scores["themes_per_label"]), "units": scores["themes_units"],
            "per_label": scores["themes_per_label"], "macro_f1": scores["themes_macro_f"],
            "micro_f1": scores["themes_micro_f"], "exact_set_accuracy": scores["themes_exact_set"],
            "confused_pairs": scores["themes_confused"], "predictions": scores["themes_predictions"],
            "per_document": scores["themes_per_document"]}


class ThemesScorer(Scorer):
    """spaCy's `Scorer` that calls the themes component's scorer only: the evaluation report holds theme
    figures, and the structure and indicator scorers would walk every token of every reference report for
    figures nobody reads (a fifth of the evaluation's time on the 101 reports of the suggested units)."""

    def score(self, examples: Iterable[Example], *, per_component: bool = False) -> dict:
        from ..pipeline import THEMES

        scores = self.nlp.get_pipe(THEMES).score(examples, **self.cfg)
        return {THEMES: scores} if per_component else scores


def score_pipeline(nlp: Language, corpus: LabelledCorpus, labels: Sequence[str]) -> dict:
    """`report_figures` of `nlp.evaluate` on the corpus' Examples (`report_examples`), `labels` scored by the
    themes component's scorer (`ThemesScorer`)."""
    scorer = ThemesScorer(nlp, labels=list(labels))
    return report_figures(nlp.evaluate(report_examples(nlp, corpus).values(), scorer=scorer))


def score_examples(nlp: Language, examples: Iterable[Example], labels: Sequence[str]) -> dict:
    """`report_figures` of Examples whose predicted docs `nlp` has already processed (each fold's model its
    own, `crossval`): the themes component's scorer, as `nlp.evaluate` calls it."""
    from ..pipeline import THEMES

    return report_figures(nlp.get_pipe(THEMES).score(list(examples), labels=list(labels)))


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


def evaluate(model: str | Path, data: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
             segmenter: str = "char") -> dict:
    """Score a saved pipeline on labelled documents with `nlp.evaluate` (the themes component's scorer). The
    segmenter does not change the units or the features (both work on characters), so 'char' gives the same
    labels without the pkuseg weights."""
    from ..pipeline import THEMES, load

    nlp = load(model, segmenter=segmenter)
    model_labels = list(nlp.get_pipe(THEMES).labels)
    corpus = read_corpus(data, seeds_dir, known_labels=model_labels)
    # Gold labels the model does not know are scored too (all missed), not dropped.
    extra = [label for label in corpus.labels if label not in model_labels]
    figures = score_pipeline(nlp, corpus, model_labels + extra)
    per_doc = figures.pop("per_document")
    return {"mode": "model", "model": str(model), **figures, "labels_not_in_model": extra,
            "documents": sorted(corpus.documents), "data_files": corpus.file_hashes, "per_document": per_doc}
