"""Training: labelled units → a complete pipeline directory (atomically written) and its metrics."""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .classifier import PART_LABELS, RANDOM_STATE, FittedEstimator, ThemeModel
from .errors import DataError
from .features import UnitContext, build_contexts
from .labelled_data import DEFAULT_LABELS, LabelledCorpus, UnitRecord, read_corpus
from .normalize import normalize
from .units import segment

MIN_POSITIVES = 5


def _overlaps_any(start: int, end: int, spans: Sequence[tuple[int, int, str]]) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


def context_spans(corpus: LabelledCorpus, doc: str, norm: str) -> list[tuple[int, int, str]]:
    """The labelled units of `doc` plus, where they do not cover the document (a reviewer marked only some
    units), the other units of the reviewer file and then those of the rule-based segmenter, so that
    sections and positions are those of the whole report."""
    spans = [(u.start, u.end, u.kind) for u in corpus.units_of(doc)]

    def uncovered() -> bool:
        covered = np.zeros(len(norm), dtype=bool)
        for s, e, _ in spans:
            covered[s:e] = True
        return any(not covered[i] and not ch.isspace() for i, ch in enumerate(norm))

    for extra in (lambda: corpus.context_units.get(doc, []),
                  lambda: [(u.start, u.end, u.kind) for u in segment(norm)]):
        if not uncovered():
            break
        fill = [sp for sp in sorted(set(extra())) if not _overlaps_any(sp[0], sp[1], spans)]
        kept: list[tuple[int, int, str]] = []
        for sp in fill:  # the fill may overlap itself (several reviewer files)
            if not _overlaps_any(sp[0], sp[1], kept):
                kept.append(sp)
        spans = sorted(spans + kept)
    return spans


def document_contexts(corpus: LabelledCorpus, doc: str) -> list[tuple[UnitRecord, UnitContext]]:
    """The non-boilerplate labelled units of `doc` with their feature contexts (cached on the corpus)."""
    cache = corpus.__dict__.setdefault("_contexts", {})
    if doc not in cache:
        norm = normalize(corpus.documents[doc]).text
        spans = context_spans(corpus, doc, norm)
        by_span = dict(zip(((s, e) for s, e, _ in spans), build_contexts(norm, spans)))
        cache[doc] = [(u, by_span[(u.start, u.end)]) for u in corpus.units_of(doc) if u.kind != "boilerplate"]
    return cache[doc]


def corpus_matrix(corpus: LabelledCorpus, docs: Sequence[str] | None = None
                  ) -> tuple[list[UnitContext], np.ndarray, list[str]]:
    """Contexts, 0/1 label matrix and document groups of the non-boilerplate units of `docs`."""
    contexts, rows, groups = [], [], []
    for doc in docs if docs is not None else list(corpus.documents):
        for unit, ctx in document_contexts(corpus, doc):
            contexts.append(ctx)
            rows.append([int(label in unit.labels) for label in corpus.labels])
            groups.append(doc)
    return contexts, np.asarray(rows, dtype=int).reshape(len(rows), len(corpus.labels)), groups


def fit_theme_model(corpus: LabelledCorpus, docs: Sequence[str] | None = None, C: float = 4.0,
                    part_labels: Sequence[str] = PART_LABELS, cache: dict | None = None) -> ThemeModel:
    """`ThemeModel.fit` on the units of `docs` (default: all, in corpus order): thresholds from an inner
    leave-one-document-out over `docs`, then the estimator on all of `docs`.

    `cache`: a dict shared between calls on the same corpus (as cross-validation and training do). The
    estimator fitted on a set of documents is the same whichever call fits it (fixed random state, the
    same units in the same order), so it is fitted once: nested leave-one-document-out over n documents
    then fits n(n-1)/2 + n + 1 estimators instead of n² + 1. The result is identical to `ThemeModel.fit`.
    """
    order = list(corpus.documents) if docs is None else [d for d in corpus.documents if d in set(docs)]
    model = ThemeModel(corpus.labels, C=C, part_labels=part_labels)
    contexts, Y, groups = corpus_matrix(corpus, order)
    if cache is None:
        return model.fit(contexts, Y, groups)

    def cached_fit(train_docs: Sequence[str], ctx, Yt) -> FittedEstimator:
        key = (tuple(train_docs), tuple(corpus.labels), C, tuple(part_labels))
        if key not in cache:
            cache[key] = model.fit_estimator(train_docs, ctx, np.asarray(Yt, dtype=int))
        return cache[key]

    return model.fit(contexts, Y, groups, fit=cached_fit)


def check_label_counts(corpus: LabelledCorpus, allow_rare_labels: bool, warn: Callable[[str], None],
                       minimum: int = MIN_POSITIVES) -> None:
    for label, count in corpus.label_counts().items():
        if count < minimum:
            err = DataError("E038", label=label, count=count, minimum=minimum)
            if not allow_rare_labels:
                raise err
            warn(f"WARNING: {err.message} Training it anyway (--allow-rare-labels).")


def _library_versions() -> dict:
    import datasets
    import opencc
    import sklearn
    import spacy

    from . import __version__

    return {"policy_nlp": __version__, "spacy": spacy.__version__, "scikit-learn": sklearn.__version__,
            "opencc": opencc.__version__, "datasets": datasets.__version__}


def is_pipeline_dir(path: Path) -> bool:
    return (path / "config.cfg").is_file() and (path / "meta.json").is_file()


def check_out_dir(out: Path) -> None:
    """`out` may be new, an empty directory or a pipeline directory: anything else is not replaced."""
    if out.exists() and not (out.is_dir() and (is_pipeline_dir(out) or not any(out.iterdir()))):
        raise DataError("E072", path=out)


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move `tmp` to `out`, keeping the old `out` until the new one is in place."""
    backup = None
    if out.exists():
        backup = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, backup)
    try:
        os.replace(tmp, out)
    except BaseException:
        if backup is not None:
            os.replace(backup, out)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def train(data: Sequence[str | Path] | None, out: str | Path, *, from_model: str | Path | None = None,
          seeds_dir: str | Path | None = None, allow_new_labels: bool = False, allow_rare_labels: bool = False,
          cv: bool = True, name: str = "reports", version: str = "0.1.0",
          progress: Callable[[str], None] | None = None) -> dict:
    """Train a pipeline on labelled units and write it to `out`; return its metadata (with CV metrics).

    `data`: unit JSONL files, reviewer JSON files (only units marked `"reviewed": true`), or directories of
    them; merged in the order given (see `read_corpus`). The label set comes from the data; a label with
    fewer than 5 positive units is refused (E038) unless `allow_rare_labels` (then a warning is given).
    `from_model`: take the pipeline settings (tokenizer, pkuseg model, part labels, C) and the known labels
    of an existing pipeline, and learn its theme model anew from `data`.
    `cv`: also score the training recipe by leave-one-document-out and store it in meta.json.
    Nothing is written unless training succeeds: the directory is built next to `out` and moved into place
    at the end; an existing `out` that is not a pipeline directory (nor empty) is refused (E072).
    """
    from .evaluation import cross_validate
    from .pipeline import THEMES, create_pipeline, load

    started = time.monotonic()

    def say(msg: str) -> None:
        if progress:
            progress(f"[{time.monotonic() - started:5.1f}s] {msg}")

    out = Path(out)
    check_out_dir(out)
    known = list(DEFAULT_LABELS)
    C, part_labels = 4.0, list(PART_LABELS)
    tokenizer_settings: dict = {}
    if from_model is not None:
        say(f"reading settings and labels of {from_model}")
        base = load(from_model, segmenter="char")
        base_model = base.get_pipe(THEMES).model
        known = list(dict.fromkeys(list(base_model.labels) + known))
        C, part_labels = base_model.C, list(base_model.part_labels)
        tokenizer_settings = {"opencc_config": base.tokenizer.opencc_config,
                              "pkuseg_model": base.tokenizer.pkuseg_model}
    paths = [Path(p) for p in data] if data else []
    say(f"reading {len(paths)} data file(s): {', '.join(map(str, paths))}" if paths else "reading the seed units")
    corpus = read_corpus(paths or None, seeds_dir, known_labels=known, allow_new_labels=allow_new_labels)
    for line in corpus.report:
        say(line if line.startswith("WARNING") else f"note: {line}")
    counts = corpus.label_counts()
    say(f"{len(corpus.units)} units in {len(corpus.documents)} documents; {len(corpus.labels)} labels: "
        + ", ".join(f"{k}={v}" for k, v in counts.items()))
    check_label_counts(corpus, allow_rare_labels, say)

    metrics = None
    cache: dict = {}  # estimators by training documents, shared by the CV folds and the final model
    if cv and len(corpus.documents) >= 2:
        say(f"leave-one-document-out cross-validation over {len(corpus.documents)} documents")
        metrics = cross_validate(corpus=corpus, progress=say, C=C, part_labels=part_labels, cache=cache)
        say(f"cross-validated macro F1 {metrics['macro_f1']:.3f}, micro F1 {metrics['micro_f1']:.3f}")
    elif cv:
        say("WARNING: cross-validation skipped: it needs at least 2 documents")
    say("fitting the final model (thresholds by inner leave-one-document-out"
        + (")" if len(corpus.documents) >= 2 else ": only one document, every threshold stays 0.5)"))
    model = fit_theme_model(corpus, C=C, part_labels=part_labels, cache=cache)
    cache.clear()
    say("thresholds: " + ", ".join(f"{k}={v:.3f}" for k, v in model.thresholds.items()))

    nlp = create_pipeline("pkuseg", **tokenizer_settings)
    nlp.get_pipe(THEMES).set_model(model)
    nlp.meta.update({
        "name": name, "version": version,
        "description": "Themes of the units of Chinese rule-of-law government reports (policy_nlp).",
        "license": "MIT",
    })
    nlp.meta["policy_nlp"] = {
        "labels": corpus.labels,
        "new_labels": corpus.new_labels,
        "label_counts": counts,
        "units": len(corpus.units),
        "documents": sorted(corpus.documents),
        "thresholds": model.thresholds,
        "data_files": corpus.file_hashes,
        "versions": _library_versions(),
        "trained": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "settings": {"C": C, "part_labels": part_labels, "random_state": RANDOM_STATE,
                     "threshold_selection": "inner leave-one-document-out on the training documents",
                     "from_model": None if from_model is None else str(from_model),
                     "allow_new_labels": allow_new_labels, "allow_rare_labels": allow_rare_labels,
                     "rare_labels": [k for k, v in counts.items() if v < MIN_POSITIVES]},
        "cv": None if metrics is None else {k: metrics[k] for k in
                                            ("mode", "labels", "macro_f1", "micro_f1", "exact_set_accuracy",
                                             "per_label", "confused_pairs", "units")},
        "merge_report": corpus.report,
    }
    say(f"writing the pipeline to {out}")
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        nlp.to_disk(tmp)
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"saved to {out}")
    return nlp.meta["policy_nlp"]
