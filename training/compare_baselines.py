"""Compare policy_nlp with spaCy's own textcat_multilabel and a keyword baseline on the seed reports.

    python training/compare_baselines.py [--quick] [--output training/RESULTS.md] [--jobs 2]

Protocol (the same for every system)
------------------------------------
Leave-one-document-out over the documents of the seed corpus (`training/data/seed_units.jsonl`, the 5 seed
reports of `seeds/`): each document is scored by a system built from the other documents only. Every gold
unit of the held-out document is scored -- boilerplate units included, so every system is scored on the
same units -- and the scores are pooled over the folds with `policy_nlp.evaluation.compute_metrics`
(per-label F1, macro-F1, micro-F1, exact-set accuracy).

Systems
-------
1. `policy_nlp`: `policy_nlp.evaluation.cross_validate(corpus=corpus)` as is (its own segmentation aligned
   to the gold units by `align_predictions`; per-label thresholds tuned inside the training documents).
2. spaCy `textcat_multilabel`, two architectures: `spacy.TextCatBOW.v3` (the settings `spacy init config
   --pipeline textcat_multilabel --optimize efficiency` writes: unigrams, length 262144) and the factory
   default `spacy.TextCatEnsemble.v2` with its default tok2vec (MultiHashEmbed width 64 +
   MaxoutWindowEncoder depth 2, plus the same BOW linear model). Pipeline: `spacy.blank("zh")` with its
   default character segmenter (no pkuseg weights needed). Training settings are those of the generated
   `spacy train` config: Adam.v1 (learn_rate 0.001, L2 0.01 as weight decay, grad_clip 1.0, no parameter
   averaging), dropout 0.1, `spacy.batch_by_words.v1` batches (tolerance 0.2) whose size follows
   `spacy.util.compounding(100, 1000, 1.001)` across the whole run, training examples shuffled every
   epoch, `spacy.util.fix_random_seed(0)` before every training run. Training examples: the
   non-boilerplate gold units of the training documents, unit text -> cats 1.0/0.0 per label.
   Prediction: a label is given when its score is >= 0.5 (the component's default threshold); the
   boilerplate units of the held-out document are classified from their text like any other unit.
   Number of epochs: inside each fold one of the four training documents is held out as a development
   document (the one following the test document in corpus order, cyclically; never the test document).
   A model trained on the other three is scored after every epoch on the development document's
   non-boilerplate units (macro-F1 at threshold 0.5; ties -> higher micro-F1, then fewer epochs), for at
   most MAX_EPOCHS = 30 epochs, stopping early after PATIENCE = 8 epochs without improvement (the
   epoch-level analogue of `spacy train`'s patience; its step-based defaults -- 20000 steps, patience 1600
   -- are far beyond what ~350 short units need). A fresh model (same seed) is then trained on all four
   training documents for the chosen number of epochs and scores the test document.
3. `keyword`: no training. Topic labels (enforcement, dispute_resolution, business_environment) when the
   unit's normalised text contains a term of `policy_nlp.features.LEXICON[label]`; `plans` /
   `shortcomings` when the unit's normalised text or a heading of its section path (computed from the
   gold headings with `policy_nlp.features.build_contexts`) matches `PART_CUES[label]`; boilerplate units
   get nothing.

All systems see the same text: the length-preserving normalisation of `policy_nlp.normalize.normalize`
(Traditional -> Simplified, full-width ASCII folded) -- one seed report is in Traditional characters, and
the textcats and the keyword lists would otherwise meet a script they were not trained or written for.

`--quick` trains the textcats for at most 2 epochs (a smoke run). The spaCy folds run in `--jobs` worker
processes (default 2); results do not depend on the number of workers. BLAS/OpenMP are limited to one
thread per process (unless OMP_NUM_THREADS etc. are set). A full run takes about 3 minutes on 2 CPU cores.
"""
from __future__ import annotations

import os

# One BLAS/OpenMP thread per process, set before numpy is imported (also inherited by the spawned workers).
# The models here are tiny; with a second thread per process and another busy process on the machine,
# OpenBLAS/OpenMP spin-waiting made `cross_validate` over 10x slower in our runs.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from multiprocessing import get_context  # noqa: E402
from pathlib import Path  # noqa: E402

MAX_EPOCHS = 30
PATIENCE = 8
QUICK_MAX_EPOCHS = 2
THRESHOLD = 0.5
SEED = 0
DROPOUT = 0.1
BATCH_START, BATCH_STOP, BATCH_COMPOUND, BATCH_TOLERANCE = 100, 1000, 1.001, 0.2
OPTIMIZER = {
    "@optimizers": "Adam.v1", "beta1": 0.9, "beta2": 0.999, "L2_is_weight_decay": True, "L2": 0.01,
    "grad_clip": 1.0, "use_averages": False, "eps": 1e-08, "learn_rate": 0.001,
}
BOW_MODEL = {
    "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "length": 262144, "ngram_size": 1,
    "no_output_layer": False, "nO": None,
}
ARCHITECTURES = {"spacy_bow": "spacy.TextCatBOW.v3", "spacy_ensemble": "spacy.TextCatEnsemble.v2"}
SYSTEM_NAMES = {
    "policy_nlp": "policy_nlp (cross_validate)",
    "spacy_bow": "spaCy textcat_multilabel, TextCatBOW.v3",
    "spacy_ensemble": "spaCy textcat_multilabel, TextCatEnsemble.v2",
    "keyword": "keyword baseline (LEXICON + PART_CUES)",
}


# --------------------------------------------------------------------------------------------------------
# spaCy textcat (runs in worker processes: plain data in, plain data out)
# --------------------------------------------------------------------------------------------------------
def _limit_threads() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass


def _new_textcat(arch: str, labels: list[str]):
    import spacy
    from spacy.util import fix_random_seed

    fix_random_seed(SEED)
    nlp = spacy.blank("zh")  # character segmenter, the default of blank zh
    config = {"threshold": THRESHOLD}
    if arch == "spacy_bow":
        config["model"] = BOW_MODEL
    textcat = nlp.add_pipe("textcat_multilabel", config=config)  # default model: TextCatEnsemble.v2
    for label in labels:
        textcat.add_label(label)
    return nlp


def _examples(nlp, data: list[tuple[str, list[str]]], labels: list[str]):
    from spacy.training import Example

    return [Example.from_dict(nlp.make_doc(text), {"cats": {lb: float(lb in gold) for lb in labels}})
            for text, gold in data]


def _predict(nlp, texts: list[str], labels: list[str]) -> list[list[str]]:
    return [[lb for lb in labels if doc.cats.get(lb, 0.0) >= THRESHOLD] for doc in nlp.pipe(texts)]


def _train(arch: str, train: list[tuple[str, list[str]]], labels: list[str], epochs: int,
           dev: list[tuple[str, list[str]]] | None = None, patience: int = PATIENCE):
    """Train for `epochs` epochs (with `dev`: stop after `patience` epochs without improvement).
    Returns the pipeline and, with `dev`, the per-epoch dev scores."""
    import random

    from spacy.training.batchers import minibatch_by_words
    from spacy.util import compounding, registry

    from policy_nlp.evaluation import compute_metrics

    nlp = _new_textcat(arch, labels)
    examples = _examples(nlp, train, labels)
    optimizer = registry.resolve({"optimizer": OPTIMIZER})["optimizer"]
    nlp.initialize(lambda: examples, sgd=optimizer)
    sizes = compounding(BATCH_START, BATCH_STOP, BATCH_COMPOUND)  # one schedule over the whole run
    history = []
    best_key = None
    since_best = 0
    for epoch in range(1, epochs + 1):
        random.shuffle(examples)
        losses: dict = {}
        for batch in minibatch_by_words(examples, size=sizes, tolerance=BATCH_TOLERANCE,
                                        discard_oversize=False):
            nlp.update(batch, drop=DROPOUT, sgd=optimizer, losses=losses)
            optimizer.step_schedules()
        if dev is None:
            continue
        m = compute_metrics([g for _, g in dev], _predict(nlp, [t for t, _ in dev], labels), labels)
        history.append({"epoch": epoch, "macro_f1": m["macro_f1"], "micro_f1": m["micro_f1"],
                        "loss": float(losses.get("textcat_multilabel", 0.0))})
        key = (round(m["macro_f1"], 9), round(m["micro_f1"], 9))
        if best_key is None or key > best_key:
            best_key, since_best = key, 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    return nlp, history


def run_textcat_fold(task: dict) -> dict:
    """One (architecture, held-out document) fold: choose epochs on the dev document, retrain on all
    four training documents, predict every gold unit of the held-out document."""
    _limit_threads()
    t0 = time.time()
    arch, labels = task["arch"], task["labels"]
    _, history = _train(arch, task["inner_train"], labels, task["max_epochs"], dev=task["dev"])
    best = max(history, key=lambda h: (round(h["macro_f1"], 9), round(h["micro_f1"], 9), -h["epoch"]))
    nlp, _ = _train(arch, task["train"], labels, best["epoch"])
    pred = _predict(nlp, task["test_texts"], labels)
    return {"arch": arch, "doc": task["doc"], "dev_doc": task["dev_doc"], "epochs": best["epoch"],
            "epochs_tried": len(history), "dev_macro_f1": best["macro_f1"], "pred": pred,
            "seconds": time.time() - t0}


# --------------------------------------------------------------------------------------------------------
# keyword baseline
# --------------------------------------------------------------------------------------------------------
def keyword_predict(corpus, doc: str, norm_text: str, labels: list[str]) -> list[list[str]]:
    from policy_nlp.features import LEXICON, PART_CUES, build_contexts

    units = corpus.units_of(doc)
    contexts = build_contexts(norm_text, [(u.start, u.end, u.kind) for u in units])
    out = []
    for unit, ctx in zip(units, contexts):
        if unit.kind == "boilerplate":
            out.append([])
            continue
        text = norm_text[unit.start:unit.end]
        got = []
        for label in labels:
            if label in PART_CUES:
                cue = PART_CUES[label]
                if cue.search(text) or any(cue.search(h) for h in ctx.section):
                    got.append(label)
            elif label in LEXICON and any(term in text for term in LEXICON[label]):
                got.append(label)
        out.append(got)
    return out


# --------------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------------
def _row(metrics: dict, labels: list[str]) -> list[float]:
    return ([metrics["per_label"][lb]["f1"] for lb in labels]
            + [metrics["macro_f1"], metrics["micro_f1"], metrics["exact_set_accuracy"]])


def _columns(labels: list[str]) -> list[str]:
    return [f"{lb} F1" for lb in labels] + ["macro-F1", "micro-F1", "exact-set acc."]


def _margins(results: dict) -> list[tuple[str, str, dict]]:
    ours = results["policy_nlp"]
    spacy_keys = [k for k in ARCHITECTURES if k in results]
    out = []
    if spacy_keys:
        best = max(spacy_keys, key=lambda k: (results[k]["macro_f1"], results[k]["micro_f1"]))
        out.append(("the better spaCy textcat", SYSTEM_NAMES[best], results[best]))
    if "keyword" in results:
        out.append(("the keyword baseline", SYSTEM_NAMES["keyword"], results["keyword"]))
    return [(what, name, {k: ours[k] - m[k] for k in ("macro_f1", "micro_f1", "exact_set_accuracy")})
            for what, name, m in out]


def text_table(results: dict, labels: list[str]) -> str:
    cols = _columns(labels)
    width = max(len(n) for n in SYSTEM_NAMES.values()) + 2
    widths = [max(len(c), 6) + 2 for c in cols]
    lines = ["system".ljust(width) + "".join(c.rjust(w) for c, w in zip(cols, widths))]
    for key, metrics in results.items():
        lines.append(SYSTEM_NAMES[key].ljust(width)
                     + "".join(f"{v:.3f}".rjust(w) for v, w in zip(_row(metrics, labels), widths)))
    lines.append("")
    for what, name, d in _margins(results):
        lines.append(f"policy_nlp margin over {what} ({name}): macro-F1 {d['macro_f1']:+.3f}, "
                     f"micro-F1 {d['micro_f1']:+.3f}, exact-set accuracy {d['exact_set_accuracy']:+.3f}")
    return "\n".join(lines)


def markdown_report(results: dict, labels: list[str], corpus, folds: list[dict], info: dict) -> str:
    cols = _columns(labels)
    n_docs, n_units = len(corpus.documents), len(corpus.units)
    n_boiler = sum(u.kind == "boilerplate" for u in corpus.units)
    lines = [
        "# policy_nlp vs. baselines on the seed reports",
        "",
        f"Generated by `python training/compare_baselines.py{' --quick' if info['quick'] else ''} --output "
        f"{info['output']}` on {info['date']} (spaCy {info['spacy']}, thinc {info['thinc']}, "
        f"scikit-learn {info['sklearn']}, policy_nlp {info['policy_nlp']}, Python {info['python']}); "
        f"run time {info['seconds']:.0f} s.",
        "",
        "**Protocol.** Leave-one-document-out on the "
        f"{n_docs} seed reports (`training/data/seed_units.jsonl`, {n_units} hand-labelled units, "
        f"{n_boiler} of them boilerplate): each report is scored by a system built from the other "
        f"{n_docs - 1} only. All {n_units} gold units are scored (boilerplate included) with "
        "`policy_nlp.evaluation.compute_metrics`, pooled over the folds. All systems read the text "
        "normalised by `policy_nlp.normalize` (Traditional → Simplified, full-width folded).",
        "",
        "- **policy_nlp**: `policy_nlp.evaluation.cross_validate(corpus=corpus)`; per-label thresholds tuned "
        "by inner leave-one-document-out on the training reports only.",
        "- **spaCy textcat_multilabel**: `spacy.blank(\"zh\")` (character segmenter) + `textcat_multilabel`, "
        "either `spacy.TextCatBOW.v3` (the `init config --optimize efficiency` model) or the factory default "
        "`spacy.TextCatEnsemble.v2` with its default tok2vec. `spacy train` defaults: Adam (lr 0.001, L2 0.01, "
        "grad clip 1.0), dropout 0.1, batch_by_words with `compounding(100, 1000, 1.001)`, seed 0. Trained on "
        "the non-boilerplate units of the training reports; threshold 0.5 (spaCy's default); boilerplate "
        "units of the test report are classified from their text like the others.",
        f"  Epochs: inside each fold one training report (the next one after the test report, cyclically) is "
        f"a development set; a model trained on the other three is scored on it after every epoch (macro-F1 at "
        f"0.5), up to {info['max_epochs']} epochs with a patience of {info['patience']} epochs; a fresh model "
        f"is then trained on all four training reports for the best epoch count.",
        "- **keyword**: no training. Topic label if the unit contains a term of `policy_nlp.features.LEXICON`; "
        "`plans` / `shortcomings` if the unit or a heading of its gold section path matches "
        "`PART_CUES`; boilerplate units get nothing.",
        "",
        "| system | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for key, metrics in results.items():
        cells = [f"{v:.3f}" for v in _row(metrics, labels)]
        if key == "policy_nlp":
            cells = [f"**{c}**" for c in cells]
        lines.append(f"| {SYSTEM_NAMES[key]} | " + " | ".join(cells) + " |")
    lines.append("")
    for what, name, d in _margins(results):
        lines.append(f"- policy_nlp margin over {what} ({name}): macro-F1 **{d['macro_f1']:+.3f}**, "
                     f"micro-F1 {d['micro_f1']:+.3f}, exact-set accuracy {d['exact_set_accuracy']:+.3f}")
    support = {lb: results["policy_nlp"]["per_label"][lb]["support"] for lb in labels}
    lines += ["", "Gold support (units per label): " + ", ".join(f"{lb} {n}" for lb, n in support.items()) + "."]
    if folds:
        lines += ["", "Epochs chosen for the textcats (development report → epochs; dev macro-F1 at that epoch; "
                  "epochs run before patience stopped the search):", "",
                  "| test report | dev report | " + " | ".join(SYSTEM_NAMES[a] for a in ARCHITECTURES) + " |",
                  "|---|---|" + "---|" * len(ARCHITECTURES)]
        by = {(f["arch"], f["doc"]): f for f in folds}
        for doc in corpus.documents:
            cells = []
            dev_doc = ""
            for arch in ARCHITECTURES:
                f = by.get((arch, doc))
                if f is None:
                    cells.append("–")
                    continue
                dev_doc = f["dev_doc"]
                cells.append(f"{f['epochs']} (dev {f['dev_macro_f1']:.3f}; {f['epochs_tried']} run)")
            lines.append(f"| {doc} | {dev_doc} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"at most {QUICK_MAX_EPOCHS} textcat epochs")
    parser.add_argument("--output", help="also write the table as Markdown to this file")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the spaCy folds")
    args = parser.parse_args(argv)
    t_start = time.time()

    import sklearn
    import spacy
    import thinc

    import policy_nlp
    from policy_nlp.evaluation import compute_metrics, cross_validate
    from policy_nlp.labelled_data import read_corpus
    from policy_nlp.normalize import normalize

    def say(msg: str) -> None:
        print(f"[{time.time() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    corpus = read_corpus()
    labels = list(corpus.labels)
    docs = list(corpus.documents)
    norm = {d: normalize(t).text for d, t in corpus.documents.items()}
    say(f"{len(corpus.units)} units in {len(docs)} documents; labels: {', '.join(labels)}")

    def unit_data(doc: str, content_only: bool = True) -> list[tuple[str, list[str]]]:
        return [(norm[doc][u.start:u.end], list(u.labels)) for u in corpus.units_of(doc)
                if not (content_only and u.kind == "boilerplate")]

    max_epochs = QUICK_MAX_EPOCHS if args.quick else MAX_EPOCHS
    tasks = []
    for i, doc in enumerate(docs):
        dev_doc = docs[(i + 1) % len(docs)]
        train_docs = [d for d in docs if d != doc]
        inner_docs = [d for d in train_docs if d != dev_doc]
        for arch in ARCHITECTURES:
            tasks.append({
                "arch": arch, "doc": doc, "dev_doc": dev_doc, "labels": labels, "max_epochs": max_epochs,
                "inner_train": [x for d in inner_docs for x in unit_data(d)],
                "dev": unit_data(dev_doc),
                "train": [x for d in train_docs for x in unit_data(d)],
                "test_texts": [t for t, _ in unit_data(doc, content_only=False)],
            })
    # Heaviest folds first so the two workers finish together.
    tasks.sort(key=lambda t: (t["arch"] != "spacy_ensemble", -len(t["train"])))

    gold_all = [list(u.labels) for d in docs for u in corpus.units_of(d)]
    results: dict[str, dict] = {}
    folds: list[dict] = []
    say("policy_nlp: cross_validate")
    results["policy_nlp"] = cross_validate(corpus=corpus, progress=say)

    with ProcessPoolExecutor(max_workers=max(args.jobs, 1), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_textcat_fold, t) for t in tasks]
        say(f"{len(tasks)} spaCy textcat folds submitted to {args.jobs} worker(s), max {max_epochs} epochs")
        for fut in futures:
            res = fut.result()
            folds.append(res)
            say(f"{res['arch']} fold without {res['doc']}: {res['epochs']} epochs "
                f"(dev {res['dev_doc']} macro-F1 {res['dev_macro_f1']:.3f}, {res['epochs_tried']} tried), "
                f"{res['seconds']:.0f} s")

    by = {(f["arch"], f["doc"]): f["pred"] for f in folds}
    for arch in ARCHITECTURES:
        pred_all = [p for d in docs for p in by[(arch, d)]]
        results[arch] = compute_metrics(gold_all, pred_all, labels)

    kw_pred = [p for d in docs for p in keyword_predict(corpus, d, norm[d], labels)]
    results["keyword"] = compute_metrics(gold_all, kw_pred, labels)
    assert all(m["units"] == len(corpus.units) for m in results.values())

    seconds = time.time() - t_start
    table = text_table(results, labels)
    print(f"Leave-one-document-out on {len(docs)} seed reports, {len(corpus.units)} units, pooled"
          f"{' (--quick)' if args.quick else ''}:")
    print(table)
    print(f"\nrun time {seconds:.0f} s")
    if args.output:
        info = {
            "quick": args.quick,
            "output": Path(args.output).name if Path(args.output).is_absolute() else args.output, "date": _dt.date.today().isoformat(),
            "spacy": spacy.__version__, "thinc": thinc.__version__, "sklearn": sklearn.__version__,
            "policy_nlp": policy_nlp.__version__, "python": ".".join(map(str, sys.version_info[:3])),
            "seconds": seconds, "max_epochs": max_epochs, "patience": PATIENCE,
        }
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown_report(results, labels, corpus, folds, info), encoding="utf-8")
        say(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
