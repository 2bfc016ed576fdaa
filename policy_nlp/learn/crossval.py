"""Cross-validation of the training recipe: each document is scored by a model trained without it.

Folds are grouped by document (`model.thresholds.splitter`: leave-one-document-out up to five documents,
grouped 5-fold above) over the fully labelled documents; documents labelled only in part (units picked by
`suggest`) are never scored and train in every fold. Thresholds (and calibration maps) are chosen inside each
training fold only, and a fit is memoised by its parameters and rows (`EstimatorCache`, a `joblib.Memory`), so
nested cross-validation followed by the final fit makes each distinct fit once.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from joblib import Memory

from ..errors import DataError
from ..model.thresholds import KFOLDS, LODO_MAX_DOCUMENTS, folds, kfold_folds, lodo_folds
from .evaluation import report_examples, score_examples
from .labelled_data import LabelledCorpus, read_corpus


class EstimatorCache:
    """Fits memoised by (estimator parameters, training rows) in a temporary directory (`joblib.Memory`, shared
    with worker processes): a fit is made once per key, whichever fold, tuning or call asks for it. `fits`: how
    many were made. `n_jobs`: worker processes for the folds of a tuning (default: the CPU count once the folds
    are large, `thresholds.parallel_jobs`). The directory goes with the cache."""

    def __init__(self, n_jobs: int | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="policy_nlp-fits-")
        self.memory = Memory(self._dir.name, verbose=0)
        self.n_jobs = n_jobs

    @property
    def fits(self) -> int:
        return sum(1 for _ in Path(self._dir.name).rglob("output.pkl"))

    def fit_params(self) -> dict:
        """The `memory` and `n_jobs` of `ThemeEstimator.fit` (and `ThemeClassifier.initialize`)."""
        return {"memory": self.memory, "n_jobs": self.n_jobs}


def cross_validate(data: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
                   corpus: LabelledCorpus | None = None, progress: Callable[[str], None] | None = None,
                   nlp=None, cache: EstimatorCache | None = None, scheme: str = "auto") -> dict:
    """Score the training recipe on labelled documents by grouped cross-validation (see module docstring).

    `nlp`: the (untrained) pipeline whose settings are evaluated (default: `create_pipeline("char")`).
    `scheme`: the outer folds: "auto" (leave-one-document-out up to `LODO_MAX_DOCUMENTS` documents, grouped
    k-fold above), "lodo" (always leave-one-document-out) or "kfold" (always grouped k-fold). Thresholds inside
    each training fold are tuned by the automatic scheme.
    Returns the figures of `evaluation.score_examples` (the themes scorer of `nlp.evaluate`) with `mode`
    and per-document scores."""
    from spacy.training import Example

    from ..pipeline import THEMES, create_pipeline

    corpus = corpus or read_corpus(data, seeds_dir)
    if progress and data is not None:
        for line in corpus.report:
            progress(line if line.startswith("WARNING") else f"note: {line}")
    docs = corpus.fully_labelled()
    if len(docs) < 2:
        raise DataError("E041", minimum=2, count=len(docs))
    always = [d for d in corpus.documents if d not in docs]
    nlp = nlp or create_pipeline("char")
    themes = nlp.get_pipe(THEMES)
    examples = report_examples(nlp, corpus)
    cache = cache or EstimatorCache()
    groups = np.asarray(docs)
    fold_of: dict[str, list[str]] = {}
    outer = {"auto": folds, "lodo": lodo_folds, "kfold": kfold_folds}.get(scheme)
    if outer is None:
        raise DataError("E073", mode=scheme)
    for train, test in outer(groups):
        for d in groups[test]:
            fold_of[str(d)] = always + [str(x) for x in groups[train]]
    trained: dict[tuple[str, ...], object] = {}

    def predict(name: str) -> Example:
        train_docs = tuple(fold_of[name])
        if train_docs not in trained:
            if progress:
                progress(f"fold {len(trained) + 1}: training without {len(corpus.documents) - len(train_docs)} "
                         "document(s)")
            themes.initialize(lambda: [examples[d] for d in train_docs], labels=corpus.labels,
                              **cache.fit_params())
            trained[train_docs] = themes.model
        themes.set_model(trained[train_docs])
        return Example(nlp(nlp.make_doc(corpus.documents[name])), examples[name].reference)

    overall = score_examples(nlp, [predict(d) for d in docs], corpus.labels)
    per_doc = overall.pop("per_document")
    lodo = scheme == "lodo" or (scheme == "auto" and len(docs) <= LODO_MAX_DOCUMENTS)
    name = "leave-one-document-out" if lodo else f"grouped {min(KFOLDS, len(docs))}-fold"
    return {"mode": "lodo" if lodo else "grouped-kfold", "cv": name, **overall,
            "documents": docs, "training_only": always, "data_files": corpus.file_hashes, "per_document": per_doc}
