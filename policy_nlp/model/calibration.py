"""Calibrated scores: per-label isotonic maps fitted on out-of-fold probabilities.

Users sort and filter units by score, so a score should read as a probability. `fit_calibrators` fits, per
label, `IsotonicRegression(out_of_bounds="clip")` from the out-of-fold probabilities the threshold tuning
computes anyway to the gold 0/1 labels (the rows of the scored documents); `calibrate` applies the maps. An
isotonic map is a step function: it would give every unit of a step the same score, so `BLEND` of the raw
probability is mixed in — the calibrated score is then strictly increasing in the raw one and sorts units as the
raw scores do, while moving each score by at most `BLEND`. A label without a positive or without a negative
row keeps its raw scores. `expected_calibration_error` is the figure the choice was measured by
(`training/calibration.py`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.isotonic import IsotonicRegression

METHODS = ("isotonic",)
BLEND = 0.01
BINS = 10


def fit_calibrators(labels: Sequence[str], Y: np.ndarray, proba: np.ndarray) -> dict[str, IsotonicRegression]:
    """label → isotonic map from out-of-fold probability to the share of positives."""
    out = {}
    for j, label in enumerate(labels):
        y = np.asarray(Y)[:, j]
        if 0 < y.sum() < len(y):
            out[label] = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(proba[:, j], y)
    return out


def _map(iso: IsotonicRegression, p: np.ndarray) -> np.ndarray:
    return (1.0 - BLEND) * iso.predict(p) + BLEND * p


def calibrate(calibrators: dict, labels: Sequence[str], proba: np.ndarray) -> np.ndarray:
    """The probabilities (units × labels) through each label's map (labels without one unchanged)."""
    out = np.array(proba, dtype=float, copy=True)
    for j, label in enumerate(labels):
        if label in calibrators and len(out):
            out[:, j] = _map(calibrators[label], out[:, j])
    return out


def raw_threshold(iso: IsotonicRegression | None, threshold: float) -> float:
    """The raw probability at which the calibrated score reaches `threshold` (the map is strictly increasing;
    bisection to 1e-9). 1.0 when even a raw 1.0 stays below it."""
    if iso is None:
        return float(threshold)
    lo, hi = 0.0, 1.0
    if _map(iso, np.array([hi]))[0] < threshold:
        return 1.0
    while hi - lo > 1e-9:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _map(iso, np.array([mid]))[0] >= threshold else (mid, hi)
    return hi


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> float:
    """Mean |share of positives − mean score| over equal-width score bins, weighted by the bins' sizes."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(y[which == b].mean() - p[which == b].mean()) * (which == b).sum()
                     for b in range(bins) if (which == b).any()) / len(y)) if len(y) else 0.0
