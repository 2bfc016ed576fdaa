"""`model.metrics`: scikit-learn's scores on binarised label sets give the figures counted by hand."""
from __future__ import annotations

import numpy as np
import pytest

from policy_nlp.model.metrics import binarise, compute_metrics


def _by_hand(gold, pred, labels) -> dict:
    """The counts and formulas the module computed by hand before it used scikit-learn."""
    Y = np.array([[label in g for label in labels] for g in gold], dtype=bool).reshape(len(gold), len(labels))
    P = np.array([[label in p for label in labels] for p in pred], dtype=bool).reshape(len(pred), len(labels))
    per_label = {}
    for j, label in enumerate(labels):
        tp, fp, fn = (int(v.sum()) for v in (Y[:, j] & P[:, j], ~Y[:, j] & P[:, j], Y[:, j] & ~P[:, j]))
        per_label[label] = {"precision": tp / (tp + fp) if tp + fp else 0.0,
                            "recall": tp / (tp + fn) if tp + fn else 0.0,
                            "f1": (2 * tp / (2 * tp + fp + fn) if tp else 0.0) if tp + fp + fn else None,
                            "support": int(Y[:, j].sum()), "tp": tp, "fp": fp, "fn": fn}
    tp, fp, fn = (sum(v[k] for v in per_label.values()) for k in ("tp", "fp", "fn"))
    defined = [v["f1"] for v in per_label.values() if v["f1"] is not None]
    return {"per_label": per_label, "macro_f1": float(np.mean(defined)) if defined else 0.0,
            "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
            "exact_set_accuracy": float((Y == P).all(axis=1).mean()) if len(gold) else 0.0}


def _random_sets(rng, n, labels, p):
    return [[label for label in labels if rng.random() < p] for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_the_same_figures_as_counted_by_hand(seed):
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "d"][: 1 + seed % 4]  # one label too: not read as binary class values
    n = int(rng.integers(0, 30))
    gold = _random_sets(rng, n, labels + ["not scored"], 0.3)
    pred = _random_sets(rng, n, labels, 0.05 + 0.1 * (seed % 5))
    got, want = compute_metrics(gold, pred, labels), _by_hand(gold, pred, labels)
    assert list(got["per_label"]) == labels
    for label in labels:
        assert got["per_label"][label] == pytest.approx(want["per_label"][label]), label
    for key in ("macro_f1", "micro_f1", "exact_set_accuracy"):
        assert got[key] == pytest.approx(want[key]), key


def test_edge_cases():
    assert compute_metrics([[]], [[]], ["x"])["per_label"]["x"]["f1"] is None  # neither gold nor predicted
    one = compute_metrics([["x"]], [[]], ["x"])["per_label"]["x"]
    assert (one["tp"], one["fp"], one["fn"], one["f1"]) == (0, 0, 1, 0.0)
    empty = compute_metrics([], [], ["x"])
    assert empty["macro_f1"] == empty["micro_f1"] == empty["exact_set_accuracy"] == 0.0
    none = compute_metrics([["x"]], [["x"]], [])
    assert none["per_label"] == {} and none["micro_f1"] == 0.0 and none["exact_set_accuracy"] == 1.0
    assert binarise([["b", "zz"], []], ["a", "b"]).tolist() == [[0, 1], [0, 0]]
