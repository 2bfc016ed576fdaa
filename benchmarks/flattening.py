"""Flattening invariance: each labelled report against its copy without line breaks.

For the seven labelled reports (the five seeds and the two work reports), annotates the report and its
flattened copies (`policy_nlp.learn.invariance.flatten`: lines joined with nothing or a space; without chrome,
inside a site's page chrome, behind a crawler header) and prints, per report and form, the share of content
units with the same labels, the original's parts and top-level headings found in the copy, and content units of the copy
inside the inserted chrome. Targets: agreement >= 0.95 in every form, every part (problems passage, plans
part) found, no content unit inside chrome.

    python benchmarks/flattening.py [--model DIR] [--label NAME]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import policy_nlp
from policy_nlp.learn.invariance import CHROME, compare, flatten

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import input_forms  # noqa: E402

REPORTS = input_forms.labelled_reports(ROOT)
FORMS = [(joiner, chrome) for chrome in CHROME for joiner in ("", " ")]


def measure(nlp) -> list[dict]:
    rows = []
    for path in REPORTS:
        text = path.read_text(encoding="utf-8")
        original = policy_nlp.annotate(text, nlp=nlp)
        for joiner, chrome in FORMS:
            flat = flatten(text, joiner, chrome)
            rows.append({"doc": path.name, "joiner": joiner, "chrome": chrome,
                         **compare(original, policy_nlp.annotate(flat.text, nlp=nlp), flat)})
    return rows


def table(rows: list[dict], label: str) -> str:
    out = [f"| {label}: form | units | same labels | agreement | parts found | top-level headings found "
           f"| content units in chrome |", "|---|---:|---:|---:|---:|---:|---:|"]
    for joiner, chrome in FORMS + [(None, None)]:
        sel = [r for r in rows if joiner is None or (r["joiner"], r["chrome"]) == (joiner, chrome)]
        name = "all forms" if joiner is None else f"joined with {'a space' if joiner else 'nothing'}, chrome: {chrome}"
        units, same = sum(r["units"] for r in sel), sum(r["same_labels"] for r in sel)
        worst = min(r["agreement"] for r in sel)
        out.append(f"| {name} | {units} | {same} | {same / units:.3f} (worst report {worst:.3f}) | "
                   f"{sum(r['parts_found'] for r in sel)}/{sum(r['parts'] for r in sel)} | "
                   f"{sum(r['part_headings_found'] for r in sel)}/{sum(r['part_headings'] for r in sel)} | "
                   f"{sum(r['content_in_chrome'] for r in sel)} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="pipeline directory (default: the shipped model)")
    ap.add_argument("--label", default="policy_nlp")
    ap.add_argument("--per-report", action="store_true", help="also list every report and form")
    args = ap.parse_args(argv)
    rows = measure(policy_nlp.load(args.model, segmenter="char"))
    print(table(rows, args.label))
    if args.per_report:
        for r in rows:
            print(f"- {r['doc']} joiner={r['joiner']!r} chrome={r['chrome']}: {r['agreement']:.3f}, "
                  f"parts {r['parts_found']}/{r['parts']}, top-level headings {r['part_headings_found']}/{r['part_headings']}, in chrome {r['content_in_chrome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
