"""Where does a heading end in flattened text? A small learned break model against the rules.

Every report that keeps its line breaks is free training data: a heading line (starting with a heading marker,
no sentence end, at most 40 characters) joined with the line after it is a flattened heading whose title end is
known. The learned model (character 1–3-grams left and right of a candidate position, its distance from the
marker; logistic regression) scores every position after the marker and before the first sentence end and
cuts at the best one when its probability passes 0.5. The rules are `components.units._run_in_end` (rules v3).
Trained on the 119 reports of ../shared/corpus/unlabelled, scored on the seven labelled reports; exact title
ends count.

    python benchmarks/break_model.py --unlabelled ../shared/corpus/unlabelled
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from policy_nlp.components.normalize import normalize
from policy_nlp.components.units import SENTENCE_END, _run_in_end
from policy_nlp.rules import default_rules

ROOT = Path(__file__).resolve().parent.parent
LABELLED = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "training" / "corpus").glob("*.txt"))
MAX_TITLE = 40


def examples(paths, rules):
    """(flattened heading + next line, title length) of every heading line followed by a text line."""
    out = []
    for path in paths:
        lines = [ln.strip() for ln in normalize(path.read_text(encoding="utf-8")).text.splitlines() if ln.strip()]
        for line, after in zip(lines, lines[1:]):
            if rules.heading_level(line) is not None and len(line) <= MAX_TITLE and \
                    not any(c in SENTENCE_END for c in line) and rules.heading_level(after) is None:
                out.append((line + after, len(line)))
    return out


def candidates(text, rules):
    marker = next(m for _, p in rules.heading_patterns for m in [p.match(text)] if m)
    stop = min([MAX_TITLE + 1, len(text)] + [text.find(c) for c in SENTENCE_END if c in text])
    return list(range(marker.end() + 2, stop))


def features(text, k):
    feats = {f"L{n}={text[max(0, k - n):k]}": 1.0 for n in (1, 2, 3)}
    feats.update({f"R{n}={text[k:k + n]}": 1.0 for n in (1, 2, 3)})
    feats[f"LR={text[k - 1:k + 1]}"] = 1.0
    feats["pos"] = k / MAX_TITLE
    return feats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unlabelled", type=Path, required=True)
    args = ap.parse_args(argv)
    rules = default_rules()
    hasher = FeatureHasher(n_features=2 ** 18)
    train = examples(sorted(args.unlabelled.glob("*.txt")), rules)
    rows, ys = [], []
    for text, end in train:
        for k in candidates(text, rules):
            rows.append(features(text, k))
            ys.append(int(k == end))
    model = LogisticRegression(C=4, max_iter=2000, class_weight="balanced").fit(hasher.transform(rows), ys)
    test = examples(LABELLED, rules)
    learned = rule_hits = 0
    for text, end in test:
        ks = candidates(text, rules)
        proba = model.predict_proba(hasher.transform([features(text, k) for k in ks]))[:, 1] if ks else []
        best = ks[int(np.argmax(proba))] if len(ks) and max(proba) >= 0.5 else 0
        learned += best == end
        rule_hits += _run_in_end(text, rules, False) == end
    print(f"| model | trained on | scored on | title ends found exactly |\n|---|---|---|---:|\n"
          f"| rules v3 (`_run_in_end`) | - | {len(test)} flattened headings of the seven labelled reports | "
          f"{rule_hits}/{len(test)} ({rule_hits / max(len(test), 1):.3f}) |\n"
          f"| learned break model | {len(train)} headings of the unlabelled reports | same | "
          f"{learned}/{len(test)} ({learned / max(len(test), 1):.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
