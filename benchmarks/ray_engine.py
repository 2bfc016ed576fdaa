"""Annotating on Ray (`--engine ray`) against this machine's processes (`--n-process`), in one run.

    python benchmarks/ray_engine.py [--chars 600000] [--segmenter pkuseg|char]

Needs the extra: pip install -e ".[bench,ray]". The corpus is the synthetic one of `throughput.py` (reports
of 10,000-20,000 characters assembled from seeds/, fixed random seed), written to a temporary directory.
Each figure is one `annotate_corpus` call into a fresh JSONL file, timed from the call to its return with
the pipeline already loaded in this process: for `--n-process 2` that includes starting the worker pool, for
Ray starting the actors and loading one pipeline in each (shipped as bytes); a local Ray instance with as
many CPUs as the machine is started once, before the Ray runs and outside the timing (its start is printed
apart). The `--n-process` runs come first, so that no process is forked from a driver holding Ray's
threads. Every output is checked to be byte-identical to the `--n-process 1` output. Prints a Markdown table:
characters per second and the ratio to `--n-process 1`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import SEEDS_DIR, build_corpus, read_seeds, write_corpus  # noqa: E402


def timed(run) -> tuple[float, dict]:
    start = time.perf_counter()
    summary = run()
    return time.perf_counter() - start, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", type=int, default=600_000)
    parser.add_argument("--segmenter", default="pkuseg", choices=["pkuseg", "char"])
    args = parser.parse_args()

    import policy_nlp
    from policy_nlp.corpus.batch import annotate_corpus
    from policy_nlp.corpus.distributed import RayEngine

    tmp = Path(tempfile.mkdtemp(prefix="policy-nlp-ray-bench-"))
    try:
        docs = tmp / "docs"
        write_corpus(build_corpus(read_seeds(SEEDS_DIR), args.chars), docs)
        nlp = policy_nlp.load(segmenter=args.segmenter, allow_download=False)
        policy_nlp.annotate(next(docs.iterdir()).read_text(encoding="utf-8"), nlp=nlp)  # warm-up
        rows: list[tuple[str, float, dict, Path]] = []
        for n in (1, 2):
            out = tmp / f"n_process_{n}.jsonl"
            seconds, summary = timed(lambda: annotate_corpus([docs], out, nlp=nlp, n_process=n))
            rows.append((f"`--n-process {n}`", seconds, summary, out))
            print(f"n_process {n}: {seconds:.1f} s", file=sys.stderr)
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        start = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 _node_ip_address="127.0.0.1")
        ray_start = time.perf_counter() - start
        for n in (1, 2):
            out = tmp / f"ray_{n}.jsonl"
            seconds, summary = timed(lambda: annotate_corpus([docs], out, nlp=nlp, engine=RayEngine(workers=n)))
            rows.append((f"`--engine ray --workers {n}`", seconds, summary, out))
            print(f"ray workers {n}: {seconds:.1f} s", file=sys.stderr)
        ray.shutdown()
        baseline = rows[0][3].read_bytes()
        base_cps = rows[0][2]["characters"] / rows[0][1]
        print(f"{rows[0][2]['documents']} reports, {rows[0][2]['characters']:,} characters, segmenter "
              f"{args.segmenter}, {os.cpu_count()} CPUs; local Ray instance started in {ray_start:.1f} s "
              f"(not counted below)\n")
        print("| run | seconds | chars/s | vs `--n-process 1` | same bytes as `--n-process 1` |")
        print("|---|---:|---:|---:|---|")
        for name, seconds, summary, out in rows:
            cps = summary["characters"] / seconds
            same = "yes" if out.read_bytes() == baseline else "NO"
            print(f"| {name} | {seconds:.1f} | {cps:,.0f} | {cps / base_cps:.2f}× | {same} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
