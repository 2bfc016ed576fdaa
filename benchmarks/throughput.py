"""Throughput, scaling, cold start and memory of policy_nlp on a synthetic corpus built from seeds/.

    python benchmarks/throughput.py [--chars 2000000] [--repeats 3] [--output benchmarks/RESULTS.md]
                                    [--skip-pkuseg] [--time-budget 40] [--ratio-only] [--parts]

`--ratio-only`: only the cost of the pipeline against the tokenizer (8): the seeds ×4 streamed through
`annotate` (char segmenter), and their first 2,000 characters (short reports), each against spaCy's own
character tokenization (`spacy.blank("zh").tokenizer`) of the same texts, in one process, one ratio per run;
and the same for 20 distinct reports (`training/corpus/work_reports/`, first by file name), where no text
repeats across documents, so nothing is computed once for four copies, and for their first 2,000 characters
(short reports of which none repeats).
`--parts`: with (8), each part of the pipeline alone (the tokenizer, each component, the reviewer record) as a
multiple of the same tokenization, timed in the same runs.

Corpus: the seed reports of seeds/ are split into front matter (title, page chrome, metadata), heading
lines, body paragraphs (split into sentences with the library's own unit segmenter) and sign-offs. Synthetic
reports of 10,000-20,000 characters are assembled from these parts with a fixed random seed: front matter of
a seed (or none), an introductory paragraph, level-1 headings (renumbered 一、二、…) each with 2-5 level-2
headings ((一)(二)…, occasionally numbered level-3 items) and paragraphs of shuffled seed sentences (paragraph
lengths follow the seeds), then the sign-off of a seed. Traditional-script and Simplified-script seeds
feed separate reports, in proportion to their size. Reports are added until `--chars` is reached.

Every measurement runs in a fresh subprocess (this script with `--worker`), so no measurement sees the
memory, caches or imports of another. Throughput figures exclude loading the pipeline (a one-report
warm-up runs before the clock starts) and include reading the report files from a temporary directory.
Each figure is the median of `--repeats` runs. Progress goes to stderr, the report (Markdown) to stdout.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # measure this checkout's policy_nlp, whatever is installed

SEEDS_DIR = REPO / "seeds"
CORPUS_SEED = 20240501  # random seed of the synthetic corpus
REPORT_CHARS = (10_000, 20_000)
BATCH_SCALING_GUESS = 2.0  # (t1 + t2) / t1 for an n_process 1-vs-2 pair, to estimate the pkuseg batch time

TARGETS = {
    "pkuseg_ratio": 0.8,  # full annotate with pkuseg >= 0.8 x the bare spaCy + pkuseg floor
    "char_cps": 200_000,  # full annotate with the char segmenter, characters per second
    "speedup": 1.7,  # n_process=2 against n_process=1
    "agreement": 0.99,  # share of units labelled the same by the char and the pkuseg pipelines
    "rss_growth": 0.10,  # RSS growth from 1x to 5x the corpus streamed through annotate
    "tokenizer_ratio": 2.0,  # full annotate (char) time / spaCy's char tokenization time of the same texts
}
SHORT_CHARS = 2_000  # a short report: a seed's first 2,000 characters
SEED_COPIES = 4  # the seeds streamed this many times
DISTINCT_DIR = REPO / "training" / "corpus" / "work_reports"
DISTINCT_REPORTS = 20  # the first reports (by file name) of DISTINCT_DIR: no text repeats across documents


# ======================================================================================================
# Corpus
# ======================================================================================================
@dataclass
class Heading:
    level: int
    prefix: str  # the numbering as written in the seed, e.g. "(三)" or "2."
    body: str  # the heading text after the numbering
    inline: bool  # the seed continues the heading line with body sentences


@dataclass
class SeedParts:
    """The reusable parts of the seeds of one script (Traditional or Simplified)."""

    front: list[list[str]] = field(default_factory=list)  # per seed: lines before the body ([] = none)
    back: list[list[str]] = field(default_factory=list)  # per seed: sign-off lines ([] = none)
    intros: list[list[str]] = field(default_factory=list)  # paragraphs (as sentence lists) before any heading
    headings: dict[int, list[Heading]] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)
    paragraph_sizes: list[int] = field(default_factory=list)  # sentences per body paragraph in the seeds
    chars: int = 0


def read_seeds(seeds_dir: Path) -> list[tuple[str, str]]:
    from policy_nlp.corpus.inputs import read_text

    return [(p.name, read_text(p)) for p in sorted(seeds_dir.glob("*.txt"))]


def split_seed(text: str, parts: SeedParts) -> None:
    """Add one seed report's front matter, headings, paragraphs and sign-off to `parts`."""
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment
    from policy_nlp.rules import default_rules

    rules = default_rules()
    norm = normalize(text).text
    units = segment(norm, rules)
    content = [i for i, u in enumerate(units) if u.kind == "sentence" or (u.kind == "heading" and u.level)]
    if not content:
        return
    first_line, last_line = units[content[0]].line, units[content[-1]].line
    by_line: dict[int, list] = {}
    for u in units:
        by_line.setdefault(u.line, []).append(u)
    line_text = {li: text[us[0].start:us[-1].end] for li, us in by_line.items()}
    parts.front.append([line_text[li] for li in sorted(by_line) if li < first_line])
    parts.back.append([line_text[li] for li in sorted(by_line) if li > last_line])
    seen_heading = False
    for li in sorted(by_line):
        if not first_line <= li <= last_line:
            continue
        us = by_line[li]
        head = us[0] if us[0].kind == "heading" and us[0].level else None
        sentences = [text[u.start:u.end] for u in us[1:] if u.kind == "sentence"] if head else \
            [text[u.start:u.end] for u in us if u.kind == "sentence"]
        if head is not None:
            seen_heading = True
            h_norm = norm[head.start:head.end]
            for level, pattern in rules.heading_patterns:
                m = pattern.match(h_norm)
                if level == head.level and m:
                    h_text = text[head.start:head.end]
                    parts.headings.setdefault(level, []).append(
                        Heading(level, h_text[:m.end()], h_text[m.end():], inline=bool(sentences)))
                    break
        if sentences:
            parts.sentences.extend(sentences)
            parts.paragraph_sizes.append(len(sentences))
            if not seen_heading:
                parts.intros.append(sentences)
    parts.chars += len(text)


_CN_DIGITS = "零一二三四五六七八九"
_NUMERAL_RE = re.compile(r"[一二三四五六七八九十百零〇]+|\d+|[①-⑳]")


def cn_numeral(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[units] if units else "")


def renumber(prefix: str, n: int) -> str:
    """The heading numbering `prefix` with its number replaced by `n` in the same style."""
    def repl(m: re.Match) -> str:
        s = m.group()
        if s.isdigit():
            return str(n)
        if "①" <= s <= "⑳":
            return chr(ord("①") + min(n, 20) - 1)
        return cn_numeral(n)

    return _NUMERAL_RE.sub(repl, prefix, count=1)


class Deck:
    """Draws items in shuffled order, reshuffling when exhausted (every item is used evenly)."""

    def __init__(self, items: list, rng: random.Random):
        self.items, self.rng, self.pos = list(items), rng, len(items)

    def draw(self):
        if self.pos >= len(self.items):
            self.rng.shuffle(self.items)
            self.pos = 0
        self.pos += 1
        return self.items[self.pos - 1]


def synth_report(parts: SeedParts, decks: dict, rng: random.Random, target: int) -> str:
    """One synthetic report of about `target` characters with a report's structure."""
    def paragraph() -> str:
        return "".join(decks["sentences"].draw() for _ in range(rng.choice(parts.paragraph_sizes)))

    def heading(level: int, n: int) -> tuple[str, bool] | None:
        if not parts.headings.get(level):
            return None
        h = decks[level].draw()
        return renumber(h.prefix, n) + h.body, h.inline

    lines: list[str] = list(rng.choice(parts.front))
    lines.append("".join(rng.choice(parts.intros)) if parts.intros else paragraph())
    size = sum(map(len, lines))
    i = 0
    while size < target:
        i += 1
        h1 = heading(1, i)
        if h1:
            lines.append(h1[0])
        for j in range(1, rng.randint(2, 5) + 1):
            h2 = heading(2, j)
            paragraphs = [paragraph() for _ in range(rng.randint(1, 3))]
            if h2 and rng.random() < 0.15 and parts.headings.get(3):
                paragraphs = [heading(3, k + 1)[0] + p for k, p in enumerate(paragraphs)]
            if h2 and h2[1]:
                paragraphs[0] = h2[0] + paragraphs[0]
            elif h2:
                lines.append(h2[0])
            lines.extend(paragraphs)
            size = sum(map(len, lines))
            if size >= target:
                break
    lines.extend(rng.choice(parts.back))
    sep = "\n\n" if rng.random() < 0.3 else "\n"
    return sep.join(lines) + "\n"


def build_corpus(seeds: list[tuple[str, str]], total_chars: int, seed: int = CORPUS_SEED) -> list[str]:
    """Synthetic reports totalling at least `total_chars` characters, deterministic for a given seed."""
    from policy_nlp.components.normalize import normalize

    groups: dict[str, SeedParts] = {}
    for _, text in seeds:
        split_seed(text, groups.setdefault(normalize(text).script, SeedParts()))
    groups = {k: g for k, g in groups.items() if g.sentences}
    rng = random.Random(seed)
    decks = {k: {"sentences": Deck(g.sentences, rng), **{lv: Deck(hs, rng) for lv, hs in g.headings.items()}}
             for k, g in groups.items()}
    scripts = sorted(groups)
    weights = [groups[k].chars for k in scripts]
    reports: list[str] = []
    done = 0
    while done < total_chars:
        script = rng.choices(scripts, weights)[0]
        report = synth_report(groups[script], decks[script], rng, rng.randint(*REPORT_CHARS))
        reports.append(report)
        done += len(report)
    return reports


def corpus_stats(reports: list[str]) -> dict:
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment
    from policy_nlp.rules import default_rules

    kinds: dict[str, int] = {}
    traditional = 0
    for text in reports:
        n = normalize(text)
        traditional += n.script == "traditional"
        for u in segment(n.text, default_rules()):
            kinds[u.kind] = kinds.get(u.kind, 0) + 1
    sizes = [len(t) for t in reports]
    return {"reports": len(reports), "chars": sum(sizes), "min": min(sizes), "median": int(statistics.median(sizes)),
            "max": max(sizes), "units": sum(kinds.values()), "kinds": kinds, "traditional": traditional}


def write_corpus(reports: list[str], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(reports):
        (directory / f"report_{i:05d}.txt").write_text(text, encoding="utf-8")


# ======================================================================================================
# Workers (run in fresh subprocesses: `throughput.py --worker MODE --worker-args JSON`)
# ======================================================================================================
def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        try:
            import psutil

            return psutil.Process().memory_info().rss / 2**20
        except ImportError:
            return peak_rss_mb()


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def corpus_files(docs_dir: str) -> list[Path]:
    return sorted(Path(docs_dir).glob("*.txt"))


def worker_floor(args: dict) -> dict:
    """Bare spaCy `zh` with its own pkuseg tokenizer over the corpus: the floor."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "pkuseg"}}})
    nlp.tokenizer.initialize(pkuseg_model=args["pkuseg_model"])
    nlp.max_length = 50_000_000
    nlp.tokenizer(Path(args["warmup"]).read_text(encoding="utf-8"))
    chars = tokens = 0
    start = time.perf_counter()
    for path in corpus_files(args["docs"]):
        text = path.read_text(encoding="utf-8")
        tokens += len(nlp.tokenizer(text))
        chars += len(text)
    seconds = time.perf_counter() - start
    return {"chars": chars, "tokens": tokens, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def worker_annotate(args: dict) -> dict:
    """`policy_nlp.annotate` streaming over the corpus `passes` times; RSS after each pass."""
    import policy_nlp

    nlp = policy_nlp.load(segmenter=args["segmenter"], allow_download=False)
    files = corpus_files(args["docs"])
    passes = args.get("passes", 1)
    policy_nlp.annotate(Path(args["warmup"]).read_text(encoding="utf-8"), nlp=nlp)
    lengths: list[int] = []

    def texts():
        for _ in range(passes):
            for path in files:
                text = path.read_text(encoding="utf-8")
                lengths.append(len(text))
                yield text

    labels_out = open(args["labels"], "w", encoding="utf-8") if args.get("labels") else None
    rss_after_pass: list[float] = []
    peak_after_first = None
    units = 0
    start = time.perf_counter()
    for i, doc in enumerate(policy_nlp.annotate(texts(), nlp=nlp)):
        units += len(doc.units)
        if labels_out is not None and i < len(files):
            for u in doc.units:
                labels_out.write(f"{i}\t{u.start}\t{u.end}\t{u.kind}\t{','.join(u.labels)}\n")
        if (i + 1) % len(files) == 0:
            rss_after_pass.append(current_rss_mb())
            if peak_after_first is None:
                peak_after_first = peak_rss_mb()
    seconds = time.perf_counter() - start
    if labels_out is not None:
        labels_out.close()
    return {"chars": sum(lengths), "units": units, "seconds": seconds, "peak_rss_mb": peak_after_first,
            "peak_rss_mb_all": peak_rss_mb(), "rss_after_pass_mb": rss_after_pass}


def worker_batch(args: dict) -> dict:
    """`policy_nlp.corpus.batch.annotate_corpus` over the corpus directory into a fresh JSONL file."""
    import policy_nlp
    from policy_nlp.corpus.batch import annotate_corpus

    nlp = policy_nlp.load(segmenter=args["segmenter"], allow_download=False)
    policy_nlp.annotate(Path(args["warmup"]).read_text(encoding="utf-8"), nlp=nlp)  # before workers fork
    output = Path(args["output"])
    if output.exists():
        output.unlink()  # annotate_corpus resumes: an old output would make it skip every document
    start = time.perf_counter()
    summary = annotate_corpus([args["docs"]], output, nlp=nlp, n_process=args["n_process"])
    seconds = time.perf_counter() - start
    return {"chars": summary["characters"], "documents": summary["documents"], "failed": summary["failed"],
            "units": summary["units"], "seconds": seconds, "inner_seconds": summary["seconds"]}


def worker_pipe(args: dict) -> dict:
    """The minimal equivalent of `annotate_corpus`: `nlp.pipe(texts, n_process=N)` on plain texts,
    `AnnotatedDocument.from_doc`, one JSONL record per report (same records, same ids). A reference that
    separates the cost of spaCy's multiprocessing from what `annotate_corpus` adds (or loses: spaCy 3.8's
    `nlp.pipe(..., as_tuples=True)` makes the Docs, i.e. tokenizes, in the parent process)."""
    import policy_nlp
    from policy_nlp.api import model_info
    from policy_nlp.corpus.document import AnnotatedDocument

    nlp = policy_nlp.load(segmenter=args["segmenter"], allow_download=False)
    policy_nlp.annotate(Path(args["warmup"]).read_text(encoding="utf-8"), nlp=nlp)  # before workers fork
    info = model_info(nlp)
    files = corpus_files(args["docs"])
    chars = units = 0
    start = time.perf_counter()
    texts = (path.read_text(encoding="utf-8") for path in files)
    with open(args["output"], "w", encoding="utf-8") as out:
        for path, doc in zip(files, nlp.pipe(texts, n_process=args["n_process"], batch_size=8)):
            annotated = AnnotatedDocument.from_doc(doc, info, id=str(Path(args["docs"]) / path.name))
            out.write(json.dumps(annotated.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
            chars += len(annotated.text)
            units += len(annotated.units)
    seconds = time.perf_counter() - start
    return {"chars": chars, "documents": len(files), "failed": 0, "units": units, "seconds": seconds}


def worker_spin(args: dict) -> dict:
    """A fixed pure-Python CPU load (calibrates what two processes get out of this machine)."""
    start = time.perf_counter()
    total = 0
    for i in range(args["iterations"]):
        total += i * i
    return {"seconds": time.perf_counter() - start}


def worker_ratio(args: dict) -> dict:
    """(8) Seconds of spaCy's char tokenization and of `annotate` (char segmenter, streamed) of the same
    texts, back to back per run, for the seeds ×4 and for their first 2,000 characters. With `parts`, each
    run also times each part alone over the same texts (`time_parts`)."""
    import spacy

    import policy_nlp

    nlp = policy_nlp.load(segmenter="char")
    blank = spacy.blank("zh")
    seeds = [text for _, text in read_seeds(SEEDS_DIR)] * SEED_COPIES
    out = {}
    distinct = [p.read_text(encoding="utf-8") for p in sorted(DISTINCT_DIR.glob("*.txt"))[:DISTINCT_REPORTS]]
    rows = (("long", seeds), ("short", [t[:SHORT_CHARS] for t in seeds]), ("distinct", distinct),
            ("distinct_short", [t[:SHORT_CHARS] for t in distinct]))
    for name, texts in rows:
        list(policy_nlp.annotate(iter(texts[:2]), nlp=nlp))  # warm-up
        runs = []
        for _ in range(args["repeats"]):
            start = time.perf_counter()
            for text in texts:
                blank.tokenizer(text)
            tokenize = time.perf_counter() - start
            start = time.perf_counter()
            for _ in policy_nlp.annotate(iter(texts), nlp=nlp):
                pass
            run = {"tokenize": tokenize, "annotate": time.perf_counter() - start}
            if args.get("parts"):
                run["parts"] = time_parts(nlp, texts)
            runs.append(run)
        out[name] = {"docs": len(texts), "chars": sum(map(len, texts)), "runs": runs}
    return out


def time_parts(nlp, texts: list[str]) -> dict[str, float]:
    """Seconds of each part of `annotate` alone over `texts`, one part after the other as the pipeline runs
    them and in the stream's batches (`batches`, `BATCH_SIZE` texts within `BATCH_CHARS` characters): the
    tokenizer (`make_doc`), each component over all the documents (its `pipe` per batch), and the reviewer
    record (`AnnotatedDocument.from_doc`). What `annotate` costs beyond their sum is spaCy's `pipe` and the
    stream around it."""
    from policy_nlp.corpus.annotation import BATCH_CHARS, BATCH_SIZE, batches, relaxed_gc
    from policy_nlp.corpus.document import AnnotatedDocument

    groups = list(batches(texts, BATCH_SIZE, BATCH_CHARS))
    times = {}
    with relaxed_gc():  # as `annotate` runs
        start = time.perf_counter()
        docs = [[nlp.make_doc(text) for text in group] for group in groups]
        times["tokenizer"] = time.perf_counter() - start
        for name, component in nlp.pipeline:
            start = time.perf_counter()
            docs = [list(component.pipe(group, batch_size=len(group))) if hasattr(component, "pipe")
                    else [component(doc) for doc in group] for group in docs]
            times[name] = time.perf_counter() - start
        start = time.perf_counter()
        for group, texts_of in zip(docs, groups):
            for doc, text in zip(group, texts_of):
                AnnotatedDocument.from_doc(doc, text=text)
        times["reviewer record"] = time.perf_counter() - start
    return times


WORKERS = {"floor": worker_floor, "annotate": worker_annotate, "batch": worker_batch, "pipe": worker_pipe,
           "spin": worker_spin, "ratio": worker_ratio}
BATCH_METHODS = {"annotate_corpus": "batch", "nlp.pipe": "pipe"}

COLD_START_CODE = """
import json, sys, time
t0 = time.perf_counter()
import policy_nlp
t1 = time.perf_counter()
nlp = policy_nlp.load(segmenter=sys.argv[1], allow_download=False)
t2 = time.perf_counter()
with open(sys.argv[2], encoding="utf-8") as fh:
    doc = policy_nlp.annotate(fh.read(), nlp=nlp)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first_annotate": t3 - t2, "units": len(doc.units)}))
"""


def subprocess_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def worker_command(mode: str, kwargs: dict) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--worker-args", json.dumps(kwargs)]


def worker_result(mode: str, returncode: int, stdout: str, stderr: str) -> dict:
    if returncode != 0:
        raise RuntimeError(f"worker '{mode}' failed (exit {returncode}):\n{stderr[-4000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def run_worker(mode: str, **kwargs) -> dict:
    proc = subprocess.run(worker_command(mode, kwargs), capture_output=True, text=True, env=subprocess_env(),
                          cwd=str(REPO))
    return worker_result(mode, proc.returncode, proc.stdout, proc.stderr)


def run_workers_concurrently(mode: str, n: int, **kwargs) -> list[dict]:
    procs = [subprocess.Popen(worker_command(mode, kwargs), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=subprocess_env(), cwd=str(REPO)) for _ in range(n)]
    outputs = [(proc, *proc.communicate()) for proc in procs]
    return [worker_result(mode, proc.returncode, out, err) for proc, out, err in outputs]


# ======================================================================================================
# Measurements (in the parent: each runs workers and returns medians)
# ======================================================================================================
@dataclass
class Context:
    docs: Path
    work: Path
    warmup: Path  # the seed report used for warm-ups and the cold start
    chars: int
    repeats: int
    pkuseg_model: str | None
    started: float = field(default_factory=time.perf_counter)

    def log(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values)


def measure_floor(ctx: Context) -> dict:
    """(1) bare spaCy zh + pkuseg tokenization, characters per second."""
    runs = []
    for r in range(ctx.repeats):
        ctx.log(f"floor: spaCy zh + pkuseg tokenizer, run {r + 1}/{ctx.repeats}")
        runs.append(run_worker("floor", docs=str(ctx.docs), warmup=str(ctx.warmup), pkuseg_model=ctx.pkuseg_model))
    return {"cps": median(run["chars"] / run["seconds"] for run in runs), "runs": runs,
            "seconds": median(run["seconds"] for run in runs)}


def measure_annotate(ctx: Context, segmenter: str) -> dict:
    """(2)/(3) full `annotate` streaming over the corpus: characters per second and peak RSS (6)."""
    runs = []
    labels = ctx.work / f"labels_{segmenter}.tsv"
    for r in range(ctx.repeats):
        ctx.log(f"annotate, segmenter={segmenter}: run {r + 1}/{ctx.repeats}")
        runs.append(run_worker("annotate", docs=str(ctx.docs), warmup=str(ctx.warmup), segmenter=segmenter,
                               labels=str(labels) if r == 0 else None))
    return {"cps": median(run["chars"] / run["seconds"] for run in runs),
            "seconds": median(run["seconds"] for run in runs),
            "peak_rss_mb": median(run["peak_rss_mb"] for run in runs),
            "units": runs[0]["units"], "labels": labels, "runs": runs}


def measure_ratio(repeats: int, log=None, parts: bool = False) -> dict:
    """(8) Per text set: chars/s of the tokenization and of `annotate`, and the median ratio of their times;
    with `parts`, also each part's median time over the tokenization's (`time_parts`)."""
    if log:
        log(f"pipeline vs spaCy char tokenization: {repeats} run(s)")
    got = run_worker("ratio", repeats=repeats, parts=parts)
    for r in got.values():
        r["ratio"] = median(run["annotate"] / run["tokenize"] for run in r["runs"])
        r["tokenize_cps"] = r["chars"] / median(run["tokenize"] for run in r["runs"])
        r["annotate_cps"] = r["chars"] / median(run["annotate"] for run in r["runs"])
        if parts:
            r["parts"] = {part: median(run["parts"][part] / run["tokenize"] for run in r["runs"])
                          for part in r["runs"][0]["parts"]}
    return got


RATIO_ROWS = {"long": f"seeds ×{SEED_COPIES}", "short": f"first {SHORT_CHARS:,} chars of each, ×{SEED_COPIES}",
              "distinct": f"{DISTINCT_REPORTS} distinct work reports",
              "distinct_short": f"first {SHORT_CHARS:,} chars of each distinct work report"}


def render_ratio(ratio: dict) -> list[str]:
    out = ["## Pipeline vs tokenizer (8)", "",
           "`annotate` (char segmenter, streamed) against `spacy.blank(\"zh\").tokenizer` on the same texts, "
           "timed back to back in one process; the ratio is the median over runs of annotate time / "
           "tokenization time.", "",
           "| Texts | docs | chars | tokenizer chars/s | annotate chars/s | ratio |", "|---|---:|---:|---:|---:|---:|"]
    for key, r in ratio.items():
        out.append(f"| {RATIO_ROWS[key]} | {r['docs']} | {r['chars']:,} | {r['tokenize_cps']:,.0f} | "
                   f"{r['annotate_cps']:,.0f} | {r['ratio']:.2f}× |")
    return out + [""] + render_parts(ratio)


def render_parts(ratio: dict) -> list[str]:
    """Each part alone (`--parts`) as a multiple of spaCy's char tokenization of the same texts."""
    rows = {key: r["parts"] for key, r in ratio.items() if "parts" in r}
    if not rows:
        return []
    names = list(next(iter(rows.values())))
    out = ["Each part alone, × the tokenization (median over runs; `annotate` costs a little more than their "
           "sum: spaCy's `pipe` and the stream):", "",
           "| Texts | " + " | ".join(n.replace("policy_nlp_", "") for n in names) + " |",
           "|---|" + "---:|" * len(names)]
    for key, parts in rows.items():
        out.append(f"| {RATIO_ROWS[key]} | " + " | ".join(f"{parts[n]:.2f}" for n in names) + " |")
    return out + [""]


def measure_agreement(pkuseg_labels: Path, char_labels: Path) -> dict:
    """(7) share of units whose label set is the same with the char and the pkuseg segmenter.

    Units are matched by (report, start, end); a unit present in only one run counts as a disagreement.
    The target is checked on non-boilerplate units (boilerplate units carry no labels in either run)."""
    def read(path: Path) -> dict:
        out = {}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                doc, start, end, kind, labels = line.rstrip("\n").split("\t")
                out[(int(doc), int(start), int(end))] = (kind, labels)
        return out

    a, b = read(pkuseg_labels), read(char_labels)
    keys = set(a) | set(b)
    content = [k for k in keys if (a.get(k) or b.get(k))[0] != "boilerplate"]
    same = lambda k: k in a and k in b and a[k][1] == b[k][1]  # noqa: E731
    per_label: dict[str, int] = {}
    for k in content:
        if k in a and k in b and not same(k):
            for label in set(a[k][1].split(",")) ^ set(b[k][1].split(",")):
                per_label[label or "(none)"] = per_label.get(label or "(none)", 0) + 1
    return {"units": len(keys), "unaligned": len(set(a) ^ set(b)),
            "share_all": sum(map(same, keys)) / max(len(keys), 1),
            "content_units": len(content), "share": sum(map(same, content)) / max(len(content), 1),
            "differences_by_label": dict(sorted(per_label.items()))}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measure_batch(ctx: Context, segmenter: str, method: str = "annotate_corpus") -> dict:
    """(4) n_process=2 against n_process=1 (interleaved runs), writing JSONL, with `annotate_corpus` or
    with the `nlp.pipe` equivalent (see `worker_pipe`); the JSONL digests of the first runs are kept."""
    times: dict[int, list[float]] = {1: [], 2: []}
    digests: dict[int, str] = {}
    runs = []
    for r in range(ctx.repeats):
        for n in (1, 2):
            ctx.log(f"batch via {method}, segmenter={segmenter}, n_process={n}: run {r + 1}/{ctx.repeats}")
            output = ctx.work / f"batch_{segmenter}_{n}.jsonl"
            run = run_worker(BATCH_METHODS[method], docs=str(ctx.docs), warmup=str(ctx.warmup),
                             segmenter=segmenter, n_process=n, output=str(output))
            if run["failed"]:
                raise RuntimeError(f"{method} failed on {run['failed']} documents")
            times[n].append(run["seconds"])
            runs.append({"n_process": n, **run})
            if r == 0:
                digests[n] = file_digest(output)
            output.unlink()
    t1, t2 = median(times[1]), median(times[2])
    return {"seconds_1": t1, "seconds_2": t2, "cps_1": ctx.chars / t1, "cps_2": ctx.chars / t2,
            "speedup": t1 / t2, "digests": digests, "runs": runs}


def measure_cpu_ceiling(ctx: Context, iterations: int = 10_000_000) -> dict:
    """(4, context) work per second of two concurrent CPU-bound processes against one: the best speed-up
    n_process=2 can reach on this machine at this moment (below 2 on shared or hyper-threaded cores)."""
    ratios = []
    for r in range(ctx.repeats):
        ctx.log(f"CPU ceiling: 1 vs 2 concurrent processes, run {r + 1}/{ctx.repeats}")
        alone = run_worker("spin", iterations=iterations)["seconds"]
        both = max(run["seconds"] for run in run_workers_concurrently("spin", 2, iterations=iterations))
        ratios.append(2 * alone / both)
    return {"ratio": median(ratios), "runs": ratios}


def measure_cold_start(ctx: Context, segmenter: str) -> dict:
    """(5) fresh interpreter: import policy_nlp, load the shipped model, annotate one seed report."""
    runs = []
    for r in range(ctx.repeats):
        ctx.log(f"cold start, segmenter={segmenter}: run {r + 1}/{ctx.repeats}")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", COLD_START_CODE, segmenter, str(ctx.warmup)],
                              capture_output=True, text=True, env=subprocess_env(), cwd=str(ctx.work))
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"cold start ({segmenter}) failed:\n{proc.stderr[-4000:]}")
        runs.append({"wall": wall, **json.loads(proc.stdout.strip().splitlines()[-1])})
    return {key: median(run[key] for run in runs) for key in ("wall", "import", "load", "first_annotate")} | {
        "runs": runs}


def measure_streaming_rss(ctx: Context, segmenter: str = "char", passes: int = 5) -> dict:
    """(6) RSS after streaming 1x and `passes`x the corpus through one `annotate` call."""
    runs = []
    for r in range(ctx.repeats):
        ctx.log(f"streaming RSS, segmenter={segmenter}, {passes}x corpus: run {r + 1}/{ctx.repeats}")
        runs.append(run_worker("annotate", docs=str(ctx.docs), warmup=str(ctx.warmup), segmenter=segmenter,
                               passes=passes))
    growth = [(run["rss_after_pass_mb"][-1] - run["rss_after_pass_mb"][0]) / run["rss_after_pass_mb"][0]
              for run in runs]
    return {"rss_1x_mb": median(run["rss_after_pass_mb"][0] for run in runs),
            "rss_nx_mb": median(run["rss_after_pass_mb"][-1] for run in runs),
            "growth": median(growth), "passes": passes, "segmenter": segmenter,
            "per_pass_mb": runs[0]["rss_after_pass_mb"], "runs": runs}


# ======================================================================================================
# Report
# ======================================================================================================
def machine_info() -> list[tuple[str, str]]:
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    memory = "?"
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        commit = (commit + (" (modified)" if dirty else "")) or "?"
    except OSError:
        commit = "?"
    import policy_nlp

    return [("CPU", cpu), ("Cores", f"{cores} ({usable} usable)"), ("Memory", memory),
            ("OS", platform.platform()), ("Python", platform.python_version()), ("spaCy", version("spacy")),
            ("scikit-learn", version("scikit-learn")), ("spacy-pkuseg", version("spacy-pkuseg")),
            ("OpenCC", version("opencc")), ("policy_nlp", f"{policy_nlp.__version__}, commit {commit}")]


def fmt_cps(cps: float | None) -> str:
    return "—" if cps is None else f"{cps:,.0f} chars/s"


def verdict(ok: bool | None) -> str:
    return "SKIPPED" if ok is None else ("PASS" if ok else "MISS")


def render(args, machine, stats, res: dict, elapsed: float) -> list[str]:
    out = ["# policy_nlp throughput benchmark", ""]
    out += [f"`python benchmarks/throughput.py --chars {args.chars} --repeats {args.repeats}"
            + (" --skip-pkuseg" if args.skip_pkuseg else "") + "`; every figure is the median of "
            f"{args.repeats} run(s), each in a fresh subprocess. Total run time {elapsed / 60:.1f} min.", ""]
    out += ["## Machine", "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine] + [""]
    kinds = ", ".join(f"{v:,} {k}" for k, v in sorted(stats["kinds"].items()))
    out += ["## Corpus", "",
            f"{stats['reports']} synthetic reports, {stats['chars']:,} characters (report size min "
            f"{stats['min']:,} / median {stats['median']:,} / max {stats['max']:,}), built from "
            f"{stats['seeds']} seed reports ({stats['seed_chars']:,} characters) with random seed {CORPUS_SEED}; "
            f"{stats['traditional']} reports in Traditional script; {stats['units']:,} units ({kinds}).", ""]

    floor, pk, ch = res.get("floor"), res.get("annotate_pkuseg"), res["annotate_char"]
    out += ["## Throughput (single process)", "", "| # | Measurement | chars/s | vs floor | seconds | peak RSS |",
            "|---|---|---:|---:|---:|---:|"]
    if floor:
        out.append(f"| 1 | floor: `spacy.blank(\"zh\")` + pkuseg tokenizer | {floor['cps']:,.0f} | 1.00× | "
                   f"{floor['seconds']:.1f} | {median(r['peak_rss_mb'] for r in floor['runs']):.0f} MB |")
    else:
        out.append("| 1 | floor: `spacy.blank(\"zh\")` + pkuseg tokenizer | skipped | | | |")
    for num, name, r in ((2, "`annotate`, pkuseg", pk), (3, "`annotate`, char", ch)):
        if r is None:
            out.append(f"| {num} | {name} | skipped | | | |")
            continue
        ratio = f"{r['cps'] / floor['cps']:.2f}×" if floor else "—"
        out.append(f"| {num} | {name} | {r['cps']:,.0f} | {ratio} | {r['seconds']:.1f} | {r['peak_rss_mb']:.0f} MB |")
    out += ["", "Streaming `policy_nlp.annotate(iterable, nlp=policy_nlp.load(segmenter=...))` over the report "
            "files; peak RSS is `ru_maxrss` of that process after one pass over the corpus.", ""]

    out += ["## Multi-process batch (4)", "",
            "`annotate_corpus`: `policy_nlp.corpus.batch.annotate_corpus([corpus_dir], out.jsonl, nlp=..., n_process=N)`, "
            "the code behind `policy-nlp annotate --n-process N` (reads the report files, writes JSONL). "
            "`nlp.pipe`: reference, the same records and JSONL written straight from "
            "`nlp.pipe(texts, n_process=N)` on plain texts (note: with `as_tuples=True` spaCy 3.8 tokenizes in "
            "the parent process). Wall time of the call, pipeline loading excluded (a one-report warm-up runs "
            "before the workers fork). Identical JSONL: the outputs of all runs of a segmenter are "
            "byte-identical.", "",
            f"Ceiling on this machine: two concurrent CPU-bound Python processes got {res['cpu']['ratio']:.2f}× "
            "the work per second of one.", "",
            "| Segmenter | Method | n_process=1 | n_process=2 | speed-up |", "|---|---|---:|---:|---:|"]
    for seg in ("char", "pkuseg"):
        digests = set()
        for method in BATCH_METHODS:
            b = res.get(f"batch_{seg}_{method}")
            if b is None:
                out.append(f"| {seg} | {method} | {res.get(f'batch_{seg}_{method}_skipped', 'skipped')} | | |")
                continue
            digests |= set(b["digests"].values())
            out.append(f"| {seg} | {method} | {b['cps_1']:,.0f} chars/s ({b['seconds_1']:.1f} s) | "
                       f"{b['cps_2']:,.0f} chars/s ({b['seconds_2']:.1f} s) | {b['speedup']:.2f}× |")
        if digests:
            out.append(f"| {seg} | identical JSONL | {'yes' if len(digests) == 1 else 'NO'} | | |")
    out.append("")

    out += ["## Cold start (5)", "",
            f"Fresh interpreter: `import policy_nlp`, `policy_nlp.load(segmenter=...)`, `annotate()` of "
            f"`seeds/{args.warmup_name}` ({stats['warmup_chars']:,} characters).", "",
            "| Segmenter | wall | import | load | first annotate |", "|---|---:|---:|---:|---:|"]
    for seg in ("pkuseg", "char"):
        c = res.get(f"cold_{seg}")
        if c is None:
            out.append(f"| {seg} | skipped | | | |")
        else:
            out.append(f"| {seg} | {c['wall']:.2f} s | {c['import']:.2f} s | {c['load']:.2f} s | "
                       f"{c['first_annotate']:.2f} s |")
    out.append("")

    s = res["stream"]
    out += ["## Memory (6)", "",
            f"One `annotate()` call streaming the corpus {s['passes']}× (segmenter `{s['segmenter']}`): RSS after 1× "
            f"{s['rss_1x_mb']:.0f} MB, after {s['passes']}× {s['rss_nx_mb']:.0f} MB, growth {s['growth'] * 100:+.1f} %"
            f" (RSS after each pass, first run: {', '.join(f'{x:.0f}' for x in s['per_pass_mb'])} MB).", ""]

    a = res.get("agreement")
    out += ["## Agreement (7)", ""]
    if a is None:
        out += ["Skipped (needs the pkuseg run).", ""]
    else:
        diff = ", ".join(f"{k} {v}" for k, v in a["differences_by_label"].items()) or "none"
        out += [f"Units matched by (report, start, end): {a['units']:,} ({a['unaligned']} present in one run only). "
                f"Same label set with char and pkuseg: {a['share'] * 100:.2f} % of the {a['content_units']:,} "
                f"non-boilerplate units ({a['share_all'] * 100:.2f} % of all units). Label differences: {diff}.", ""]

    rows = []
    if floor and pk:
        ratio = pk["cps"] / floor["cps"]
        rows.append(("(2) `annotate` pkuseg vs floor", f"{ratio:.2f}×", f"≥ {TARGETS['pkuseg_ratio']}×",
                      ratio >= TARGETS["pkuseg_ratio"]))
    else:
        rows.append(("(2) `annotate` pkuseg vs floor", "—", f"≥ {TARGETS['pkuseg_ratio']}×", None))
    rows.append(("(3) `annotate` char", fmt_cps(ch["cps"]), f"≥ {TARGETS['char_cps']:,} chars/s",
                 ch["cps"] >= TARGETS["char_cps"]))
    for seg in ("char", "pkuseg"):
        b = res.get(f"batch_{seg}_annotate_corpus")
        measured = f"{b['speedup']:.2f}× (ceiling {res['cpu']['ratio']:.2f}×)" if b else "—"
        rows.append((f"(4) n_process=2 speed-up, `annotate_corpus`, {seg}", measured,
                     f"≥ {TARGETS['speedup']}×", None if b is None else b["speedup"] >= TARGETS["speedup"]))
    rows.append(("(7) label agreement char vs pkuseg", f"{a['share'] * 100:.2f} %" if a else "—",
                 f"≥ {TARGETS['agreement'] * 100:.0f} %", None if a is None else a["share"] >= TARGETS["agreement"]))
    rows.append((f"(6) streaming RSS growth 1×→{s['passes']}×", f"{s['growth'] * 100:+.1f} %",
                 f"≤ {TARGETS['rss_growth'] * 100:.0f} %", s["growth"] <= TARGETS["rss_growth"]))
    for key, r in res["ratio"].items():
        rows.append((f"(8) annotate / char tokenization, {key} texts", f"{r['ratio']:.2f}×",
                     f"≤ {TARGETS['tokenizer_ratio']:g}×", r["ratio"] <= TARGETS["tokenizer_ratio"]))
    out += render_ratio(res["ratio"])
    out += ["## Targets", "", "| Figure | Measured | Target | Result |", "|---|---:|---|---|"]
    out += [f"| {name} | {value} | {target} | {verdict(ok)} |" for name, value, target, ok in rows]
    out.append("")
    return out


# ======================================================================================================
# Main
# ======================================================================================================
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chars", type=int, default=2_000_000, help="corpus size in characters (default 2,000,000)")
    p.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    p.add_argument("--output", type=Path, help="also write the report (Markdown) to this file")
    p.add_argument("--skip-pkuseg", action="store_true", help="only the char segmenter (quick run)")
    p.add_argument("--time-budget", type=float, default=40.0, metavar="MINUTES",
                   help="skip a pkuseg n_process comparison that would end the run after this (default 40)")
    p.add_argument("--keep-corpus", type=Path, metavar="DIR", help="also copy the synthetic reports to DIR")
    p.add_argument("--ratio-only", action="store_true",
                   help="only the pipeline against spaCy's char tokenization of the same texts (8)")
    p.add_argument("--parts", action="store_true",
                   help="with (8), also time each part of the pipeline alone against the tokenization")
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--worker-args", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.repeats < 1 or args.chars < 1:
        p.error("--chars and --repeats must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.worker_args))))
        return 0
    if args.ratio_only:
        print("\n".join(render_ratio(measure_ratio(args.repeats, parts=args.parts))))
        return 0

    from policy_nlp.components import pkuseg_model

    pkuseg_dir = None
    if not args.skip_pkuseg:
        pkuseg_dir = pkuseg_model.default_model_dir()
        if not pkuseg_model.is_model_dir(pkuseg_dir):
            sys.exit(f"pkuseg default weights not found in {pkuseg_dir}: run `policy-nlp download` first, "
                     "or pass --skip-pkuseg")
    seeds = read_seeds(SEEDS_DIR)
    warmup_name, warmup_text = seeds[0]
    args.warmup_name = warmup_name
    with tempfile.TemporaryDirectory(prefix="policy-nlp-bench-") as tmp:
        work = Path(tmp)
        reports = build_corpus(seeds, args.chars)
        write_corpus(reports, work / "corpus")
        if args.keep_corpus:
            shutil.copytree(work / "corpus", args.keep_corpus, dirs_exist_ok=True)
        stats = corpus_stats(reports) | {"seeds": len(seeds), "seed_chars": sum(len(t) for _, t in seeds),
                                         "warmup_chars": len(warmup_text)}
        del reports
        ctx = Context(docs=work / "corpus", work=work, warmup=SEEDS_DIR / warmup_name, chars=stats["chars"],
                      repeats=args.repeats, pkuseg_model=str(pkuseg_dir) if pkuseg_dir else None)
        ctx.log(f"corpus: {stats['reports']} reports, {stats['chars']:,} characters")
        res: dict = {}
        if not args.skip_pkuseg:
            res["floor"] = measure_floor(ctx)
            res["annotate_pkuseg"] = measure_annotate(ctx, "pkuseg")
        res["annotate_char"] = measure_annotate(ctx, "char")
        if not args.skip_pkuseg:
            res["agreement"] = measure_agreement(res["annotate_pkuseg"]["labels"], res["annotate_char"]["labels"])
        res["cpu"] = measure_cpu_ceiling(ctx)
        for method in BATCH_METHODS:
            res[f"batch_char_{method}"] = measure_batch(ctx, "char", method)
        for seg in ("pkuseg", "char"):
            if seg == "char" or not args.skip_pkuseg:
                res[f"cold_{seg}"] = measure_cold_start(ctx, seg)
        res["stream"] = measure_streaming_rss(ctx, "char")
        res["ratio"] = measure_ratio(args.repeats, ctx.log, parts=args.parts)
        for method in BATCH_METHODS if not args.skip_pkuseg else ():
            # pkuseg batches last, and only while the run stays within --time-budget
            elapsed = time.perf_counter() - ctx.started
            estimate = args.repeats * res["annotate_pkuseg"]["seconds"] * BATCH_SCALING_GUESS
            if elapsed + estimate <= args.time_budget * 60:
                res[f"batch_pkuseg_{method}"] = measure_batch(ctx, "pkuseg", method)
            else:
                res[f"batch_pkuseg_{method}_skipped"] = (
                    f"skipped: ~{estimate / 60:.1f} min more would exceed --time-budget {args.time_budget:g} min")
                ctx.log(f"batch via {method}, pkuseg: " + res[f"batch_pkuseg_{method}_skipped"])
        elapsed = time.perf_counter() - ctx.started
    report = "\n".join(render(args, machine_info(), stats, res, elapsed))
    print(report)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
