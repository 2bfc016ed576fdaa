"""Evaluate the indicator extractor against the hand-decided gold (`training/data/indicators.jsonl`).

    python training/evaluate_indicators.py [--units pipeline|gold] [--output results/indicators.md]

Runs `policy_nlp_indicators` over the seven labelled reports (the five seeds and the two work reports), with
units from the structure component (`--units pipeline`, the default: tokenizer + structure + indicators, the
untrained themes component disabled) or from the gold unit files (`--units gold`), matches each gold record
to the prediction overlapping it most, and prints per report and overall:
- value+unit precision and recall (a match needs overlapping offsets, equal unit and a value within 1e-6
  relative);
- canonical-name accuracy on the gold records that have a canonical name (a gold record without a matching
  prediction counts as wrong).
The rules were written with these seven reports in view: the figures are development figures, not a
held-out estimate.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "training" / "data" / "indicators.jsonl"
UNIT_FILES = (ROOT / "training" / "data" / "seed_units.jsonl", ROOT / "training" / "data" / "work_report_units.jsonl")
FOLDERS = (ROOT / "seeds", ROOT / "training" / "corpus")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_report(name: str) -> Path:
    for folder in FOLDERS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def predict_pipeline(texts: dict[str, str]) -> dict[str, list[dict]]:
    import policy_nlp

    nlp = policy_nlp.create_pipeline("char")  # its indicators component follows the structure
    out = {}
    with nlp.select_pipes(disable=["policy_nlp_themes"]):
        for name, text in texts.items():
            doc = nlp(text)
            out[name] = list(doc.spans["indicators"].attrs["records"])
    return out


def predict_gold_units(texts: dict[str, str]) -> dict[str, list[dict]]:
    from policy_nlp.components.indicators import extract_quantities, indicator_vocabulary_v1, with_input_text
    from policy_nlp.components.normalize import normalize

    vocab = indicator_vocabulary_v1()
    units = defaultdict(list)
    for path in UNIT_FILES:
        for u in read_jsonl(path):
            units[u["doc"]].append(u)
    out = {}
    for name, text in texts.items():
        norm = normalize(text).text
        records = []
        for u in sorted(units[name], key=lambda u: u["start"]):
            if u.get("kind") == "boilerplate":
                continue
            records += [with_input_text(r, text) for r in extract_quantities(norm, u["start"], u["end"], vocab)]
        out[name] = records
    return out


def evaluate(gold: dict[str, list[dict]], pred: dict[str, list[dict]]) -> list[dict]:
    from policy_nlp.components.indicators import match_records, same_value

    rows = []
    totals = defaultdict(int)
    for name in sorted(gold):
        g, p = gold[name], pred.get(name, [])
        pairs = match_records(g, p)
        tp = sum(1 for a, b in pairs if b is not None and same_value(a, b))
        canon = [(a, b) for a, b in pairs if a.get("canonical")]
        canon_ok = sum(1 for a, b in canon if b is not None and b.get("canonical") == a["canonical"])
        row = {"report": name, "gold": len(g), "predicted": len(p), "tp": tp, "canonical_gold": len(canon),
               "canonical_ok": canon_ok}
        rows.append(row)
        for k in ("gold", "predicted", "tp", "canonical_gold", "canonical_ok"):
            totals[k] += row[k]
    rows.append({"report": "all", **totals})
    for row in rows:
        row["precision"] = row["tp"] / row["predicted"] if row["predicted"] else 0.0
        row["recall"] = row["tp"] / row["gold"] if row["gold"] else 0.0
        row["canonical_accuracy"] = row["canonical_ok"] / row["canonical_gold"] if row["canonical_gold"] else 0.0
    return rows


def markdown(rows: list[dict], units: str) -> str:
    lines = [
        "# Indicator extraction: development figures",
        "",
        "The rules of `policy_nlp_indicators` were written with these seven reports in view, so these are",
        "development figures, not an estimate on unseen reports. Gold: `training/data/indicators.jsonl`.",
        f"Units: {'the structure component' if units == 'pipeline' else 'the gold unit files'}.",
        "Value+unit: a prediction overlapping a gold record with equal unit and value (1e-6 relative).",
        "Canonical accuracy: share of the gold records with a canonical name whose matched prediction has the same"
        " name (no match counts as wrong).",
        "",
        "| report | gold | predicted | value+unit P | value+unit R | canonical acc. (n) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = f"**{r['report']}**" if r["report"] == "all" else r["report"]
        lines.append(f"| {name} | {r['gold']} | {r['predicted']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                     f"{r['canonical_accuracy']:.3f} ({r['canonical_gold']}) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--units", choices=("pipeline", "gold"), default="pipeline")
    parser.add_argument("--output", type=Path, help="write the table as Markdown to this file")
    parser.add_argument("--errors", action="store_true", help="list misses and false positives")
    args = parser.parse_args(argv)

    from policy_nlp import read_text

    gold: dict[str, list[dict]] = defaultdict(list)
    for rec in read_jsonl(args.gold):
        gold[rec["doc"]].append(rec)
    texts = {name: read_text(find_report(name)) for name in sorted(gold)}
    pred = predict_pipeline(texts) if args.units == "pipeline" else predict_gold_units(texts)
    rows = evaluate(gold, pred)
    table = markdown(rows, args.units)
    print(table)
    if args.errors:
        from policy_nlp.components.indicators import match_records, same_value

        for name in sorted(gold):
            text = texts[name]
            pairs = match_records(gold[name], pred[name])
            hit = {id(b) for a, b in pairs if b is not None}
            for a, b in pairs:
                ctx = text[max(0, a["start"] - 15):a["end"] + 8].replace("\n", "/")
                if b is None or not same_value(a, b):
                    got = f"{b['text']} {b['value']} {b['unit']}" if b else "-"
                    print(f"MISS {name[:8]} {a['text']} {a['value']} {a['unit']} got {got} || {ctx}")
                elif a.get("canonical") and b.get("canonical") != a["canonical"]:
                    print(f"CANON {name[:8]} {a['text']} gold {a['canonical']} got {b.get('canonical')} || {ctx}")
            for b in pred[name]:
                if id(b) not in hit:
                    ctx = text[max(0, b["start"] - 15):b["end"] + 8].replace("\n", "/")
                    print(f"FP {name[:8]} {b['text']} {b['value']} {b['unit']} || {ctx}")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
