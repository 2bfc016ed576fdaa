"""How far the model's scores can be trusted as probabilities: calibration on out-of-fold scores, with and
without the estimator's isotonic calibration.

    python training/calibration.py [--plot training/calibration.png]

Out-of-fold scores: leave-one-document-out over the seven fully labelled reports with every default training
file (the reports labelled in part train in every fold), each report scored by a model trained without it
(`cross_validate(scheme="lodo")`; the scores of the unit aligned to each gold unit), once with
`calibration=None` (raw probabilities) and once with the default `calibration="isotonic"` (per-label isotonic maps
fitted inside each training fold on its own out-of-fold probabilities, thresholds tuned on the calibrated ones;
`policy_nlp.model.calibration`). Per label: Brier score (`sklearn.metrics.brier_score_loss`), expected calibration
error over 10 equal-width bins (`calibration.expected_calibration_error`), LODO F1, and the number of distinct
scores among the units (as stored, 6 decimals) — raw, calibrated as shipped (isotonic map blended with `calibration.BLEND` of the raw
probability) and with the isotonic map alone (recovered from the two runs: the underlying fits are the same).
Prints a Markdown table; `--plot` draws the reliability curves (`sklearn.calibration.calibration_curve`;
matplotlib, the `bench` extra).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from policy_nlp.learn.crossval import cross_validate
from policy_nlp.model.calibration import BINS, BLEND, expected_calibration_error
from policy_nlp.pipeline import create_pipeline


def run(method: str | None) -> dict:
    nlp = create_pipeline("char", hyperparameters={"calibration": method})
    return cross_validate(scheme="lodo", nlp=nlp, progress=lambda m: print(f"[{method}] {m}", file=sys.stderr))


def scores(metrics: dict, label: str) -> tuple[np.ndarray, np.ndarray]:
    rows = [r for r in metrics["predictions"] if r["scores"]]  # boilerplate units carry no scores
    return (np.asarray([label in r["gold"] for r in rows], dtype=int),
            np.asarray([r["scores"][label] for r in rows], dtype=float))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plot", type=Path, help="draw the reliability curves into this PNG")
    args = parser.parse_args(argv)
    raw, cal = run(None), run("isotonic")
    print("| label | positives | Brier raw → isotonic | ECE raw → isotonic | LODO F1 raw → isotonic "
          "| distinct scores raw / isotonic+blend / isotonic alone |")
    print("|---|---:|---:|---:|---:|---:|")
    curves = {}
    for label in raw["labels"]:
        y, p = scores(raw, label)
        _, q = scores(cal, label)
        alone = (q - BLEND * p) / (1 - BLEND)
        # scores are stored with 6 decimals; the steps of the isotonic map alone are far wider than that
        distinct = [len(np.unique(p)), len(np.unique(q)), len(np.unique(np.round(alone, 4)))]
        print(f"| {label} | {y.sum()} | {brier_score_loss(y, p):.4f} → {brier_score_loss(y, q):.4f} | "
              f"{expected_calibration_error(y, p):.4f} → {expected_calibration_error(y, q):.4f} | "
              f"{raw['per_label'][label]['f1']:.3f} → {cal['per_label'][label]['f1']:.3f} | "
              f"{distinct[0]} / {distinct[1]} / {distinct[2]} |")
        curves[label] = (calibration_curve(y, p, n_bins=BINS), calibration_curve(y, q, n_bins=BINS))
    print(f"| macro / micro F1 | | | | {raw['macro_f1']:.3f} / {raw['micro_f1']:.3f} → "
          f"{cal['macro_f1']:.3f} / {cal['micro_f1']:.3f} | ({len(scores(raw, raw['labels'][0])[0])} units) |")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 5.5), sharey=True)
        for ax, k, title in ((axes[0], 0, "raw (calibration=None)"), (axes[1], 1, "isotonic (default)")):
            ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
            for label, pair in curves.items():
                share, mean = pair[k]
                ax.plot(mean, share, marker="o", label=label)
            ax.set_xlabel("mean score in bin (out of fold)")
            ax.set_title(title)
        axes[0].set_ylabel("share of units with the label")
        axes[1].legend()
        fig.suptitle("Reliability, leave-one-document-out over the seven labelled reports")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
