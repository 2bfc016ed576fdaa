"""The multi-label theme model: features → one logistic regression per label → per-label thresholds.

Topic labels (what a unit is about) see only what the unit and its paragraph say; report-part labels
(`shortcomings`, `plans`: what the unit does in the report) also see where it sits (section headings,
position). `ThemeModel.fit` chooses each label's threshold on out-of-fold probabilities of an inner
leave-one-document-out loop over the *training* documents only. Every random state is fixed.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from .features import BLOCKS, UnitContext, UnitFeaturizer

PART_LABELS = ("shortcomings", "plans")
TOPIC_BLOCKS = ("text", "content")
DEFAULT_THRESHOLD = 0.5
THRESHOLD_GRID = tuple(round(float(x), 3) for x in np.arange(0.1, 0.91, 0.025))
RANDOM_STATE = 0


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


class FittedEstimator:
    """A fitted featurizer and, per label, the feature columns it reads and its classifier."""

    def __init__(self, featurizer: UnitFeaturizer, columns: list[np.ndarray], classifiers: list):
        self.featurizer = featurizer
        self.columns = columns
        self.classifiers = classifiers

    def predict_proba(self, contexts: Sequence[UnitContext]) -> np.ndarray:
        X = self.featurizer.transform(list(contexts))
        out = np.zeros((X.shape[0], len(self.classifiers)), dtype=float)
        for j, (cols, clf) in enumerate(zip(self.columns, self.classifiers)):
            if isinstance(clf, float):  # a label with one class in the training data
                out[:, j] = clf
            else:
                out[:, j] = clf.predict_proba(X[:, cols])[:, 1]
        return out


# (documents, their units' contexts, their label rows) → a fitted estimator
EstimatorFitter = Callable[[Sequence[str], Sequence[UnitContext], np.ndarray], FittedEstimator]


class ThemeModel:
    """Labels, the fitted estimator and per-label decision thresholds."""

    def __init__(self, labels: Sequence[str], C: float = 4.0, part_labels: Sequence[str] = PART_LABELS):
        self.labels = list(labels)
        self.C = C
        self.part_labels = list(part_labels)
        self.estimator: FittedEstimator | None = None
        self.thresholds: dict[str, float] = {label: DEFAULT_THRESHOLD for label in self.labels}
        self.cv_scores: dict | None = None

    def blocks_for(self, label: str) -> tuple[str, ...]:
        return BLOCKS if label in self.part_labels else TOPIC_BLOCKS

    def _fit_estimator(self, contexts: Sequence[UnitContext], Y: np.ndarray) -> FittedEstimator:
        featurizer = UnitFeaturizer().fit(list(contexts))
        X = featurizer.transform(list(contexts))
        columns, classifiers = [], []
        for j, label in enumerate(self.labels):
            cols = featurizer.columns(self.blocks_for(label))
            y = Y[:, j]
            columns.append(cols)
            if y.min() == y.max():
                classifiers.append(float(y[0]))
                continue
            clf = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=2000,
                                     random_state=RANDOM_STATE)
            classifiers.append(clf.fit(X[:, cols], y))
        return FittedEstimator(featurizer, columns, classifiers)

    def out_of_fold_scores(self, contexts: Sequence[UnitContext], Y: np.ndarray, groups: Sequence[str],
                           fit: EstimatorFitter | None = None) -> np.ndarray:
        """Leave-one-document-out probabilities over the given documents."""
        fit = fit or self.fit_estimator
        groups = np.asarray(groups)
        order = list(dict.fromkeys(groups.tolist()))  # documents in order of appearance
        scores = np.zeros(Y.shape, dtype=float)
        for doc in sorted(order):
            test = groups == doc
            est = fit([d for d in order if d != doc], [c for c, m in zip(contexts, ~test) if m], Y[~test])
            scores[test] = est.predict_proba([c for c, m in zip(contexts, test) if m])
        return scores

    def fit_estimator(self, docs: Sequence[str], contexts: Sequence[UnitContext], Y: np.ndarray) -> FittedEstimator:
        """The default `EstimatorFitter`: fit on these units (`docs` names their documents, unused here)."""
        return self._fit_estimator(contexts, Y)

    def fit(self, contexts: Sequence[UnitContext], Y: np.ndarray, groups: Sequence[str],
            tune_thresholds: bool = True, fit: EstimatorFitter | None = None) -> "ThemeModel":
        """Thresholds from leave-one-document-out over `groups`, then the estimator on all units.

        `fit(docs, contexts, Y)`: how an estimator is fitted on the units of `docs`; a caller fitting many
        models on the same corpus (cross-validation, then training) passes one that reuses estimators.
        """
        fit = fit or self.fit_estimator
        Y = np.asarray(Y, dtype=int)
        if tune_thresholds and len(set(groups)) >= 2:
            oof = self.out_of_fold_scores(contexts, Y, groups, fit)
            self.thresholds = {label: best_threshold(Y[:, j], oof[:, j]) for j, label in enumerate(self.labels)}
        self.estimator = fit(list(dict.fromkeys(groups)), contexts, Y)
        return self

    def predict_proba(self, contexts: Sequence[UnitContext]) -> np.ndarray:
        if not len(contexts):
            return np.zeros((0, len(self.labels)))
        return self.estimator.predict_proba(contexts)

    def decide(self, scores: np.ndarray) -> np.ndarray:
        t = np.asarray([self.thresholds[label] for label in self.labels])
        return scores >= t
