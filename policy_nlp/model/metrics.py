"""Multi-label scores: per-label precision/recall/F1, macro/micro F1, exact-set accuracy, confused pairs.

The label sets are binarised (`MultiLabelBinarizer`) and scored by scikit-learn: `multilabel_confusion_matrix`
for the counts, `precision_recall_fscore_support` per label, `f1_score` (macro, micro) and `accuracy_score`
(exact set). A label neither in the gold data nor predicted has no F1 (None) and is left out of macro F1.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, multilabel_confusion_matrix, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer


def binarise(sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """0/1 matrix of label sets, one column per label (labels outside `labels` are ignored)."""
    known = set(labels)
    return MultiLabelBinarizer(classes=list(labels)).fit_transform([[x for x in s if x in known] for s in sets])


def _confused_pairs(Y: np.ndarray, P: np.ndarray, labels: list[str], top: int) -> list[dict]:
    confusions: Counter = Counter()
    for g, p in zip(Y.astype(bool), P.astype(bool)):
        missed = [labels[j] for j in np.flatnonzero(g & ~p)] or ["(none)"]
        extra = [labels[j] for j in np.flatnonzero(~g & p)] or ["(none)"]
        if missed == ["(none)"] and extra == ["(none)"]:
            continue
        for m in missed:
            for e in extra:
                confusions[(m, e)] += 1
    return [{"gold": g, "predicted": p, "count": c} for (g, p), c in confusions.most_common(top)]


def compute_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str],
                    top_confusions: int = 8) -> dict:
    labels = list(labels)
    k = len(labels)
    Y, P = binarise(gold, labels), binarise(pred, labels)
    # one all-zero column more: scikit-learn reads a single column as binary class values, not as a label
    Yp, Pp = (np.hstack([M.reshape(len(M), k), np.zeros((len(M), 1), dtype=int)]) for M in (Y, P))
    counts = multilabel_confusion_matrix(Yp, Pp)[:k] if len(gold) else np.zeros((k, 2, 2), dtype=int)
    precision, recall, f1, support = (np.asarray(v)[:k] for v in precision_recall_fscore_support(
        Yp, Pp, average=None, zero_division=0.0)) if len(gold) else np.zeros((4, k))
    defined = [j for j in range(k) if counts[j, 1, 1] + counts[j, 0, 1] + counts[j, 1, 0]]
    per_label = {label: {"precision": float(precision[j]), "recall": float(recall[j]),
                         "f1": float(f1[j]) if j in defined else None, "support": int(support[j]),
                         "tp": int(counts[j, 1, 1]), "fp": int(counts[j, 0, 1]), "fn": int(counts[j, 1, 0])}
                 for j, label in enumerate(labels)}
    return {
        "labels": labels,
        "units": len(gold),
        "per_label": per_label,
        "macro_f1": float(f1_score(Yp, Pp, labels=defined, average="macro")) if defined else 0.0,
        "micro_f1": float(f1_score(Yp, Pp, average="micro", zero_division=0.0)) if len(gold) and k else 0.0,
        "exact_set_accuracy": float(accuracy_score(Yp, Pp)) if len(gold) else 0.0,
        "confused_pairs": _confused_pairs(Y, P, labels, top_confusions),
    }
