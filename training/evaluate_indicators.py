"""Evaluate the indicator extractor against hand-decided gold.

    python training/evaluate_indicators.py [--set labelled|unlabelled] [--units pipeline|gold] [--output x.md]

`--set labelled` (the default): the seven labelled reports (the five seeds and the two work reports,
`training/data/indicators.jsonl`), with units from the structure component (`--units pipeline`, the default:
tokenizer + structure + indicators, the untrained themes component disabled) or from the gold unit files
(`--units gold`). The rules were written with these seven reports in view: development figures.
`--set unlabelled`: the three reports of `training/corpus/` taken from the unlabelled folder
(`training/data/indicators_unlabelled_gold.jsonl`, `UNLABELLED_REPORTS`; pipeline units only).
`--set supplement`: two sections of a fourth one, `SUPPLEMENT_SECTION` of `SUPPLEMENT_REPORT`
(`training/data/indicators_unlabelled_supplement_gold.jsonl`; predictions outside the section are left out).

Matches each gold record to the prediction overlapping it most and prints per report and overall:
- value+unit precision and recall (a match needs overlapping offsets, equal unit and a value within 1e-6
  relative);
- canonical-name accuracy on the gold records that have a canonical name (a gold record without a matching
  prediction counts as wrong);
- canonical precision: of the value+unit matches whose prediction names an indicator, the share whose gold
  names the same one (a name where the gold has none is wrong);
- result/target flag accuracy on the value+unit matches whose gold has a `status` (a prediction without one
  counts as `result`, what an extractor that does not tell them apart implies).
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
UNLABELLED_GOLD = ROOT / "training" / "data" / "indicators_unlabelled_gold.jsonl"
# the three shortest files of the unlabelled folder (福田区 and 龙华区 left out); the first has no report text
UNLABELLED_REPORTS = ("2021年坪山区政府工作报告_2021.txt", "大鹏新区2022年管委会工作报告_2022.txt",
                      "大鹏新区2023年管理委员会工作报告_2023.txt")
# the next file in that order, its first two sections only (from the first heading to the third)
SUPPLEMENT_GOLD = ROOT / "training" / "data" / "indicators_unlabelled_supplement_gold.jsonl"
SUPPLEMENT_REPORT = "2014年政府工作报告（在深圳市罗湖区第六届人民代表大会第三次会议上）_2014.txt"
SUPPLEMENT_SECTION = ("（一）促升级", "（三）提品质")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def find_report(name: str) -> Path:
    for folder in FOLDERS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def report_text(path: Path) -> str:
    """The report as `policy_nlp.read_text` reads it; a UTF-8 file it refuses (the web-page shell of the
    unlabelled set has icon-font private-use characters) is read as UTF-8, with a note."""
    from policy_nlp import read_text
    from policy_nlp.errors import DataError

    try:
        return read_text(path)
    except DataError as exc:
        print(f"note: {path.name}: {exc}; read as UTF-8", file=sys.stderr)
        return path.read_text(encoding="utf-8")


def in_section(text: str, records: list[dict]) -> list[dict]:
    """The records inside `SUPPLEMENT_SECTION` of the text."""
    start, end = (text.index(heading) for heading in SUPPLEMENT_SECTION)
    return [r for r in records if start <= r["start"] < end]


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
        hits = [(a, b) for a, b in pairs if b is not None and same_value(a, b)]
        canon = [(a, b) for a, b in pairs if a.get("canonical")]
        named = [(a, b) for a, b in hits if b.get("canonical")]
        flagged = [(a, b) for a, b in hits if a.get("status")]
        row = {"report": name, "gold": len(g), "predicted": len(p), "tp": len(hits),
               "canonical_gold": len(canon),
               "canonical_ok": sum(1 for a, b in canon if b is not None and b.get("canonical") == a["canonical"]),
               "canonical_named": len(named),
               "canonical_named_ok": sum(1 for a, b in named if b["canonical"] == a.get("canonical")),
               "flagged": len(flagged),
               "flag_ok": sum(1 for a, b in flagged if (b.get("status") or "result") == a["status"])}
        rows.append(row)
        for k, v in row.items():
            if k != "report":
                totals[k] += v
    rows.append({"report": "all", **totals})
    for row in rows:
        row["precision"] = _share(row["tp"], row["predicted"])
        row["recall"] = _share(row["tp"], row["gold"])
        row["canonical_accuracy"] = _share(row["canonical_ok"], row["canonical_gold"])
        row["canonical_precision"] = _share(row["canonical_named_ok"], row["canonical_named"])
        row["flag_accuracy"] = _share(row["flag_ok"], row["flagged"])
    return rows


def _share(k: int, n: int) -> float | None:
    """k/n, None when n is 0 (nothing to measure: shown as a dash)."""
    return k / n if n else None


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def markdown(rows: list[dict], units: str, gold: Path) -> str:
    lines = [
        "# Indicator extraction",
        "",
        f"Gold: `{gold.relative_to(ROOT).as_posix()}`. "
        f"Units: {'the structure component' if units == 'pipeline' else 'the gold unit files'}.",
        "Value+unit: a prediction overlapping a gold record with equal unit and value (1e-6 relative).",
        "Canonical accuracy: share of the gold records with a canonical name whose matched prediction has the same"
        " name (no match counts as wrong). Canonical precision: share of the matched predictions naming an"
        " indicator whose gold names the same one. Flag: result/target agreement on the matches.",
        "",
        "| report | gold | predicted | value+unit P | value+unit R | canonical acc. (n) | canonical P (n) |"
        " flag acc. (n) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        name = f"**{r['report']}**" if r["report"] == "all" else r["report"]
        lines.append(f"| {name} | {r['gold']} | {r['predicted']} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | "
                     f"{_fmt(r['canonical_accuracy'])} ({r['canonical_gold']}) | "
                     f"{_fmt(r['canonical_precision'])} ({r['canonical_named']}) | "
                     f"{_fmt(r['flag_accuracy'])} ({r['flagged']}) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", dest="gold_set", choices=("labelled", "unlabelled", "supplement"),
                        default="labelled", help="the seven labelled reports, the three reports from the unlabelled "
                                                 "folder, or two sections of a fourth one")
    parser.add_argument("--gold", type=Path, help="a gold JSONL of your own (default: the set's)")
    parser.add_argument("--units", choices=("pipeline", "gold"), default="pipeline")
    parser.add_argument("--output", type=Path, help="write the table as Markdown to this file")
    parser.add_argument("--errors", action="store_true", help="list misses and false positives")
    args = parser.parse_args(argv)

    unlabelled = args.gold_set != "labelled"
    default_gold = {"labelled": GOLD, "unlabelled": UNLABELLED_GOLD, "supplement": SUPPLEMENT_GOLD}[args.gold_set]
    gold_path = (args.gold or default_gold).resolve()
    gold: dict[str, list[dict]] = {name: [] for name in (UNLABELLED_REPORTS if args.gold_set == "unlabelled" else ())}
    for rec in read_jsonl(gold_path):
        gold.setdefault(rec["doc"], []).append(rec)
    texts = {name: report_text(find_report(name)) for name in sorted(gold)}
    pred = predict_pipeline(texts) if args.units == "pipeline" or unlabelled else predict_gold_units(texts)
    if args.gold_set == "supplement":
        pred = {name: in_section(texts[name], records) for name, records in pred.items()}
    rows = evaluate(gold, pred)
    table = markdown(rows, args.units, gold_path)
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
                elif (a.get("canonical") or b.get("canonical")) and b.get("canonical") != a.get("canonical"):
                    print(f"CANON {name[:8]} {a['text']} gold {a.get('canonical')} got {b.get('canonical')} || {ctx}")
                elif a.get("status") and (b.get("status") or "result") != a["status"]:
                    print(f"FLAG {name[:8]} {a['text']} gold {a['status']} got {b.get('status')} || {ctx}")
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
