"""Grouped cross-validation and the per-label threshold table.

Documents are the groups: a unit is never scored by a model that saw its report. `splitter(n_docs)`
chooses `LeaveOneGroupOut` for up to `LODO_MAX_DOCUMENTS` documents and `GroupKFold(KFOLDS)` above, so the
number of fits stays constant as the corpus grows. `out_of_fold_proba` clones and fits the estimator once
per fold; `tune` picks, per label, the grid threshold with the best F1 on those probabilities.
"""
from __future__ import annotations

import copy
from typing import Callable, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = tuple(round(float(x), 3) for x in np.arange(0.1, 0.91, 0.025))
LODO_MAX_DOCUMENTS = 10
KFOLDS = 5

# (training document names, X, Y) → a fitted estimator; lets callers reuse fits across nested loops
Fitter = Callable[[tuple[str, ...], np.ndarray, np.ndarray], object]


def splitter(n_docs: int):
    """The grouped splitter for a corpus of `n_docs` documents."""
    return LeaveOneGroupOut() if n_docs <= LODO_MAX_DOCUMENTS else GroupKFold(n_splits=KFOLDS)


def cv_name(n_docs: int) -> str:
    return "leave-one-document-out" if n_docs <= LODO_MAX_DOCUMENTS else f"grouped {KFOLDS}-fold"


def folds(groups: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays over the units, grouped by document."""
    groups = np.asarray(groups)
    n_docs = len(set(groups.tolist()))
    X_dummy = np.zeros((len(groups), 1))
    return list(splitter(n_docs).split(X_dummy, groups=groups))


def default_fitter(estimator) -> Fitter:
    def fit(docs, X, Y):
        return clone(estimator).fit(X, Y)
    return fit


def out_of_fold_proba(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None) -> np.ndarray:
    """Probabilities of each unit from a model fitted without its document's fold."""
    fit = fit or default_fitter(estimator)
    groups = np.asarray(groups)
    out = np.zeros(np.asarray(Y).shape, dtype=float)
    for train, test in folds(groups):
        docs = tuple(dict.fromkeys(groups[train].tolist()))
        out[test] = fit(docs, X[train], Y[train]).predict_proba(X[test])
    return out


def best_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The grid threshold with the highest F1 (ties → the one closest to 0.5)."""
    if y_true.sum() == 0:
        return DEFAULT_THRESHOLD
    best, best_key = DEFAULT_THRESHOLD, (-1.0, 0.0)
    positives = y_true == 1
    for t in THRESHOLD_GRID:
        pred = scores >= t
        tp = float((pred & positives).sum())
        fp = float((pred & ~positives).sum())
        fn = float((~pred & positives).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        key = (round(f1, 6), -abs(t - 0.5))
        if key > best_key:
            best, best_key = t, key
    return float(best)


def tune(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None) -> dict[str, float]:
    """The threshold table: per label, the best grid threshold on out-of-fold probabilities (0.5 for every
    label when there is only one document)."""
    labels = list(estimator.labels)
    if len(set(groups)) < 2:
        return {label: DEFAULT_THRESHOLD for label in labels}
    Y = np.asarray(Y, dtype=int)
    oof = out_of_fold_proba(estimator, X, Y, groups, fit)
    return {label: best_threshold(Y[:, j], oof[:, j]) for j, label in enumerate(labels)}


def fit_with_thresholds(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None, tune_thresholds=True):
    """Tune the threshold table on the training documents, then fit on all of them."""
    fit = fit or default_fitter(estimator)
    thresholds = tune(estimator, X, Y, groups, fit) if tune_thresholds else None
    docs = tuple(dict.fromkeys(np.asarray(groups).tolist()))
    fitted = copy.copy(fit(docs, X, np.asarray(Y, dtype=int)))  # a cached fit is shared: own the copy
    if thresholds is not None:
        fitted.with_thresholds(thresholds)
    return fitted
