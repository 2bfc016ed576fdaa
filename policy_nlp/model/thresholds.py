"""Grouped cross-validation and the per-label threshold table.

Documents are the groups: a unit is never scored by a model that saw its report. `splitter(n_docs)`
chooses `LeaveOneGroupOut` for up to `LODO_MAX_DOCUMENTS` documents and `GroupKFold(KFOLDS)` above, so the
number of fits stays constant as the corpus grows. `out_of_fold_proba` is scikit-learn's `cross_val_predict`
over that splitter (each fold's model fitted in a worker process once the folds are large enough to pay for
it, `parallel_jobs`); `tune` picks, per label, the grid threshold with the best F1 on those probabilities.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, cross_val_predict

DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = tuple(round(float(x), 3) for x in np.arange(0.1, 0.91, 0.025))
KFOLDS = 5
LODO_MAX_DOCUMENTS = KFOLDS  # leave-one-document-out while there are no more documents than folds
PARALLEL_MIN_UNITS = 4000  # below this many training rows in a batch of fits, worker processes cost more than they save


def splitter(n_docs: int):
    """The grouped splitter for a corpus of `n_docs` documents."""
    return LeaveOneGroupOut() if n_docs <= LODO_MAX_DOCUMENTS else GroupKFold(n_splits=KFOLDS)


def cv_name(n_docs: int) -> str:
    return "leave-one-document-out" if n_docs <= LODO_MAX_DOCUMENTS else f"grouped {KFOLDS}-fold"


def folds(groups: Sequence[str], splitter_=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays over the units, grouped by document (by `splitter(n_docs)` unless given)."""
    groups = np.asarray(groups)
    n_docs = len(set(groups.tolist()))
    X_dummy = np.zeros((len(groups), 1))
    return list((splitter_ or splitter(n_docs)).split(X_dummy, groups=groups))


def lodo_folds(groups: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave-one-document-out folds, whatever the number of documents."""
    return folds(groups, LeaveOneGroupOut())


def kfold_folds(groups: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped k-fold folds (k = KFOLDS, or the number of documents when there are fewer)."""
    n_docs = len(set(np.asarray(groups).tolist()))
    return folds(groups, GroupKFold(n_splits=min(KFOLDS, n_docs)))


def parallel_jobs(n_tasks: int, n_rows: int, n_jobs: int | None = None) -> int:
    """How many worker processes a batch of `n_tasks` fits over `n_rows` training rows in all gets: `n_jobs`
    if given, else the environment's POLICY_NLP_N_JOBS, else the CPU count; 1 when the batch is small."""
    if n_jobs is None:
        env = os.environ.get("POLICY_NLP_N_JOBS")
        n_jobs = int(env) if env and env.strip().isdigit() else (os.cpu_count() or 1)
        if n_rows < PARALLEL_MIN_UNITS:
            return 1
    return max(1, min(int(n_jobs), n_tasks))


def out_of_fold_proba(estimator, X, Y, groups: Sequence[str], memory=None, n_jobs: int | None = None) -> np.ndarray:
    """Probabilities of each row from a clone of `estimator` fitted without its document's fold
    (`cross_val_predict` over `splitter`); `memory` is passed on to each fold's `fit`.

    A label every training row of a fold carries scores 1.0 on the fold's rows, one no training row carries 0.0
    (the one-vs-rest classifier's constant predictor, as in the final fit). `cross_val_predict` encodes each
    column of `Y` by its values, which turns a label on every row of `Y` into all 0: those columns are set to
    the 1.0 each fold's fit gives them."""
    groups = np.asarray(groups)
    Y = np.asarray(Y, dtype=int)
    split = folds(groups)
    n = parallel_jobs(len(split), sum(len(train) for train, _ in split), n_jobs)
    oof = cross_val_predict(estimator, X, Y, groups=groups, cv=split, method="predict_proba", n_jobs=n,
                            params={"memory": memory} if memory else None)
    oof[:, Y.all(axis=0)] = 1.0
    return oof


def best_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The grid threshold with the highest F1 (ties → the one closest to `DEFAULT_THRESHOLD`)."""
    y_true = np.asarray(y_true, dtype=int)
    if y_true.sum() == 0:
        return DEFAULT_THRESHOLD
    best, best_key = DEFAULT_THRESHOLD, (-1.0, 0.0)
    for t in THRESHOLD_GRID:
        key = (round(float(f1_score(y_true, scores >= t, zero_division=0.0)), 6), -abs(t - DEFAULT_THRESHOLD))
        if key > best_key:
            best, best_key = t, key
    return float(best)


def scored_rows(groups: Sequence[str], scored: Sequence[str] | None = None) -> np.ndarray:
    """The rows that choose the thresholds (and fit the calibrators): those of the `scored` documents (the fully
    labelled ones: units picked for labelling sit near the old thresholds and would pull them); every document
    is still a fold and trains the others' models. None, or no row of them: every row."""
    rows = np.isin(np.asarray(groups), list(scored)) if scored is not None else np.ones(len(groups), dtype=bool)
    return rows if rows.any() else np.ones(len(groups), dtype=bool)


def tune(labels: Sequence[str], Y, oof: np.ndarray) -> dict[str, float]:
    """The threshold table: per label, the best grid threshold on out-of-fold probabilities `oof`."""
    Y = np.asarray(Y, dtype=int)
    return {label: best_threshold(Y[:, j], oof[:, j]) for j, label in enumerate(labels)}
