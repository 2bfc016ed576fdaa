"""The theme estimator as a scikit-learn estimator, its threshold table and the grouped splitter."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from policy_nlp.components.normalize import normalize
from policy_nlp.rules import default_rules
from policy_nlp.components.units import segment
from policy_nlp.model import thresholds
from policy_nlp.model.estimator import ThemeEstimator
from policy_nlp.model.features import CONTEXT_COLUMNS, build_contexts

LABELS = ["enforcement", "plans"]
# Toy reports written for these tests: each sentence about enforcement, plans, or neither.
_REPORTS = [
    "一、主要成效\n开展执法检查12次。查处违法案件5件。召开会议3次。\n二、下一步打算\n下一步将深化执法改革。明年完善工作计划。",
    "一、工作情况\n组织执法人员培训。落实执法公示制度。印发文件2份。\n二、今后工作\n今后将持续推进执法规范化。计划开展评查。",
    "一、基本情况\n加强行政执法监督。开展专项整治行动。完成年度报告。\n二、工作安排\n明年将健全执法制度。下步谋划新举措。",
]


def _toy_set():
    rules = default_rules()
    rows, ys, groups = [], [], []
    for k, text in enumerate(_REPORTS):
        norm = normalize(text).text
        units = segment(norm, rules)
        ctx = build_contexts(norm, units, rules)
        for i, u in enumerate(units):
            unit_text = norm[u.start:u.end]
            plans = int(any(w in unit_text for w in ("下一步", "今后", "明年", "下步", "计划", "打算", "工作安排")))
            enforcement = int("执法" in unit_text or "查处" in unit_text or "整治" in unit_text)
            rows.append(ctx[i])
            ys.append([enforcement, plans])
            groups.append(f"doc{k}")
    return np.asarray(rows, dtype=object), np.asarray(ys), groups


def test_get_params_set_params_and_clone():
    est = ThemeEstimator(labels=LABELS, C=2.0, text_ngrams=(1, 2))
    params = est.get_params()
    assert params["labels"] == LABELS and params["C"] == 2.0 and params["thresholds"] is None
    assert set(params) >= {"labels", "part_labels", "rules", "text_ngrams", "section_ngrams", "section_weight",
                           "cue_weight", "min_df", "C", "class_weight", "max_iter", "random_state", "blocks",
                           "thresholds"}
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    assert clone(est.set_params(C=0.5)).C == 0.5
    X, Y, _ = _toy_set()
    fitted = clone(est).fit(X, Y)
    assert not hasattr(copy, "pipelines_") and hasattr(fitted, "pipelines_")
    assert fitted.thresholds_ == {label: 0.5 for label in LABELS}
    assert [name for name, _, _ in fitted.groups()] == ["topic", "part"]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and ((proba >= 0) & (proba <= 1)).all()
    assert (fitted.predict(X) == (proba >= 0.5)).all()
    assert X.shape[1] == len(CONTEXT_COLUMNS)
    # fitting is deterministic, and the fitted thresholds survive a clone as a parameter
    again = clone(est).fit(X, Y)
    assert (again.predict_proba(X) == proba).all()
    fitted.with_thresholds({"enforcement": 0.3, "plans": 0.7})
    assert clone(fitted).thresholds == {"enforcement": 0.3, "plans": 0.7}
    assert clone(fitted).fit(X, Y).thresholds_ == {"enforcement": 0.3, "plans": 0.7}
    assert (fitted.predict(X) == (proba >= np.array([0.3, 0.7]))).all()
    hp = fitted.hyperparameters()
    assert hp["rules"] == {"name": default_rules().name, "sha256": default_rules().fingerprint}
    assert hp["text_ngrams"] == [1, 2]


def test_best_threshold_by_hand():
    y = np.array([1, 1, 0, 0, 1])
    scores = np.array([0.9, 0.6, 0.55, 0.2, 0.35])
    # ≥0.6 → F1 0.8; ≥0.35 with 0.55 → tp 3, fp 1 → F1 6/7: the best; the grid point closest to 0.5 wins ties
    assert thresholds.best_threshold(y, scores) == pytest.approx(0.35)
    assert thresholds.best_threshold(np.zeros(4, dtype=int), scores[:4]) == 0.5


def test_tune_on_a_toy_set():
    X, Y, groups = _toy_set()
    est = ThemeEstimator(labels=LABELS)
    table = thresholds.tune(est, X, Y, groups)
    assert set(table) == set(LABELS)
    assert all(t in thresholds.THRESHOLD_GRID for t in table.values())
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)
    for j, label in enumerate(LABELS):
        assert table[label] == thresholds.best_threshold(Y[:, j], oof[:, j])
    # out-of-fold: each document's rows come from a model fitted without that document
    g = np.asarray(groups)
    first = g == "doc0"
    alone = clone(est).fit(X[~first], Y[~first]).predict_proba(X[first])
    assert np.allclose(oof[first], alone)
    assert thresholds.tune(est, X[first], Y[first], list(g[first])) == {label: 0.5 for label in LABELS}
    fitted = thresholds.fit_with_thresholds(est, X, Y, groups)
    assert fitted.thresholds_ == table


def test_thresholds_are_chosen_on_the_scored_documents_only():
    X, Y, groups = _toy_set()
    est = ThemeEstimator(labels=LABELS)
    g = np.asarray(groups)
    scored = sorted(set(groups))[:2]
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)
    rows = np.isin(g, scored)
    table = thresholds.tune(est, X, Y, groups, scored=scored)
    for j, label in enumerate(LABELS):
        assert table[label] == thresholds.best_threshold(Y[rows, j], oof[rows, j])
    assert thresholds.tune(est, X, Y, groups, scored=["no such document"]) == thresholds.tune(est, X, Y, groups)
    assert thresholds.fit_with_thresholds(est, X, Y, groups, scored=scored).thresholds_ == table


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


def test_the_number_of_fits_stops_growing_above_five_documents():
    from policy_nlp.learn.crossval import EstimatorCache

    class Counting(ThemeEstimator):
        def fit(self, X, Y):
            self.pipelines_, self.thresholds_, self.classes_ = {}, {}, np.asarray(self.labels, dtype=object)
            return self

        def predict_proba(self, X):
            return np.full((len(X), len(self.labels)), 0.5)

    fits = {}
    for n_docs in (3, 5, 6, 12, 40):
        groups = [f"d{i % n_docs}" for i in range(4 * n_docs)]
        cache = EstimatorCache()
        thresholds.fit_with_thresholds(Counting(labels=LABELS), np.zeros((len(groups), 1), dtype=object),
                                       np.zeros((len(groups), 2), dtype=int), groups,
                                       cache.fitter(Counting(labels=LABELS)))
        fits[n_docs] = cache.fits
    # leave-one-document-out: n + 1 fits up to five documents; grouped 5-fold above: 5 + 1, whatever n
    assert fits == {3: 4, 5: 6, 6: 6, 12: 6, 40: 6}


def test_fits_in_worker_processes_give_the_same_model():
    X, Y, groups = _toy_set()
    est = ThemeEstimator(labels=LABELS)
    jobs = [(X[np.asarray(groups) != g], Y[np.asarray(groups) != g]) for g in sorted(set(groups))]
    alone = thresholds.fit_all(est, jobs, n_jobs=1)
    side_by_side = thresholds.fit_all(est, jobs, n_jobs=2)
    for a, b in zip(alone, side_by_side):
        assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert thresholds.parallel_jobs(6, 100) == 1  # small batches stay in this process
    assert thresholds.parallel_jobs(6, 100_000, n_jobs=3) == 3 and thresholds.parallel_jobs(2, 100_000, n_jobs=8) == 2


def _content_cues_row_by_row(cues, X) -> np.ndarray:
    """ContentCues' numbers computed one row at a time, as their definition reads."""
    from policy_nlp.model.features import names_later_year

    rules = cues._rules()
    w, out = cues.lead_weight, []
    for text, lead, kind, level, year in X:
        row = []
        for own, ld in zip(cues._lexicon_counts(text), cues._lexicon_counts(lead)):
            row += [own, w * ld]
        for cue in rules.part_cues.values():
            row += [1.0 if kind == "heading" and cue.search(text) else 0.0, w if cue.search(lead) else 0.0]
        row += [1.0 if rules.future_re.search(text) else 0.0, w if rules.future_re.search(lead) else 0.0,
                1.0 if kind == "heading" and names_later_year(text, year) else 0.0, 1.0 if kind == "heading" else 0.0,
                1.0 if level in (0, 1) else 0.0, min(len(text), 400) / 400.0]
        out.append(row)
    return np.asarray(out, dtype=np.float32)


@pytest.mark.parametrize("lead_weight", [1.0, 0.35, 0.0])
def test_content_cues_computed_by_column_equal_the_row_by_row_numbers(seeds, lead_weight):
    from policy_nlp.model.features import CONTENT_COLUMNS, ContentCues

    rules = default_rules()
    norm = normalize(seeds["000_5ec25145ee5b4dd1.txt"] + "\n二、2099年工作安排\n下一步将完善制度。").text
    X = build_contexts(norm, segment(norm, rules), rules)[:, CONTENT_COLUMNS]
    cues = ContentCues(None, lead_weight).fit(X)
    got = cues.transform(X)
    assert got.dtype == np.float32 and got.shape == (len(X), len(cues.get_feature_names_out()))
    assert np.array_equal(got, _content_cues_row_by_row(cues, X))
    assert got[:, list(cues.get_feature_names_out()).index("heading_names_later_year")].any()
    assert cues.transform(X[:0]).shape == (0, got.shape[1])


def _position_cues_row_by_row(cues, X) -> np.ndarray:
    """PositionCues' numbers computed one row at a time, as their definition reads."""
    from policy_nlp.model.features import names_later_year

    rules, out = cues._rules(), []
    for inner, outer, path, position, year, state in X:
        row = list(cues._lexicon_counts(inner))
        for cue in rules.part_cues.values():
            row += [1.0 if cue.search(outer) else 0.0, 1.0 if cue.search(path) else 0.0]
        row += [1.0 if names_later_year(outer, year) else 0.0, 0.0 if path else 1.0, 1.0 if state == "problem" else 0.0,
                1.0 if state == "future" else 0.0, float(position), 1.0 if position >= 0.75 else 0.0]
        out.append(row)
    return np.asarray(out, dtype=np.float32)


def test_position_cues_computed_by_column_equal_the_row_by_row_numbers(seeds):
    from policy_nlp.model.features import POSITION_COLUMNS, PositionCues

    rules = default_rules()
    norm = normalize(seeds["000_5ec25145ee5b4dd1.txt"] + "\n二、2099年工作安排\n下一步将完善制度。").text
    X = build_contexts(norm, segment(norm, rules), rules)[:, POSITION_COLUMNS]
    cues = PositionCues(None).fit(X)
    got = cues.transform(X)
    assert got.dtype == np.float32 and got.shape == (len(X), len(cues.get_feature_names_out()))
    assert np.array_equal(got, _position_cues_row_by_row(cues, X))
    names = list(cues.get_feature_names_out())
    for name in ("top_section_names_later_year", "no_section", "last_quarter", "top_section_part_cue[plans]"):
        assert got[:, names.index(name)].any() and not got[:, names.index(name)].all(), name
    assert cues.transform(X[:0]).shape == (0, got.shape[1])
