"""Training time against the number of reports.

Builds corpora of N reports (default 5, 10, 20, 50) from replicas of the hand-labelled reports (the five
seeds and the two work reports, 940 units): replica k of a report is the same text with a line
`(副本 k)` appended (so every report is a distinct document with its own id) and the same labelled units.
For each N it runs `policy_nlp.learn.training.train` in a fresh subprocess and reports wall time
(`time.perf_counter`, whole call: reading, docs, cross-validation, threshold tuning, final fit, writing),
the number of estimator fits and the cross-validation scheme, with and without cross-validation.
The report goes to stdout (Markdown), progress to stderr.

    .venv/bin/python benchmarks/training.py                        # 5, 10, 20, 50 reports, with and without CV
    .venv/bin/python benchmarks/training.py --sizes 5 10 --no-cv-only
    .venv/bin/python benchmarks/training.py --output training_times.md
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_corpus(n_reports: int, out: Path) -> Path:
    """`out/units.jsonl` and `out/reports/*.txt`: n_reports replicas of the labelled reports."""
    from policy_nlp.learn.labelled_data import default_data, read_corpus

    corpus = read_corpus(default_data())
    names = sorted(corpus.documents)
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    lines = []
    for k in range(n_reports):
        src = names[k % len(names)]
        replica = k // len(names)
        name = f"r{k:03d}_{src}"
        text = corpus.documents[src] + (f"\n(副本 {replica})" if replica else "")
        (reports / name).write_text(text, encoding="utf-8")
        for u in corpus.units_of(src):
            row = u.to_row()
            row["doc"] = name
            lines.append(json.dumps(row, ensure_ascii=False))
    data = out / "units.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def worker(data: str, seeds: str, out: str, cv: bool) -> None:
    from policy_nlp.learn import training
    from policy_nlp.learn.crossval import EstimatorCache

    fits = []
    original = EstimatorCache.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        fits.append(self)

    EstimatorCache.__init__ = init
    start = time.perf_counter()
    meta = training.train([data], out, seeds_dir=seeds, cv=cv)
    seconds = time.perf_counter() - start
    import resource

    import psutil

    me = psutil.Process()
    cpu = sum(me.cpu_times()[:2]) + sum(sum(c.cpu_times()[:2]) for c in me.children(recursive=True))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += usage.ru_utime + usage.ru_stime
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "fits": sum(c.fits for c in fits), "units": meta["units"],
                      "documents": len(meta["documents"]), "threshold_cv": meta["settings"]["threshold_selection"],
                      "cv": (meta.get("cv") or {}).get("cv"),
                      "macro_f1": (meta.get("cv") or {}).get("macro_f1")}))


def run(n: int, cv: bool, tmp: Path) -> dict:
    work = tmp / f"n{n}"
    data = work / "units.jsonl"
    if not data.exists():
        build_corpus(n, work)
    out = work / ("model-cv" if cv else "model")
    cmd = [sys.executable, __file__, "--worker", str(data), str(work / "reports"), str(out), "1" if cv else "0"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1")
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 50])
    ap.add_argument("--no-cv-only", action="store_true", help="Skip the runs with cross-validation.")
    ap.add_argument("--output", type=Path)
    args = ap.parse_args()
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="policy-nlp-train-bench-") as tmp:
        for n in args.sizes:
            for cv in ([False] if args.no_cv_only else [False, True]):
                print(f"training on {n} reports, cv={cv} …", file=sys.stderr, flush=True)
                r = run(n, cv, Path(tmp))
                r.update(n=n, with_cv=cv, load=os.getloadavg()[0])
                print(f"  {r['seconds']:.1f} s, {r['fits']} fits", file=sys.stderr, flush=True)
                rows.append(r)
    import sklearn

    loads = ", ".join(f"{r['load']:.1f}" for r in rows)
    lines = ["# Training time against the number of reports", "",
             f"`python benchmarks/training.py --sizes {' '.join(map(str, args.sizes))}`: replicas of the 7 "
             "labelled reports with fresh document ids; wall time of `policy_nlp.learn.training.train` in a fresh "
             "process (reading, docs, cross-validation, threshold tuning, final fit, writing the pipeline).", "",
             f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, scikit-learn {sklearn.__version__}. Load average (1 min) before the "
             f"runs {load_before[0]:.1f}, after each run {loads} "
             "(other processes on the same cores lengthen every figure).", "",
             "| reports | units | cross-validation | seconds (wall) | s per report | CPU seconds | estimator fits | thresholds tuned by |",
             "|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        cv = r["cv"] or "no (`--no-cv`)"
        lines.append(f"| {r['n']} | {r['units']} | {cv} | {r['seconds']:.1f} | {r['seconds'] / r['n']:.2f} | "
                     f"{r['cpu_seconds']:.1f} | {r['fits']} | {r['threshold_cv'].split('(')[-1].rstrip(')')} |")
    for cv in ([False] if args.no_cv_only else [False, True]):
        sel = [r for r in rows if r["with_cv"] == cv]
        if len(sel) >= 2:
            a, b = sel[0], sel[-1]
            growth = (b["seconds"] / a["seconds"]) / (b["n"] / a["n"])
            lines.append("")
            lines.append(f"{'With' if cv else 'Without'} cross-validation: {a['n']} → {b['n']} reports "
                         f"({b['n'] / a['n']:.0f}× the data) took {b['seconds'] / a['seconds']:.1f}× the time "
                         f"(time per report × {growth:.2f}: {'no worse than linear' if growth <= 1.05 else 'worse than linear'}).")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.output:
        args.output.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
