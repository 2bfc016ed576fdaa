"""Peak memory per input character of one document, and the cold start of the package and the CLI.

Each measurement runs in a fresh process: load the shipped model, note the peak RSS, annotate one document of
N characters made from the seed reports (as one line without line breaks, the worst case, and with its line
breaks), and report (peak after − peak before) / N. Prints a table and JSON; figures go to
`docs/benchmarks.md` ("Speed and memory") and to `policy_nlp.api.BYTES_PER_CHAR`.

    python benchmarks/memory.py [--sizes 250000 1000000] [--segmenters char pkuseg]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import policy_nlp
segmenter, size, one_line = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
seeds = [p.read_text(encoding="utf-8") for p in sorted(Path(sys.argv[4]).glob("*.txt"))]
text = "".join(seeds)
if one_line:
    text = text.replace("\n", "")
text = (text * (size // len(text) + 1))[:size]
nlp = policy_nlp.load(segmenter=segmenter)
policy_nlp.annotate(seeds[0][:2000], nlp=nlp)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
doc = policy_nlp.annotate(text, nlp=nlp, max_chars=size)
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "after": after, "units": len(doc.units), "seconds": seconds}))
"""


def measure(segmenter: str, size: int, one_line: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, segmenter, str(size), "1" if one_line else "0",
                          str(ROOT / "seeds")], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data.update(segmenter=segmenter, size=size, one_line=one_line,
                bytes_per_char=(data["after"] - data["before"]) / size)
    return data


def cold_start() -> dict:
    """Seconds for `import policy_nlp` and for `policy-nlp annotate` of one seed report (char and pkuseg)."""
    seed = sorted((ROOT / "seeds").glob("*.txt"))[1]
    figures = {}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import policy_nlp"], check=True)
    figures["import policy_nlp"] = time.perf_counter() - start
    probe = ("import sys, policy_nlp; heavy = [m for m in ('datasets', 'pandas', 'pyarrow') if m in sys.modules]; "
             "print(','.join(heavy))")
    figures["heavy modules after import"] = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                                           text=True, check=True).stdout.strip() or "none"
    for segmenter in ("char", "pkuseg"):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "policy_nlp", "annotate", str(seed), "--segmenter", segmenter],
                       check=True, stdout=subprocess.DEVNULL)
        figures[f"policy-nlp annotate one report, {segmenter}"] = time.perf_counter() - start
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--segmenters", nargs="+", default=["char", "pkuseg"])
    args = parser.parse_args()
    rows = [measure(seg, size, one_line) for seg in args.segmenters for size in args.sizes
            for one_line in (True, False)]
    print(f"{'segmenter':<9} {'characters':>11} {'one line':>8} {'peak +MB':>9} {'bytes/char':>10} {'s':>6}")
    for r in rows:
        print(f"{r['segmenter']:<9} {r['size']:>11,} {str(r['one_line']):>8} "
              f"{(r['after'] - r['before']) / 2**20:>9.0f} {r['bytes_per_char']:>10.0f} {r['seconds']:>6.1f}")
    start = cold_start()
    for name, value in start.items():
        print(f"{name}: {value:.2f} s" if isinstance(value, float) else f"{name}: {value}")
    print(json.dumps({"memory": rows, "cold_start": start}, indent=1))


if __name__ == "__main__":
    main()
