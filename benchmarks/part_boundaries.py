"""Part boundaries on real reports: how many problems passages and plans parts the pipeline finds exactly.

The gold (`training/data/part_boundaries.jsonl`, one object per report, see `training/README.md`) names each
report's problems passage and plans part by their first and last line (1-based over the file split on "\\n",
inclusive), or null where the report has none. The pipeline's part is, with `--by labels` (default), the
longest run of consecutive non-boilerplate units carrying its label (`shortcomings` for the problems
passage, `plans` for the plans part), or with `--by structure` the units the structure component put in
it (the unit group's `parts`, rules v3 on); it is found exactly when its first and last lines equal the
gold's.

    python benchmarks/part_boundaries.py --reports ../shared/corpus/unlabelled
    python benchmarks/part_boundaries.py --reports DIR --save-predictions before.jsonl   # score later
    python benchmarks/part_boundaries.py --predictions before.jsonl                       # score saved ones

The report (Markdown) goes to stdout; `--misses` lists the parts not found exactly.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "training" / "data" / "part_boundaries.jsonl"
PARTS = {"problems": "shortcomings", "plans": "plans"}


def line_of(text: str, offset: int) -> int:
    """1-based line of a character offset, lines split on "\\n"."""
    return text.count("\n", 0, offset) + 1


def label_runs(doc) -> dict:
    """{part: {"first_line", "last_line"} or None} of one `AnnotatedDocument`: the longest run of
    consecutive non-boilerplate units with the part's label."""
    content = [u for u in doc.units if u.kind != "boilerplate"]
    out = {}
    for part, label in PARTS.items():
        best, run = None, []
        for unit in content + [None]:
            if unit is not None and label in unit.labels:
                run.append(unit)
                continue
            if run and (best is None or len(run) > len(best)):
                best = run
            run = []
        out[part] = None if best is None else {"first_line": line_of(doc.text, best[0].start),
                                              "last_line": line_of(doc.text, best[-1].end - 1)}
    return out


def structure_parts(doc, text: str) -> dict:
    """{part: {"first_line", "last_line"} or None} of a processed `Doc`: the first and last unit the
    structure component put in each part (the unit group's `parts`)."""
    group = doc.spans["units"]
    parts = group.attrs.get("parts") or [""] * len(group)
    out = {}
    for part in PARTS:
        inside = [span for span, p in zip(group, parts) if p == part]
        out[part] = None if not inside else {"first_line": line_of(text, inside[0].start_char),
                                            "last_line": line_of(text, inside[-1].end_char - 1)}
    return out


def predict(reports: Path, model: str | None, by: str) -> list[dict]:
    import policy_nlp
    from policy_nlp.corpus.document import AnnotatedDocument

    nlp = policy_nlp.load(model, segmenter="char")
    paths = sorted(reports.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in paths]  # the gold's lines are over the UTF-8 files
    out = []
    for path, text, doc in zip(paths, texts, nlp.pipe(texts)):
        found = structure_parts(doc, text) if by == "structure" else \
            label_runs(AnnotatedDocument.from_doc(doc, policy_nlp.model_info(nlp), text=text))
        out.append({"doc": path.name, **found})
    return out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def same(gold: dict | None, pred: dict | None) -> bool:
    if gold is None or pred is None:
        return gold is None and pred is None
    return (gold["first_line"], gold["last_line"]) == (pred["first_line"], pred["last_line"])


def score(gold: list[dict], predictions: list[dict]) -> dict:
    """Per part: gold parts, found exactly, reports without the part, false parts on those, misses."""
    by_doc = {p["doc"]: p for p in predictions}
    out = {}
    for part in PARTS:
        found, absent, false_parts, misses = 0, 0, 0, []
        present = [g for g in gold if g.get(part) is not None]
        for g in gold:
            pred = by_doc.get(g["doc"], {}).get(part)
            if g.get(part) is None:
                absent += 1
                false_parts += pred is not None
            elif same(g[part], pred):
                found += 1
            else:
                misses.append((g["doc"], g[part], pred))
        out[part] = {"gold": len(present), "found": found, "share": found / max(len(present), 1),
                     "absent": absent, "false": false_parts, "misses": misses}
    return out


def report(scores: dict, n_docs: int, label: str) -> str:
    lines = ["| pipeline | reports | problems passages found exactly | plans parts found exactly "
             "| false parts (problems / plans) |", "|---|---:|---:|---:|---:|"]
    p, q = scores["problems"], scores["plans"]
    lines.append(f"| {label} | {n_docs} | {p['found']}/{p['gold']} ({p['share']:.3f}) | "
                 f"{q['found']}/{q['gold']} ({q['share']:.3f}) | {p['false']} / {q['false']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=Path, help="directory of report .txt files to annotate")
    ap.add_argument("--model", help="pipeline directory (default: the shipped model)")
    ap.add_argument("--by", choices=("labels", "structure"), default="labels",
                    help="a part is the longest run of its label (default) or the units the structure put in it")
    ap.add_argument("--predictions", type=Path, help="score saved predictions instead of annotating")
    ap.add_argument("--save-predictions", type=Path, help="write the predictions (JSONL) here")
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--label", default="policy_nlp", help="row label in the report")
    ap.add_argument("--misses", action="store_true", help="list the parts not found exactly")
    args = ap.parse_args(argv)
    if args.predictions:
        predictions = read_jsonl(args.predictions)
    elif args.reports:
        predictions = predict(args.reports, args.model, args.by)
    else:
        ap.error("give --reports or --predictions")
    if args.save_predictions:
        args.save_predictions.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions),
                                         encoding="utf-8")
    if not args.gold.is_file():
        print(f"no gold file {args.gold}: predictions only", file=sys.stderr)
        return 0
    gold = read_jsonl(args.gold)
    scores = score(gold, predictions)
    print(report(scores, len(gold), args.label))
    if args.misses:
        for part, s in scores.items():
            for doc, g, pred in s["misses"]:
                print(f"- {part} {doc}: gold {g['first_line']}-{g['last_line']}, found "
                      f"{'-' if pred is None else str(pred['first_line']) + '-' + str(pred['last_line'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
