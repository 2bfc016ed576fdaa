"""Training: labelled units → a complete pipeline directory (atomically written) and its metrics."""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .classifier import PART_LABELS, ThemeModel
from .errors import DataError
from .features import UnitContext, build_contexts
from .labelled_data import DEFAULT_LABELS, LabelledCorpus, read_corpus
from .normalize import normalize

MIN_POSITIVES = 5


def corpus_matrix(corpus: LabelledCorpus, docs: Sequence[str] | None = None
                  ) -> tuple[list[UnitContext], np.ndarray, list[str]]:
    """Contexts, 0/1 label matrix and document groups of the non-boilerplate units of `docs`."""
    contexts, rows, groups = [], [], []
    for doc in docs if docs is not None else list(corpus.documents):
        units = corpus.units_of(doc)
        norm = normalize(corpus.documents[doc]).text
        for unit, ctx in zip(units, build_contexts(norm, [(u.start, u.end, u.kind) for u in units])):
            if unit.kind == "boilerplate":
                continue
            contexts.append(ctx)
            rows.append([int(label in unit.labels) for label in corpus.labels])
            groups.append(doc)
    return contexts, np.asarray(rows, dtype=int).reshape(len(rows), len(corpus.labels)), groups


def fit_theme_model(corpus: LabelledCorpus, docs: Sequence[str] | None = None, C: float = 4.0,
                    part_labels: Sequence[str] = PART_LABELS) -> ThemeModel:
    contexts, Y, groups = corpus_matrix(corpus, docs)
    return ThemeModel(corpus.labels, C=C, part_labels=part_labels).fit(contexts, Y, groups)


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
    """Train a pipeline on labelled units and write it to `out`; return its metadata (with metrics).

    `from_model`: take the pipeline settings (tokenizer, segmenter, pkuseg model, part labels, C) and the
    known labels of an existing pipeline, and learn its theme model anew from `data`. Nothing is written
    unless training succeeds: the directory is built next to `out` and moved into place at the end.
    """
    from .evaluation import cross_validate
    from .pipeline import THEMES, create_pipeline, load

    say = progress or (lambda msg: None)
    out = Path(out)
    known = list(DEFAULT_LABELS)
    C, part_labels = 4.0, list(PART_LABELS)
    if from_model is not None:
        base = load(from_model, segmenter="char")
        base_model = base.get_pipe(THEMES).model
        known = list(dict.fromkeys(list(base_model.labels) + known))
        C, part_labels = base_model.C, list(base_model.part_labels)
    say(f"reading {len(data or [])} data file(s)" if data else "reading the seed units")
    corpus = read_corpus(data, seeds_dir, known_labels=known, allow_new_labels=allow_new_labels)
    for line in corpus.report:
        say(f"merge: {line}")
    counts = corpus.label_counts()
    say(f"{len(corpus.units)} units in {len(corpus.documents)} documents; labels: "
        + ", ".join(f"{k}={v}" for k, v in counts.items()))
    check_label_counts(corpus, allow_rare_labels, say)

    metrics = None
    if cv and len(corpus.documents) >= 2:
        say("leave-one-document-out cross-validation")
        metrics = cross_validate(corpus=corpus, progress=say, C=C, part_labels=part_labels)
        say(f"cross-validated macro F1 {metrics['macro_f1']:.3f}, micro F1 {metrics['micro_f1']:.3f}")
    say("fitting the final model (thresholds by inner leave-one-document-out)")
    model = fit_theme_model(corpus, C=C, part_labels=part_labels)
    say("thresholds: " + ", ".join(f"{k}={v:.3f}" for k, v in model.thresholds.items()))

    if from_model is not None:
        nlp = load(from_model, segmenter="char")
        tok = nlp.tokenizer
        nlp = create_pipeline("pkuseg", opencc_config=tok.opencc_config, pkuseg_model=tok.pkuseg_model)
    else:
        nlp = create_pipeline("pkuseg")
    nlp.get_pipe(THEMES).set_model(model)
    nlp.meta.update({
        "name": name, "version": version,
        "description": "Themes of the units of Chinese rule-of-law government reports (policy_nlp).",
        "license": "MIT",
    })
    nlp.meta["policy_nlp"] = {
        "labels": corpus.labels,
        "label_counts": counts,
        "units": len(corpus.units),
        "documents": sorted(corpus.documents),
        "thresholds": model.thresholds,
        "data_files": corpus.file_hashes,
        "versions": _library_versions(),
        "trained": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "cv": None if metrics is None else {k: metrics[k] for k in
                                            ("mode", "macro_f1", "micro_f1", "exact_set_accuracy", "per_label",
                                             "confused_pairs", "units")},
        "merge_report": corpus.report,
    }
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
