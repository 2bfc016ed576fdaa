"""Multi-label scores: per-label precision/recall/F1, macro/micro F1, exact-set accuracy, confused pairs."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np


def compute_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str],
                    top_confusions: int = 8) -> dict:
    labels = list(labels)
    Y = np.array([[label in g for label in labels] for g in gold], dtype=bool).reshape(len(gold), len(labels))
    P = np.array([[label in p for label in labels] for p in pred], dtype=bool).reshape(len(pred), len(labels))
    per_label = {}
    for j, label in enumerate(labels):
        tp = int((Y[:, j] & P[:, j]).sum())
        fp = int((~Y[:, j] & P[:, j]).sum())
        fn = int((Y[:, j] & ~P[:, j]).sum())
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        # Undefined (None) when the label is neither in the gold data nor predicted: left out of macro F1.
        f1 = (2 * tp / (2 * tp + fp + fn) if tp else 0.0) if tp + fp + fn else None
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(Y[:, j].sum()),
                            "tp": tp, "fp": fp, "fn": fn}
    tp = sum(v["tp"] for v in per_label.values())
    fp = sum(v["fp"] for v in per_label.values())
    fn = sum(v["fn"] for v in per_label.values())
    confusions: Counter = Counter()
    for g, p in zip(Y, P):
        missed = [labels[j] for j in np.flatnonzero(g & ~p)] or ["(none)"]
        extra = [labels[j] for j in np.flatnonzero(~g & p)] or ["(none)"]
        if missed == ["(none)"] and extra == ["(none)"]:
            continue
        for m in missed:
            for e in extra:
                confusions[(m, e)] += 1
    return {
        "labels": labels,
        "units": len(gold),
        "per_label": per_label,
        "macro_f1": float(np.mean(defined)) if (defined := [v["f1"] for v in per_label.values()
                                                            if v["f1"] is not None]) else 0.0,
        "micro_f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "exact_set_accuracy": float((Y == P).all(axis=1).mean()) if len(gold) else 0.0,
        "confused_pairs": [{"gold": g, "predicted": p, "count": c}
                           for (g, p), c in confusions.most_common(top_confusions)],
    }
