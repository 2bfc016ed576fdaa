"""`model.thresholds`: the grouped splitter, out-of-fold probabilities (`cross_val_predict`), the threshold grid."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from policy_nlp.model import thresholds
from policy_nlp.model.estimator import ThemeEstimator

from test_estimator import LABELS, _documents, _toy_set


def _out_of_fold_by_hand(estimator, X, Y, groups) -> np.ndarray:
    """The fold loop the module ran by hand before it used `cross_val_predict`."""
    out = np.zeros(Y.shape, dtype=float)
    for train, test in thresholds.folds(groups):
        out[test] = clone(estimator).fit(X[train], Y[train]).predict_proba(X[test])
    return out


@pytest.mark.parametrize("n_docs", [3, 7])  # leave-one-document-out, grouped 5-fold
def test_out_of_fold_probabilities_are_the_same_as_by_hand(n_docs):
    X, Y, groups = _toy_set() if n_docs == 3 else _documents(n_docs)
    est = ThemeEstimator(labels=LABELS)
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)
    assert np.array_equal(oof, _out_of_fold_by_hand(est, X, Y, groups))
    # each document's rows come from a model fitted without its fold's documents
    first = np.zeros(len(X), dtype=bool)
    first[next(test for _, test in thresholds.folds(groups) if 0 in test)] = True
    assert np.array_equal(oof[first], clone(est).fit(X[~first], Y[~first]).predict_proba(X[first]))


def test_best_threshold_by_hand():
    y = np.array([1, 1, 0, 0, 1])
    scores = np.array([0.9, 0.6, 0.55, 0.2, 0.35])
    # ≥0.6 → F1 0.8; ≥0.35 with 0.55 → tp 3, fp 1 → F1 6/7: the best; the grid point closest to 0.5 wins ties
    assert thresholds.best_threshold(y, scores) == pytest.approx(0.35)
    assert thresholds.best_threshold(np.zeros(4, dtype=int), scores[:4]) == 0.5
    # every grid point from 0.2 to 0.9 separates these perfectly: the one closest to 0.5 wins
    assert thresholds.best_threshold(np.array([1, 0]), np.array([0.95, 0.1])) == 0.5


def test_thresholds_are_chosen_on_the_scored_documents_only():
    X, Y, groups = _toy_set()
    oof = thresholds.out_of_fold_proba(ThemeEstimator(labels=LABELS), X, Y, groups)
    g = np.asarray(groups)
    scored = sorted(set(groups))[:2]
    rows = np.isin(g, scored)
    assert (thresholds.scored_rows(groups, scored) == rows).all()
    assert thresholds.scored_rows(groups, ["no such document"]).all() and thresholds.scored_rows(groups).all()
    table = thresholds.tune(LABELS, Y[rows], oof[rows])
    assert set(table) == set(LABELS) and all(t in thresholds.THRESHOLD_GRID for t in table.values())
    for j, label in enumerate(LABELS):
        assert table[label] == thresholds.best_threshold(Y[rows, j], oof[rows, j])


def test_splitter_by_corpus_size():
    assert isinstance(thresholds.splitter(5), LeaveOneGroupOut)  # no more documents than folds
    assert isinstance(thresholds.splitter(6), GroupKFold)
    split = thresholds.splitter(20)
    assert isinstance(split, GroupKFold) and split.n_splits == 5
    assert thresholds.cv_name(5) == "leave-one-document-out" and thresholds.cv_name(20) == "grouped 5-fold"
    groups = [f"d{i % 20}" for i in range(60)]
    folds = thresholds.folds(groups)
    assert len(folds) == 5
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}  # a document never on both sides
    assert len(thresholds.folds(["a", "a", "b", "c"])) == 3


def test_worker_processes_only_for_large_batches():
    assert thresholds.parallel_jobs(6, 100) == 1  # small batches stay in this process
    assert thresholds.parallel_jobs(6, 100_000, n_jobs=3) == 3 and thresholds.parallel_jobs(2, 100_000, n_jobs=8) == 2


def _one_label_everywhere(on_doc0: int):
    """The toy set with a third label (a topic label, next to `enforcement`) on every row of doc1 and doc2, and on
    doc0's rows too (`on_doc0` = 1: a label of every row of the data) or not (0: only the training rows of
    doc0's fold all carry it)."""
    X, Y, groups = _toy_set()
    always = np.where(np.asarray(groups) == "doc0", on_doc0, 1)
    return X, np.column_stack([Y, always]), groups, LABELS + ["business_environment"]


@pytest.mark.parametrize("on_doc0", [0, 1])
def test_a_label_on_every_training_row_scores_one_out_of_fold(on_doc0):
    X, Y, groups, labels = _one_label_everywhere(on_doc0)
    est = ThemeEstimator(labels=labels)
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)
    # doc0's fold trained on rows that all carry the label: the fold's model gives 1.0, as a fit by hand does
    doc0 = np.asarray(groups) == "doc0"
    assert np.array_equal(oof, _out_of_fold_by_hand(est, X, Y, groups))
    assert (oof[doc0, 2] == 1.0).all()


def test_a_label_on_no_training_row_scores_zero_out_of_fold():
    X, Y, groups, labels = _one_label_everywhere(0)
    Y[:, 2] = 0
    oof = thresholds.out_of_fold_proba(ThemeEstimator(labels=labels), X, Y, groups)
    assert (oof[:, 2] == 0.0).all()


@pytest.mark.parametrize("value", [0, 1])
def test_the_final_fit_of_a_label_of_one_class_agrees_with_the_out_of_fold_figure(value):
    """`ThemeEstimator.fit` on a label every row (or no row) carries scores it `value` on every unit, the
    figure its out-of-fold probabilities had, and keeps the default threshold."""
    X, Y, groups, labels = _one_label_everywhere(1)
    Y[:, 2] = value
    model = ThemeEstimator(labels=labels).fit(X, Y, groups)
    assert (model.predict_proba(X)[:, 2] == value).all()
    assert model.thresholds_["business_environment"] == thresholds.DEFAULT_THRESHOLD
    assert (model.predict(X)[:, 2] == value).all()
