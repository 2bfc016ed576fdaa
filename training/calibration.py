"""How far the model's scores can be trusted as probabilities: calibration on out-of-fold scores.

    python training/calibration.py [--plot training/calibration.png]

Out-of-fold scores: leave-one-document-out over the seven fully labelled reports with every default training
file (the reports labelled in part train in every fold), each report scored by a model trained without it
(`cross_validate(scheme="lodo")`; the scores of the unit aligned to each gold unit). Per label: Brier score
(`sklearn.metrics.brier_score_loss`), expected calibration error over 10 equal-width bins (the mean gap between a
bin's mean score and its share of positives, weighted by the bin's size) and the reliability curve
(`sklearn.calibration.calibration_curve`). Then the same figures after a monotone recalibration fitted without
the scored report (isotonic regression and Platt's sigmoid, cross-fitted by report), to see whether calibrating
would help. Prints a Markdown table; `--plot` draws the reliability curves (matplotlib, the `bench` extra).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

from policy_nlp.learn.crossval import cross_validate

BINS = 10


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> float:
    """Mean |share of positives − mean score| over equal-width score bins, weighted by the bins' sizes."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return float(sum(abs(y[which == b].mean() - p[which == b].mean()) * (which == b).sum()
                     for b in range(bins) if (which == b).any()) / len(y))


def cross_fitted(y: np.ndarray, p: np.ndarray, docs: np.ndarray, method: str) -> np.ndarray:
    """Scores recalibrated by a map fitted on the other reports' out-of-fold scores (never the scored report's)."""
    out = np.empty_like(p)
    for doc in np.unique(docs):
        train, test = docs != doc, docs == doc
        if method == "isotonic":
            out[test] = IsotonicRegression(out_of_bounds="clip").fit(p[train], y[train]).predict(p[test])
        else:
            model = LogisticRegression().fit(p[train].reshape(-1, 1), y[train])
            out[test] = model.predict_proba(p[test].reshape(-1, 1))[:, 1]
    return out


def figures(y: np.ndarray, p: np.ndarray) -> dict:
    return {"brier": brier_score_loss(y, p), "ece": expected_calibration_error(y, p)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plot", type=Path, help="draw the reliability curves into this PNG")
    args = parser.parse_args(argv)
    metrics = cross_validate(scheme="lodo")
    rows = [r for r in metrics["predictions"] if r["scores"]]  # boilerplate units carry no scores
    docs = np.asarray([r["doc"] for r in rows])
    print("| label | positives | Brier | ECE | Brier, isotonic | ECE, isotonic | Brier, sigmoid | ECE, sigmoid |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    curves = {}
    for label in metrics["labels"]:
        y = np.asarray([label in r["gold"] for r in rows], dtype=int)
        p = np.asarray([r["scores"][label] for r in rows], dtype=float)
        raw, iso, sig = (figures(y, q) for q in (p, cross_fitted(y, p, docs, "isotonic"),
                                                  cross_fitted(y, p, docs, "sigmoid")))
        print(f"| {label} | {y.sum()} | {raw['brier']:.4f} | {raw['ece']:.4f} | {iso['brier']:.4f} | "
              f"{iso['ece']:.4f} | {sig['brier']:.4f} | {sig['ece']:.4f} |")
        curves[label] = calibration_curve(y, p, n_bins=BINS, strategy="uniform")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 6))
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
        for label, (share, mean) in curves.items():
            ax.plot(mean, share, marker="o", label=label)
        ax.set_xlabel("mean score in bin (out of fold)")
        ax.set_ylabel("share of units with the label")
        ax.set_title(f"Reliability, leave-one-document-out ({len(rows)} units)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
