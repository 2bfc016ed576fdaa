"""Score the metadata extractor (`policy_nlp.corpus.metadata`) against the hand-checked metadata of every report
in the project and in ../shared/corpus/unlabelled (`training/data/metadata_gold.jsonl`).

    python training/score_metadata.py [--gold training/data/metadata_gold.jsonl] [--errors] [--text-only]

Prints per field the share of reports whose extracted value equals the hand-decided one, and which source each
value came from; `--errors` lists every disagreement. Reports whose file is missing are counted and skipped.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from policy_nlp.corpus.inputs import read_text
from policy_nlp.errors import DataError
from policy_nlp.corpus.metadata import extract_metadata, score

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", default=str(ROOT / "training" / "data" / "metadata_gold.jsonl"))
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"),
                        help="the folder that paths starting with ../shared/ point to")
    parser.add_argument("--errors", action="store_true", help="list every disagreement")
    parser.add_argument("--text-only", action="store_true", help="ignore the file names (what the text alone gives)")
    args = parser.parse_args()
    gold, predicted, sources, missing = [], [], Counter(), 0
    for line in Path(args.gold).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        shared = "../shared/"
        path = (Path(args.shared) / row["file"][len(shared):] if row["file"].startswith(shared)
                else ROOT / row["file"])
        if not path.exists():
            missing += 1
            continue
        try:
            text = read_text(path)
        except DataError as exc:  # the extractor is scored on what a reader of the file sees
            print(f"  {row['file']}: {exc.code}, read as UTF-8 with replacement characters")
            text = path.read_bytes().decode("utf-8", errors="replace")
        meta = extract_metadata(text, name=None if args.text_only else path.name)
        gold.append(row)
        predicted.append(meta.values())
        sources.update(f"{name}:{f.source}" for name, f in meta.fields.items())
        if args.errors:
            for name in ("region", "year", "kind", "title"):
                if str(meta.value(name)) != str(row[name]):
                    src = meta.fields[name].source if name in meta.fields else "-"
                    print(f"  {row['file']}: {name} {meta.value(name)!r} ({src}), gold {row[name]!r}")
    result = score(predicted, gold)
    print(f"{len(gold)} reports ({missing} missing)")
    for name, r in result.items():
        print(f"{name:7} {r['correct']:4}/{r['total']}  {r['accuracy']:.3f}")
    print("sources:", ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))


if __name__ == "__main__":
    main()
