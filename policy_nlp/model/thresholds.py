"""Grouped cross-validation and the per-label threshold table.

Documents are the groups: a unit is never scored by a model that saw its report. `splitter(n_docs)`
chooses `LeaveOneGroupOut` for up to `LODO_MAX_DOCUMENTS` documents and `GroupKFold(KFOLDS)` above, so the
number of fits stays constant as the corpus grows. `out_of_fold_proba` clones and fits the estimator once
per fold; `tune` picks, per label, the grid threshold with the best F1 on those probabilities.
The fits of one tuning (its folds and, in `fit_with_thresholds`, the final fit on all documents) are
independent: a fitter with a `many` method (`learn.crossval.EstimatorCache`) runs them side by side in
worker processes once the training set is large enough to pay for it (`parallel_jobs`).
"""
from __future__ import annotations

import copy
import os
from typing import Callable, Sequence

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = tuple(round(float(x), 3) for x in np.arange(0.1, 0.91, 0.025))
KFOLDS = 5
LODO_MAX_DOCUMENTS = KFOLDS  # leave-one-document-out while there are no more documents than folds
PARALLEL_MIN_UNITS = 4000  # below this many training rows in a batch of fits, worker processes cost more than they save

# (training document names, X, Y) → a fitted estimator; lets callers reuse fits across nested loops
Fitter = Callable[[tuple[str, ...], np.ndarray, np.ndarray], object]


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


def _fit_clone(estimator, X, Y):
    return clone(estimator).fit(X, Y)


def fit_all(estimator, jobs: list[tuple[np.ndarray, np.ndarray]], n_jobs: int | None = None) -> list:
    """Fit a clone of `estimator` on each (X, Y); in worker processes when `parallel_jobs` says so. The
    results are the same either way (every random state is fixed)."""
    n = parallel_jobs(len(jobs), sum(len(X) for X, _ in jobs), n_jobs)
    if n <= 1:
        return [_fit_clone(estimator, X, Y) for X, Y in jobs]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n, backend="loky")(delayed(_fit_clone)(estimator, X, Y) for X, Y in jobs)


def default_fitter(estimator) -> Fitter:
    def fit(docs, X, Y):
        return clone(estimator).fit(X, Y)

    def many(jobs):
        return fit_all(estimator, [(X, Y) for _, X, Y in jobs])

    fit.many = many
    return fit


def fit_many(fit: Fitter, jobs: list[tuple[tuple[str, ...], np.ndarray, np.ndarray]]) -> list:
    """`fit(docs, X, Y)` for each job, through the fitter's `many` (side by side) when it has one."""
    many = getattr(fit, "many", None)
    return many(jobs) if many is not None else [fit(*job) for job in jobs]


def _fold_jobs(X, Y, groups: np.ndarray):
    out = []
    for train, test in folds(groups):
        out.append(((tuple(dict.fromkeys(groups[train].tolist())), X[train], Y[train]), test))
    return out


def out_of_fold_proba(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None,
                      extra_jobs: Sequence[tuple] = (), extra_out: list | None = None) -> np.ndarray:
    """Probabilities of each unit from a model fitted without its document's fold. `extra_jobs` are fitted
    in the same batch and appended to `extra_out`."""
    fit = fit or default_fitter(estimator)
    groups = np.asarray(groups)
    Y = np.asarray(Y)
    out = np.zeros(Y.shape, dtype=float)
    jobs = _fold_jobs(X, Y, groups)
    fitted = fit_many(fit, [job for job, _ in jobs] + list(extra_jobs))
    for (_, test), model in zip(jobs, fitted):
        out[test] = model.predict_proba(X[test])
    if extra_out is not None:
        extra_out.extend(fitted[len(jobs):])
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


def tune(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None, extra_jobs: Sequence[tuple] = (),
         extra_out: list | None = None, scored: Sequence[str] | None = None) -> dict[str, float]:
    """The threshold table: per label, the best grid threshold on out-of-fold probabilities (0.5 for every
    label when there is only one document). `scored`: the documents whose rows choose the thresholds (the
    fully labelled ones: units picked for labelling sit near the old thresholds and would pull them); every
    document is still a fold and trains the others' models. None, or no row of them: every row."""
    labels = list(estimator.labels)
    if len(set(groups)) < 2:
        if extra_out is not None:
            extra_out.extend(fit_many(fit or default_fitter(estimator), list(extra_jobs)))
        return {label: DEFAULT_THRESHOLD for label in labels}
    Y = np.asarray(Y, dtype=int)
    oof = out_of_fold_proba(estimator, X, Y, groups, fit, extra_jobs, extra_out)
    rows = np.isin(np.asarray(groups), list(scored)) if scored is not None else np.ones(len(Y), dtype=bool)
    rows = rows if rows.any() else np.ones(len(Y), dtype=bool)
    return {label: best_threshold(Y[rows, j], oof[rows, j]) for j, label in enumerate(labels)}


def fit_with_thresholds(estimator, X, Y, groups: Sequence[str], fit: Fitter | None = None, tune_thresholds=True,
                        scored: Sequence[str] | None = None):
    """Tune the threshold table on the training documents (`scored`: see `tune`), then fit on all of them (the
    final fit runs in the same batch as the tuning folds')."""
    fit = fit or default_fitter(estimator)
    docs = tuple(dict.fromkeys(np.asarray(groups).tolist()))
    final_job = (docs, X, np.asarray(Y, dtype=int))
    if tune_thresholds:
        extra: list = []
        thresholds = tune(estimator, X, Y, groups, fit, [final_job], extra, scored)
        (final,) = extra
    else:
        thresholds, final = None, fit(*final_job)
    fitted = copy.copy(final)  # a cached fit is shared: own the copy
    if thresholds is not None:
        fitted.with_thresholds(thresholds)
    return fitted
