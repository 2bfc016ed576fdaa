"""Load time, peak memory and speed of annotating the five seed reports, per segmenter.

    python benchmarks/seeds.py [--repeats 5]

Each segmenter runs in a fresh subprocess (this script with `--worker SEGMENTER`): import, load the shipped
pipeline, annotate every seed report once to warm up, then `--repeats` timed passes over the five seeds.
Prints one Markdown table: import and load seconds, characters per second (median of the passes) and the
process's peak RSS.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEGMENTERS = ("pkuseg", "char")


def worker(segmenter: str, repeats: int) -> dict:
    t0 = time.perf_counter()
    sys.path.insert(0, str(REPO))
    import policy_nlp

    t1 = time.perf_counter()
    nlp = policy_nlp.load(segmenter=segmenter)
    t2 = time.perf_counter()
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))]
    first = [policy_nlp.annotate(t, nlp=nlp) for t in texts]
    t3 = time.perf_counter()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        docs = list(policy_nlp.annotate(texts, nlp=nlp))
        rates.append(sum(map(len, texts)) / (time.perf_counter() - start))
    assert [d.to_dict() for d in docs] == [d.to_dict() for d in first]
    return {"segmenter": segmenter, "import_s": t1 - t0, "load_s": t2 - t1, "first_pass_s": t3 - t2,
            "chars": sum(map(len, texts)), "units": sum(len(d.units) for d in docs),
            "chars_per_s": statistics.median(rates),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", choices=SEGMENTERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeats)))
        return 0
    rows = []
    for segmenter in SEGMENTERS:
        out = subprocess.run([sys.executable, __file__, "--worker", segmenter, "--repeats", str(args.repeats)],
                             capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"Five seed reports ({rows[0]['chars']:,} characters, {rows[0]['units']} units), "
          f"median of {args.repeats} passes:\n")
    print("| segmenter | import s | load s | first pass s | chars/s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['segmenter']} | {r['import_s']:.2f} | {r['load_s']:.2f} | {r['first_pass_s']:.2f} | "
              f"{r['chars_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
