"""Annotating on Ray (`--engine ray`) against this machine's processes (`--n-process`), in one run.

    python benchmarks/ray_engine.py [--chars 400000] [--segmenter pkuseg|char] [--repeats 2]

Needs the extra: pip install -e ".[bench,ray]". The corpus is the synthetic one of `throughput.py` (reports
of 10,000-20,000 characters assembled from seeds/, fixed random seed), written to a temporary directory.
Four configurations: `--n-process 1` and `2`, Ray with 1 and 2 workers. Each measurement runs in a fresh
subprocess, and the configurations take turns (round after round, `--repeats` rounds; the median is
reported), so that a change in the load of the machine falls on all of them alike. A measurement is one
`annotate_corpus` call into a fresh JSONL file, timed from the call to its return with the pipeline already
loaded: for `--n-process 2` that includes starting the worker pool, for Ray starting the actors and loading
one pipeline in each (shipped as bytes). The local Ray instance (as many CPUs as the machine, loopback only,
no dashboard) is started before the clock starts; its start is reported apart. Every output is checked to
be byte-identical to the `--n-process 1` output. Start-up: the same call on a one-report corpus of 200
characters, made twice just before, the second timed (for Ray a new Dataset, so new actors each time; the
first absorbs the one-time costs of the process's first call, which the measured run does not pay either);
"after start-up" divides the
characters by the run's seconds less that start-up. Prints the load average and a Markdown table: characters
per second and the ratios to `--n-process 1`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import SEEDS_DIR, build_corpus, read_seeds, write_corpus  # noqa: E402

CONFIGS = (("n_process", 1), ("n_process", 2), ("ray", 1), ("ray", 2))


def measure(engine: str, n: int, docs: Path, output: Path, segmenter: str) -> dict:
    """One timed `annotate_corpus` run (in this fresh process)."""
    import policy_nlp
    from policy_nlp.corpus.batch import annotate_corpus
    from policy_nlp.corpus.distributed import RayEngine

    nlp = policy_nlp.load(segmenter=segmenter, allow_download=False)
    policy_nlp.annotate(min(docs.iterdir()).read_text(encoding="utf-8"), nlp=nlp)  # warm-up
    options: dict = {"n_process": n}
    ray_start = None
    if engine == "ray":
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        start = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1")
        ray_start = time.perf_counter() - start
        options = {"engine": RayEngine(workers=n)}
    for _ in range(2):  # the second: without the one-time costs of a process's first run (imports, set-up)
        output.with_suffix(".tiny.jsonl").unlink(missing_ok=True)
        start = time.perf_counter()
        annotate_corpus([docs.parent / "tiny"], output.with_suffix(".tiny.jsonl"), nlp=nlp, **options)
        startup = time.perf_counter() - start
    start = time.perf_counter()
    summary = annotate_corpus([docs], output, nlp=nlp, **options)
    seconds = time.perf_counter() - start
    return {"characters": summary["characters"], "documents": summary["documents"], "seconds": seconds,
            "startup": startup, "ray_start": ray_start,
            "sha256": hashlib.sha256(output.read_bytes()).hexdigest()}


def run_child(engine: str, n: int, docs: Path, output: Path, segmenter: str) -> dict:
    command = [sys.executable, __file__, "--child", json.dumps([engine, n, str(docs), str(output), segmenter])]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{engine} {n} failed:\n{done.stderr[-3000:]}")
    output.unlink()
    output.with_suffix(".tiny.jsonl").unlink()
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=400_000)
    parser.add_argument("--segmenter", default="pkuseg", choices=["pkuseg", "char"])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, n, docs, output, segmenter = json.loads(args.child)
        print(json.dumps(measure(engine, n, Path(docs), Path(output), segmenter)))
        return

    tmp = Path(tempfile.mkdtemp(prefix="policy-nlp-ray-bench-"))
    try:
        docs = tmp / "docs"
        reports = build_corpus(read_seeds(SEEDS_DIR), args.chars)
        write_corpus(reports, docs)
        write_corpus([reports[0][:200]], tmp / "tiny")
        load_before = os.getloadavg()
        runs: dict[tuple[str, int], list[dict]] = {config: [] for config in CONFIGS}
        for round_ in range(args.repeats):
            for engine, n in CONFIGS:
                result = run_child(engine, n, docs, tmp / "out.jsonl", args.segmenter)
                runs[(engine, n)].append(result)
                print(f"round {round_ + 1}: {engine} {n}: {result['seconds']:.1f} s", file=sys.stderr)
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    first = runs[CONFIGS[0]][0]
    cps = {config: statistics.median(r["characters"] / r["seconds"] for r in results)
           for config, results in runs.items()}
    startup = {config: statistics.median(r["startup"] for r in results) for config, results in runs.items()}
    running = {config: statistics.median(r["characters"] / (r["seconds"] - r["startup"])
                                         if r["seconds"] > 2 * r["startup"] else float("nan") for r in results)
               for config, results in runs.items()}  # nan: the run is too short to tell start-up from work
    ray_starts = [r["ray_start"] for results in runs.values() for r in results if r["ray_start"] is not None]
    print(f"{first['documents']} reports, {first['characters']:,} characters, segmenter {args.segmenter}, "
          f"{os.cpu_count()} CPUs, median of {args.repeats} round(s); load average (1 min) "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; local Ray instance started in "
          f"{statistics.median(ray_starts):.1f} s (not counted below)\n")
    print("| run | chars/s, whole run | vs `--n-process 1` | start-up (s) | chars/s after start-up "
          "| vs `--n-process 1` | same bytes |")
    print("|---|---:|---:|---:|---:|---:|---|")
    base = CONFIGS[0]
    for (engine, n), results in runs.items():
        config = (engine, n)
        name = f"`--n-process {n}`" if engine == "n_process" else f"`--engine ray --workers {n}`"
        same = "yes" if all(r["sha256"] == first["sha256"] for r in results) else "NO"
        print(f"| {name} | {cps[config]:,.0f} | {cps[config] / cps[base]:.2f}× | {startup[config]:.1f} "
              f"| {running[config]:,.0f} | {running[config] / running[base]:.2f}× | {same} |")
    for engine, what in (("ray", "`--engine ray --workers 2` vs `--workers 1`"),
                         ("n_process", "`--n-process 2` vs 1")):
        print(f"\n{what}: {cps[(engine, 2)] / cps[(engine, 1)]:.2f}× whole run, "
              f"{running[(engine, 2)] / running[(engine, 1)]:.2f}× after start-up")


if __name__ == "__main__":
    main()
