"""Score a saved model and the keyword list on held-out hand-labelled units.

    python training/score_heldout.py [--model DIR] [--data training/data/heldout_units.jsonl] [--output FILE]

The held-out units (`data/heldout_units.jsonl`) are every unit of two reports of the unlabelled collection,
chosen by a rule fixed before they were read and labelled blind (see `RESULTS.md`, "Held-out reports"). They
are not in the default training data. The model is scored with `policy_nlp.learn.evaluation.evaluate` (its
own segmentation aligned to the gold units); the keyword list is `compare_baselines.keyword_predict` with the
shipped rules, on the gold units. Prints a Markdown table per system (per-label F1, macro and micro F1) and,
with `--output`, writes the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_baselines import keyword_predict  # noqa: E402

from policy_nlp.components.normalize import normalize  # noqa: E402
from policy_nlp.learn.evaluation import evaluate  # noqa: E402
from policy_nlp.learn.labelled_data import read_corpus  # noqa: E402
from policy_nlp.model.metrics import compute_metrics  # noqa: E402
from policy_nlp.pipeline import load  # noqa: E402

DEFAULT_DATA = ROOT / "training" / "data" / "heldout_units.jsonl"
DEFAULT_MODEL = ROOT / "models" / "policy_nlp_zh_reports"


def keyword_scores(data: Path, labels: list[str], rules) -> dict:
    """The keyword list's metrics on the gold units of `data`, pooled and per document."""
    corpus = read_corpus([data], known_labels=labels)
    gold_all, pred_all, per_doc = [], [], {}
    for doc, text in corpus.documents.items():
        units = corpus.units_of(doc)
        pred = keyword_predict(units, normalize(text).text, labels, rules)
        gold = [u.labels for u in units]
        per_doc[doc] = compute_metrics(gold, pred, labels)
        gold_all += gold
        pred_all += pred
    return {**compute_metrics(gold_all, pred_all, labels), "per_document": per_doc}


def table(results: dict[str, dict], labels: list[str]) -> str:
    head = "| system | " + " | ".join(labels) + " | macro-F1 | micro-F1 |"
    lines = [head, "|---|" + "---:|" * (len(labels) + 2)]
    for name, m in results.items():
        f1 = [m["per_label"][label]["f1"] for label in labels]
        cells = ["-" if v is None else f"{v:.3f}" for v in f1]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--output", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    model = evaluate(args.model, [args.data])
    labels = list(model["labels"])
    rules = load(args.model, segmenter="char").get_pipe("policy_nlp_report_structure").rules
    keyword = keyword_scores(args.data, labels, rules)
    results = {"policy_nlp": model, "keyword list": keyword}
    print(table(results, labels))
    for doc in model["per_document"]:
        print(f"\n{doc}\n" + table({name: r["per_document"][doc] for name, r in results.items()}, labels))
    if args.output:
        args.output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
