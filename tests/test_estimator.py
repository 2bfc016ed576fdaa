"""The theme estimator as a scikit-learn estimator: parameters and defaults, the fitted threshold table, memoised fits."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from policy_nlp.components.normalize import normalize
from policy_nlp.rules import default_rules
from policy_nlp.components.units import segment
from policy_nlp.components.themes import DEFAULT_HYPERPARAMETERS as THEMES_DEFAULTS
from policy_nlp.model import thresholds
from policy_nlp.model.estimator import DEFAULT_HYPERPARAMETERS, ThemeEstimator
from policy_nlp.model.features import COL, CONTEXT_COLUMNS, build_contexts
from policy_nlp.model.thresholds import DEFAULT_THRESHOLD

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
    assert params["labels"] == LABELS and params["C"] == 2.0
    assert set(params) == {"labels", "part_labels", "rules", "text_ngrams", "section_ngrams", "section_weight",
                           "cue_weight", "min_df", "C", "class_weight", "max_iter", "random_state", "blocks",
                           "lead_weight", "calibration"}
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    assert clone(est.set_params(C=0.5)).C == 0.5
    X, Y, _ = _toy_set()
    fitted = clone(est).fit(X, Y)
    assert not hasattr(copy, "pipelines_") and hasattr(fitted, "pipelines_")
    assert fitted.thresholds_ == {label: DEFAULT_THRESHOLD for label in LABELS}  # no documents: nothing tuned
    assert [name for name, _, _ in fitted.groups()] == ["topic", "part"]
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2) and ((proba >= 0) & (proba <= 1)).all()
    assert (fitted.predict(X) == (proba >= 0.5)).all()
    assert X.shape[1] == len(CONTEXT_COLUMNS)
    again = clone(est).fit(X, Y)  # fitting is deterministic
    assert (again.predict_proba(X) == proba).all()
    hp = fitted.hyperparameters()
    assert hp["rules"] == {"name": default_rules().name, "sha256": default_rules().fingerprint}
    assert hp["text_ngrams"] == [1, 2]


def test_the_defaults_are_the_shipped_hyperparameters():
    params = ThemeEstimator().get_params()
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in params.items() if k in DEFAULT_HYPERPARAMETERS} \
        == DEFAULT_HYPERPARAMETERS
    assert THEMES_DEFAULTS is DEFAULT_HYPERPARAMETERS  # the component takes the model layer's, not a copy


def test_fit_with_documents_tunes_the_threshold_table_as_a_fitted_attribute():
    X, Y, groups = _toy_set()
    est = ThemeEstimator(labels=LABELS)
    fitted = clone(est).set_params(calibration=None).fit(X, Y, groups)
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)
    assert fitted.thresholds_ == thresholds.tune(LABELS, Y, oof) and fitted.calibrators_ == {}
    assert "thresholds" not in fitted.get_params() and not hasattr(clone(fitted), "thresholds_")
    assert (fitted.predict(X) == (fitted.predict_proba(X) >= np.array([fitted.thresholds_[l] for l in LABELS]))).all()
    g = np.asarray(groups)
    one = g == "doc0"  # one document: nothing to tune on
    assert clone(est).fit(X[one], Y[one], g[one]).thresholds_ == {label: DEFAULT_THRESHOLD for label in LABELS}
    scored = ["doc0", "doc1"]
    rows = thresholds.scored_rows(groups, scored)
    assert clone(est).set_params(calibration=None).fit(X, Y, groups, scored=scored).thresholds_ == \
        thresholds.tune(LABELS, Y[rows], oof[rows])


def _documents(n_docs: int):
    """The toy rows spread over `n_docs` documents, each row's text made distinct (no two folds share rows)."""
    X, Y, _ = _toy_set()
    rows = [i % len(X) for i in range(4 * n_docs)]
    X = X[rows].copy()
    X[:, COL["text"]] = [f"{t}{k}" for k, t in enumerate(X[:, COL["text"]])]
    return X, Y[rows], [f"d{k % n_docs}" for k in range(len(rows))]


def test_the_number_of_fits_stops_growing_above_five_documents():
    from policy_nlp.learn.crossval import EstimatorCache

    fits = {}
    for n_docs in (3, 5, 6, 12):
        X, Y, groups = _documents(n_docs)
        cache = EstimatorCache()
        ThemeEstimator(labels=LABELS).fit(X, Y, groups, **cache.fit_params())
        fits[n_docs] = cache.fits
    # leave-one-document-out: n + 1 fits up to five documents; grouped 5-fold above: 5 + 1, whatever n
    assert fits == {3: 4, 5: 6, 6: 6, 12: 6}


def test_memoised_fits_and_fits_in_worker_processes_give_the_same_model():
    from policy_nlp.learn.crossval import EstimatorCache

    X, Y, groups = _toy_set()
    alone = ThemeEstimator(labels=LABELS).fit(X, Y, groups, n_jobs=1)
    cache = EstimatorCache(n_jobs=2)
    side_by_side = ThemeEstimator(labels=LABELS).fit(X, Y, groups, **cache.fit_params())
    assert cache.fits == 4  # three folds and the final fit
    again = ThemeEstimator(labels=LABELS).fit(X, Y, groups, **cache.fit_params())
    assert cache.fits == 4  # every fit came from the memory
    for model in (side_by_side, again):
        assert np.array_equal(alone.predict_proba(X), model.predict_proba(X))
        assert model.thresholds_ == alone.thresholds_
    ThemeEstimator(labels=LABELS, C=1.0).fit(X, Y, **cache.fit_params())
    assert cache.fits == 5  # other parameters: another fit


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


def test_names_later_year_compares_the_latest_year_named():
    """`names_later_year` (and the position block's column, which compares `latest_year` of each top section
    with the row's report year) as defined: some year `20dd年` in the text after a report year that is not 0."""
    import re

    from policy_nlp.model.features import latest_year, names_later_year

    texts = ["", "2025年工作安排", "2023年和2026年", "2099年", "二〇二五年", "2024年2025年2024年", "1999年", "2025"]
    for text in texts:
        assert latest_year(text) == max((int(y) for y in re.findall(r"(20\d\d)年", text)), default=-1)
        for year in (0, 2000, 2023, 2024, 2025, 2026, 2099):
            want = bool(year) and any(int(y) > year for y in re.findall(r"(20\d\d)年", text))
            assert names_later_year(text, year) == want, (text, year)


def test_position_cues_of_rows_of_several_reports_and_years():
    from policy_nlp.model.features import POSITION_COLUMNS, PositionCues

    rules = default_rules()
    rows = []
    for text in ["2024年，我区依法行政。\n一、2025年工作安排\n继续推进。", "一、2023年工作\n二、2030年工作安排\n推进。",
                 "一、工作回顾\n依法行政。", "", "2026年报告\n一、2026年计划\n二、2027年\n三、"]:
        norm = normalize(text).text
        rows.append(build_contexts(norm, segment(norm, rules), rules)[:, POSITION_COLUMNS])
    X = np.concatenate(rows)
    cues = PositionCues(None).fit(X)
    got = cues.transform(X)
    assert np.array_equal(got, _position_cues_row_by_row(cues, X))
    later = got[:, list(cues.get_feature_names_out()).index("top_section_names_later_year")]
    assert later.any() and not later.all()
