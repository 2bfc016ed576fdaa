"""Per-label figures of the training recipe under given report rules: leave-one-document-out and held-out.

    OMP_NUM_THREADS=1 python training/rules_figures.py [--rules 3 --rules 4] [--rules-file FILE] [--output FILE.json]

For each rules version (default: the latest) and rules file of your own:
- leave-one-document-out over the fully labelled reports of the default training data
  (`cross_validate(scheme="lodo")`: the reports labelled only in part train in every fold, never scored);
- a model trained on all of the default data (in memory, the `policy-nlp train` recipe) scored on the two
  held-out reports (`data/heldout_units.jsonl`, never trained on), and the keyword list of those rules on
  the held-out gold units (`compare_baselines.keyword_predict`).
Prints a Markdown table of precision / recall / F1 per label for each; `--output` writes the figures as JSON.
`figures(make_nlp)` is the same measurement for any pipeline factory (used by `word_ngrams.py`).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from score_heldout import DEFAULT_DATA as HELDOUT, keyword_scores  # noqa: E402

from policy_nlp.learn.crossval import EstimatorCache, cross_validate  # noqa: E402
from policy_nlp.learn.evaluation import score_pipeline  # noqa: E402
from policy_nlp.learn.examples import corpus_examples  # noqa: E402
from policy_nlp.learn.labelled_data import read_corpus  # noqa: E402
from policy_nlp.pipeline import STRUCTURE, THEMES, create_pipeline  # noqa: E402
from policy_nlp.rules import LATEST_VERSION  # noqa: E402

KEEP = ("labels", "units", "per_label", "macro_f1", "micro_f1", "exact_set_accuracy")


def rules_pipeline(version: int | None = None, path: Path | None = None):
    """A blank `char` pipeline factory with the packaged rules of `version`, or the rules file `path`."""
    ref = ({"@misc": "policy_nlp.report_rules_file.v1", "path": str(path)} if path is not None
           else {"@misc": f"policy_nlp.report_rules.v{version}"})
    return lambda: create_pipeline("char", rules=ref)


def heldout_scores(nlp, corpus, heldout, n_jobs: int | None = None) -> dict:
    """Fit the themes component of `nlp` on all of `corpus` (thresholds tuned inside it) and score `heldout`."""
    themes = nlp.get_pipe(THEMES)
    examples = corpus_examples(nlp, corpus, nlp.get_pipe(STRUCTURE).rules, units_key=themes.units_key,
                               themes_key=themes.themes_key)
    themes.initialize(lambda: examples.values(), labels=corpus.labels,
                      fit=EstimatorCache(n_jobs).fitter(themes.make_estimator(corpus.labels)))
    overall = score_pipeline(nlp, heldout, corpus.labels)
    per_doc = overall["per_document"]
    return {**{k: overall[k] for k in KEEP}, "per_document": {d: {k: m[k] for k in KEEP} for d, m in per_doc.items()}}


def figures(make_nlp, say=print, n_jobs: int | None = None) -> dict:
    """LODO and held-out figures of the pipelines `make_nlp()` builds, and the keyword list of their rules
    (`n_jobs`: worker processes for the fits; 1 keeps them in this process)."""
    t0 = time.time()
    corpus = read_corpus()
    heldout = read_corpus([HELDOUT], known_labels=corpus.labels)
    lodo = cross_validate(corpus=corpus, nlp=make_nlp(), scheme="lodo", cache=EstimatorCache(n_jobs))
    say(f"LODO macro-F1 {lodo['macro_f1']:.3f} ({time.time() - t0:.0f} s)")
    nlp = make_nlp()
    held = heldout_scores(nlp, corpus, heldout, n_jobs)
    say(f"held-out macro-F1 {held['macro_f1']:.3f} ({time.time() - t0:.0f} s)")
    keyword = keyword_scores(HELDOUT, list(corpus.labels), nlp.get_pipe(STRUCTURE).rules)
    return {"lodo": {k: lodo[k] for k in KEEP}, "heldout": held,
            "keyword_heldout": {k: keyword[k] for k in KEEP}}


def table(rows: dict[str, dict]) -> str:
    """Markdown: one row per (name → metrics), P / R / F1 per label, macro and micro F1."""
    labels = list(next(iter(rows.values()))["labels"])
    lines = ["| system | " + " | ".join(f"{lb} P / R / F1" for lb in labels) + " | macro-F1 | micro-F1 |",
             "|---|" + "---:|" * (len(labels) + 2)]
    for name, m in rows.items():
        cells = []
        for lb in labels:
            p = m["per_label"][lb]
            cells.append(" / ".join("–" if p[k] is None else f"{p[k]:.3f}" for k in ("precision", "recall", "f1")))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['macro_f1']:.3f} | {m['micro_f1']:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, action="append", help="packaged rules version (repeatable)")
    parser.add_argument("--rules-file", type=Path, action="append", default=[], help="a rules file (repeatable)")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    runs = {f"v{v}": rules_pipeline(v) for v in args.rules or ([] if args.rules_file else [LATEST_VERSION])}
    runs.update({path.stem: rules_pipeline(path=path) for path in args.rules_file})
    results = {}
    for name, make_nlp in runs.items():
        say(f"rules {name}")
        results[name] = figures(make_nlp, say=say)
    for part, title in (("lodo", "leave-one-document-out"), ("heldout", "held-out reports")):
        rows = {f"policy_nlp, rules {v}": r[part] for v, r in results.items()}
        if part == "heldout":
            rows.update({f"keyword list, rules {v}": r["keyword_heldout"] for v, r in results.items()})
        print(f"\n{title}\n\n{table(rows)}")
    if args.output:
        args.output.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
