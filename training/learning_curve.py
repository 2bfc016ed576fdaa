"""Learning curve of the labelling rounds: macro-F1 against the units picked by `suggest` and labelled.

    python training/learning_curve.py [--output training/learning_curve.json]

For each round r = 0 … R of `data/suggested_units.jsonl` (field `round`; r = 0 is none of them), with the
seed units, the two labelled work reports and the suggested units of rounds ≤ r:
- leave-one-document-out over the seven fully labelled reports (`cross_validate(scheme="lodo")`: the reports
  labelled only in part train in every fold and are never scored);
- a model trained on all of it (the `policy-nlp train` recipe) scored on the two held-out reports
  (`data/heldout_units.jsonl`, never trained on).
Prints a Markdown table; `--output` also writes the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from policy_nlp.learn.crossval import cross_validate
from policy_nlp.learn.evaluation import evaluate
from policy_nlp.learn.labelled_data import read_corpus
from policy_nlp.learn.training import train

DATA = Path(__file__).resolve().parent / "data"
BASE = [DATA / "seed_units.jsonl", DATA / "work_report_units.jsonl"]
SUGGESTED = DATA / "suggested_units.jsonl"
HELDOUT = DATA / "heldout_units.jsonl"


def rounds_upto(r: int, folder: Path) -> list[Path]:
    """The base data plus a unit file of the suggested units of rounds ≤ r (none for r = 0)."""
    if r == 0:
        return list(BASE)
    rows = [json.loads(line) for line in SUGGESTED.read_text(encoding="utf-8").splitlines()]
    path = folder / f"suggested_upto_{r}.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows if row["round"] <= r),
                    encoding="utf-8")
    return [*BASE, path]


def point(r: int, folder: Path) -> dict:
    data = rounds_upto(r, folder)
    corpus = read_corpus(data)
    lodo = cross_validate(corpus=corpus, scheme="lodo")
    model = folder / f"model_{r}"
    train(data, model, cv=False)
    heldout = evaluate(model, [HELDOUT])
    suggested = sum(len(read_corpus([p]).units) for p in data[len(BASE):])
    return {"round": r, "suggested_units": suggested, "lodo": lodo, "heldout": heldout}


def row(p: dict, labels: list[str]) -> str:
    per = " | ".join(f"{p['lodo']['per_label'][label]['f1']:.3f}" for label in labels)
    return (f"| {p['round']} | {p['suggested_units']} | {p['lodo']['macro_f1']:.3f} | {per} | "
            f"{p['heldout']['macro_f1']:.3f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in SUGGESTED.read_text(encoding="utf-8").splitlines()]
    last = max(row_["round"] for row_ in rows)
    with tempfile.TemporaryDirectory() as tmp:
        points = [point(r, Path(tmp)) for r in range(last + 1)]
    labels = points[0]["lodo"]["labels"]
    print("| round | suggested units | LODO macro-F1 | " + " | ".join(f"LODO {label}" for label in labels)
          + " | held-out macro-F1 |")
    print("|---:|---:|---:|" + "---:|" * len(labels) + "---:|")
    for p in points:
        print(row(p, labels))
    if args.output:
        args.output.write_text(json.dumps(points, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
