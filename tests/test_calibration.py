"""`model.calibration` and the estimator's calibrated scores: isotonic maps fitted on out-of-fold probabilities."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from policy_nlp.errors import ModelError
from policy_nlp.model import calibration, thresholds
from policy_nlp.model.estimator import ThemeEstimator
from policy_nlp.model.persistence import dump_estimator, load_estimator

from test_estimator import LABELS, _toy_set


def _skewed(n=400, seed=0):
    """Scores that overstate the share of positives: y ~ Bernoulli(p²)."""
    rng = np.random.default_rng(seed)
    p = rng.random((n, 2))
    return (rng.random((n, 2)) < p ** 2).astype(int), p


def test_isotonic_maps_lower_the_calibration_error_and_keep_the_order():
    Y, p = _skewed()
    maps = calibration.fit_calibrators(LABELS, Y, p)
    assert set(maps) == set(LABELS)
    Y2, p2 = _skewed(seed=1)  # fresh scores of the same kind
    q = calibration.calibrate(maps, LABELS, p2)
    for j in range(2):
        before = calibration.expected_calibration_error(Y2[:, j], p2[:, j])
        after = calibration.expected_calibration_error(Y2[:, j], q[:, j])
        assert after < before / 2
        # the blend keeps the map strictly increasing: no ties, the raw order
        assert len(np.unique(q[:, j])) == len(np.unique(p2[:, j]))
        assert (np.argsort(q[:, j], kind="stable") == np.argsort(p2[:, j], kind="stable")).all()
        assert np.abs(q[:, j] - ((1 - calibration.BLEND) * maps[LABELS[j]].predict(p2[:, j]) +
                                 calibration.BLEND * p2[:, j])).max() < 1e-12


def test_a_label_without_positives_keeps_its_scores_and_raw_thresholds_invert_the_map():
    Y, p = _skewed()
    Y[:, 1] = 0
    maps = calibration.fit_calibrators(LABELS, Y, p)
    assert list(maps) == [LABELS[0]]
    q = calibration.calibrate(maps, LABELS, p)
    assert (q[:, 1] == p[:, 1]).all()
    for t in (0.2, 0.5, 0.8):
        raw = calibration.raw_threshold(maps[LABELS[0]], t)
        assert (q[:, 0] >= t).tolist() == (p[:, 0] >= raw).tolist()
    assert calibration.raw_threshold(None, 0.3) == 0.3
    assert calibration.expected_calibration_error(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0
    assert calibration.expected_calibration_error(np.array([1, 0, 0, 0]), np.array([0.9, 0.9, 0.1, 0.1])) == \
        pytest.approx((abs(0.5 - 0.9) * 2 + abs(0.0 - 0.1) * 2) / 4)


def test_the_estimator_calibrates_on_out_of_fold_probabilities_and_tunes_on_the_calibrated_ones():
    X, Y, groups = _toy_set()
    est = ThemeEstimator(labels=LABELS)
    assert est.calibration == "isotonic"
    fitted = clone(est).fit(X, Y, groups)
    raw = clone(est).set_params(calibration=None).fit(X, Y, groups)
    oof = thresholds.out_of_fold_proba(est, X, Y, groups)  # the folds are fitted without calibration
    maps = calibration.fit_calibrators(LABELS, Y, oof)
    assert set(fitted.calibrators_) == set(maps) == set(LABELS)
    for label in LABELS:
        assert (fitted.calibrators_[label].y_thresholds_ == maps[label].y_thresholds_).all()
    assert fitted.thresholds_ == thresholds.tune(LABELS, Y, calibration.calibrate(maps, LABELS, oof))
    assert np.allclose(fitted.predict_proba(X), calibration.calibrate(maps, LABELS, raw.predict_proba(X)))
    assert (fitted.predict(X) == (fitted.predict_proba(X) >= np.array([fitted.thresholds_[l] for l in LABELS]))).all()
    # the decision in raw terms: the same units
    raw_t = fitted.raw_thresholds()
    assert ((raw.predict_proba(X) >= np.array([raw_t[l] for l in LABELS])) == fitted.predict(X).astype(bool)).all()
    assert clone(est).fit(X, Y).calibrators_ == {}  # no documents: nothing to calibrate on
    # the safe unpickler admits the calibrators
    again = load_estimator(dump_estimator(fitted))
    assert np.array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_an_unknown_calibration_is_a_coded_error():
    X, Y, groups = _toy_set()
    with pytest.raises(ModelError) as info:
        ThemeEstimator(labels=LABELS, calibration="platt").fit(X, Y, groups)
    assert info.value.code == "E145" and "isotonic" in str(info.value)
