"""Compare policy_nlp with spaCy's own textcat_multilabel and a keyword baseline on the labelled reports.

    python training/compare_baselines.py [--quick] [--max-epochs N] [--output training/RESULTS.md] [--jobs 2]

Protocols (the same for every system)
-------------------------------------
(a) `lodo`: leave-one-document-out over the fully labelled reports of the default training data (the five
    seed reports and the two labelled work reports): each is scored by a system built from all the other
    training data; the reports labelled only in part (units picked by `suggest`) train in every fold and are
    never scored -- the folds of `policy_nlp.learn.crossval.cross_validate(scheme="lodo")`.
(b) `heldout`: systems built from all of the default training data, scored on the two held-out reports
    (`training/data/heldout_units.jsonl`, never trained on).
Every gold unit of a scored report is scored -- boilerplate units included, so every system is scored on
the same units -- and the scores are pooled over the scored reports with
`policy_nlp.model.metrics.compute_metrics` (per-label precision/recall/F1, macro-F1, micro-F1, exact-set
accuracy).

Systems
-------
1. `policy_nlp`: the training recipe of `policy-nlp train` on a `policy_nlp.create_pipeline("char",
   hyperparameters=...)` pipeline (its own segmentation aligned to the gold units by
   the themes scorer's `align_spans`; per-label thresholds tuned inside the training documents). In (a)
   `policy_nlp.learn.crossval.cross_validate(corpus=..., nlp=..., scheme="lodo")`; in (b) the themes
   component initialised on all training Examples (as `train` does) and `learn.evaluation.score_pipeline` (`nlp.evaluate`)
   on the held-out reports.
   Ablation, in both protocols: feature blocks `["text"]` (text n-grams only; the part labels then see
   only text too), `["text", "content"]` (+ term lists and content cues), and the default (all four blocks:
   + section and position structure).
2. spaCy `textcat_multilabel`, two architectures: `spacy.TextCatBOW.v3` (the settings `spacy init config
   --pipeline textcat_multilabel --optimize efficiency` writes, except `ngram_size: 3`: character 1-3-grams,
   the n-gram range of policy_nlp's text block) and the factory default `spacy.TextCatEnsemble.v2` with its
   default tok2vec (MultiHashEmbed width 64 + MaxoutWindowEncoder depth 2) and the same BOW linear model
   (`ngram_size: 3`). Pipeline: `spacy.blank("zh")` with its default character segmenter (one token per
   character, so n-grams are character n-grams; no pkuseg weights needed). Training settings are those of
   the generated `spacy train` config: Adam.v1 (learn_rate 0.001, L2 0.01 as weight decay, grad_clip 1.0, no
   parameter averaging), dropout 0.1, `spacy.batch_by_words.v1` batches (tolerance 0.2) whose size follows
   `spacy.util.compounding(100, 1000, 1.001)` across the whole run, training examples shuffled every epoch,
   `spacy.util.fix_random_seed(0)` before every training run. Training examples: the non-boilerplate gold
   units of the training documents (all labelled units of the partly labelled ones), unit text -> cats
   1.0/0.0 per label. Prediction: a label is given when
   its score is >= 0.5 (the component's default threshold); the boilerplate units of a scored report are
   classified from their text like any other unit.
   Number of epochs: one fully labelled training document is held out as a development document (the
   first fully labelled training document after the scored documents in corpus order, cyclically). A model trained on the other
   training documents is scored after every epoch on the development document's non-boilerplate units
   (macro-F1 at threshold 0.5; ties -> higher micro-F1, then fewer epochs), for at most MAX_EPOCHS = 30
   epochs, stopping early after PATIENCE = 8 epochs without improvement (the epoch-level analogue of
   `spacy train`'s patience; its step-based defaults -- 20000 steps, patience 1600 -- are far beyond what a
   few hundred short units need). A fresh model (same seed) is then trained on all training documents for
   the chosen number of epochs and scores the held-out documents.
3. `keyword`: no training. Topic labels (enforcement, dispute_resolution, business_environment) when the
   unit's normalised text contains a term of `default_rules().lexicon[label]` (the rules module)
   (non-label lists of the lexicon, such as `rectification`, are not used); `plans` / `shortcomings` when
   the unit's normalised text or a heading of its section path matches `rules.part_cues[label]` (the
   section path is computed from the gold units with `components.units.unit_table`); boilerplate units get
   nothing.

All systems see the same text: the length-preserving normalisation of
`policy_nlp.components.normalize.normalize` (Traditional -> Simplified, full-width ASCII folded) -- one
seed report is in Traditional characters, and the textcats and the keyword lists would otherwise meet a
script they were not trained or written for.

`--quick` trains the textcats for at most 2 epochs (a smoke run); `--max-epochs N` caps them at N (default
MAX_EPOCHS); `--no-ablation` runs policy_nlp with its default blocks only; `--architectures spacy_bow` trains
only the BOW textcat. The spaCy folds and the policy_nlp runs
are spread over `--jobs` worker processes (default 2); results do not depend on the number of workers.
BLAS/OpenMP are limited to one thread per process (unless OMP_NUM_THREADS etc. are set).
`--output FILE` writes the tables into FILE between the markers `<!-- baselines:start -->` and
`<!-- baselines:end -->` (appended when the markers are absent; the rest of FILE is kept). The file is
only written after every system has been scored. `--save-raw FILE` keeps the scores and the textcat folds
as JSON; `--load-raw FILE` renders the tables (and `--output`) from such a file without training again.
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
import re  # noqa: E402
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
NGRAM_SIZE = 3  # character 1-3-grams, as policy_nlp's text block (`text_ngrams: [1, 3]`)
BATCH_START, BATCH_STOP, BATCH_COMPOUND, BATCH_TOLERANCE = 100, 1000, 1.001, 0.2
OPTIMIZER = {
    "@optimizers": "Adam.v1", "beta1": 0.9, "beta2": 0.999, "L2_is_weight_decay": True, "L2": 0.01,
    "grad_clip": 1.0, "use_averages": False, "eps": 1e-08, "learn_rate": 0.001,
}
BOW_MODEL = {
    "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "length": 262144,
    "ngram_size": NGRAM_SIZE, "no_output_layer": False, "nO": None,
}
# The factory default of textcat_multilabel (spaCy 3.8), with the linear part's n-gram size raised.
ENSEMBLE_MODEL = {
    "@architectures": "spacy.TextCatEnsemble.v2",
    "tok2vec": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": 64, "rows": [2000, 2000, 500, 1000, 500],
                  "attrs": ["NORM", "LOWER", "PREFIX", "SUFFIX", "SHAPE"], "include_static_vectors": False},
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 64, "window_size": 1,
                   "maxout_pieces": 3, "depth": 2},
    },
    "linear_model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "length": 262144,
                     "ngram_size": NGRAM_SIZE, "no_output_layer": False},
}
ARCHITECTURES = {"spacy_bow": BOW_MODEL, "spacy_ensemble": ENSEMBLE_MODEL}
# policy_nlp feature-block ablation: system key -> hyperparameters over themes.DEFAULT_HYPERPARAMETERS.
ABLATION = {
    "policy_nlp_text": {"blocks": ["text"]},
    "policy_nlp_text_content": {"blocks": ["text", "content"]},
    "policy_nlp": {},
}
SYSTEM_NAMES = {
    "policy_nlp": "policy_nlp",
    "spacy_bow": "spaCy textcat_multilabel, TextCatBOW.v3 (1-3-grams)",
    "spacy_ensemble": "spaCy textcat_multilabel, TextCatEnsemble.v2 (1-3-grams)",
    "keyword": "keyword list (lexicon + part cues of the default rules)",
}
ABLATION_NAMES = {
    "policy_nlp_text": "text n-grams only (`blocks: [text]`)",
    "policy_nlp_text_content": "+ term lists / content cues (`[text, content]`)",
    "policy_nlp": "+ structure (default: all four blocks)",
}
MAIN_SYSTEMS = ("policy_nlp", "spacy_bow", "spacy_ensemble", "keyword")
PROTOCOLS = {
    "lodo": "(a) leave-one-document-out over the seven fully labelled reports",
    "heldout": "(b) trained on all the training data, scored on the two held-out reports",
}
HELDOUT_FILE = "training/data/heldout_units.jsonl"
START_MARK, END_MARK = "<!-- baselines:start -->", "<!-- baselines:end -->"
ROOT = Path(__file__).resolve().parent.parent


def _limit_threads() -> None:
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass


def default_rules():
    """The shipped report rules."""
    from policy_nlp.rules import default_rules as rules

    return rules()


def read_corpora():
    """(the default training data, the held-out reports) as `LabelledCorpus` objects."""
    from policy_nlp.learn.labelled_data import read_corpus

    everything = read_corpus()
    return everything, read_corpus([ROOT / HELDOUT_FILE], known_labels=everything.labels)


# --------------------------------------------------------------------------------------------------------
# policy_nlp (runs in worker processes)
# --------------------------------------------------------------------------------------------------------
def train_and_score(train_corpus, test_corpus, hyperparameters: dict, labels: list[str]) -> dict:
    """Fit the themes component on `train_corpus` as `policy-nlp train` does (thresholds by grouped
    cross-validation on the training documents) and score every gold unit of `test_corpus`."""
    from policy_nlp import create_pipeline
    from policy_nlp.learn.crossval import EstimatorCache
    from policy_nlp.learn.evaluation import score_pipeline
    from policy_nlp.learn.examples import corpus_examples
    from policy_nlp.pipeline import STRUCTURE, THEMES

    nlp = create_pipeline("char", hyperparameters=hyperparameters)
    themes = nlp.get_pipe(THEMES)
    examples = corpus_examples(nlp, train_corpus, nlp.get_pipe(STRUCTURE).rules, units_key=themes.units_key,
                               themes_key=themes.themes_key)
    themes.initialize(lambda: examples.values(), labels=train_corpus.labels, **EstimatorCache().fit_params())
    return score_pipeline(nlp, test_corpus, labels)


def run_policy_nlp(task: dict) -> dict:
    _limit_threads()
    t0 = time.time()
    from policy_nlp import create_pipeline
    from policy_nlp.learn.crossval import cross_validate

    everything, heldout = read_corpora()
    labels = task["labels"]
    if task["protocol"] == "lodo":
        m = cross_validate(corpus=everything, nlp=create_pipeline("char", hyperparameters=task["hyperparameters"]),
                           scheme="lodo")
    else:
        m = train_and_score(everything, heldout, task["hyperparameters"], labels)
    keep = ("labels", "units", "per_label", "macro_f1", "micro_f1", "exact_set_accuracy", "confused_pairs")
    return {"kind": "policy_nlp", "protocol": task["protocol"], "system": task["system"],
            "metrics": {k: m[k] for k in keep}, "seconds": time.time() - t0}


# --------------------------------------------------------------------------------------------------------
# spaCy textcat (runs in worker processes: plain data in, plain data out)
# --------------------------------------------------------------------------------------------------------
def _new_textcat(arch: str, labels: list[str]):
    import spacy
    from spacy.util import fix_random_seed

    fix_random_seed(SEED)
    nlp = spacy.blank("zh")  # character segmenter, the default of blank zh
    textcat = nlp.add_pipe("textcat_multilabel", config={"threshold": THRESHOLD, "model": ARCHITECTURES[arch]})
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

    from policy_nlp.model.metrics import compute_metrics

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
    """One (protocol, architecture, held-out documents) fold: choose epochs on the dev document, retrain on
    all training documents, predict every gold unit of the held-out documents."""
    _limit_threads()
    t0 = time.time()
    arch, labels = task["arch"], task["labels"]
    _, history = _train(arch, task["inner_train"], labels, task["max_epochs"], dev=task["dev"])
    best = max(history, key=lambda h: (round(h["macro_f1"], 9), round(h["micro_f1"], 9), -h["epoch"]))
    nlp, _ = _train(arch, task["train"], labels, best["epoch"])
    pred = _predict(nlp, task["test_texts"], labels)
    return {"kind": "textcat", "protocol": task["protocol"], "arch": arch, "test_docs": task["test_docs"],
            "dev_doc": task["dev_doc"], "epochs": best["epoch"], "epochs_tried": len(history),
            "dev_macro_f1": best["macro_f1"], "pred": pred, "seconds": time.time() - t0}


def run_task(task: dict) -> dict:
    return run_policy_nlp(task) if task["kind"] == "policy_nlp" else run_textcat_fold(task)


def dev_document(docs: list[str], test_docs: list[str]) -> str:
    """The first document after the last test document in corpus order (cyclically) that is not tested."""
    last = max(docs.index(d) for d in test_docs)
    for k in range(1, len(docs) + 1):
        cand = docs[(last + k) % len(docs)]
        if cand not in test_docs:
            return cand
    raise ValueError("no training document left for development")


# --------------------------------------------------------------------------------------------------------
# keyword baseline
# --------------------------------------------------------------------------------------------------------
def keyword_predict(units, norm_text: str, labels: list[str], rules) -> list[list[str]]:
    """Term-list / part-cue labels of gold `units` (`UnitRecord`s of one report, in document order)."""
    from policy_nlp.components.units import section_path, unit_table

    table = unit_table(norm_text, [(u.start, u.end, u.kind) for u in units], rules)
    lexicon, cues = rules.lexicon, rules.part_cues
    out = []
    for i, unit in enumerate(units):
        if unit.kind == "boilerplate":
            out.append([])
            continue
        text = norm_text[unit.start:unit.end]
        headings = [norm_text[table[j].start:table[j].end] for j in section_path(table, i)]
        got = []
        for label in labels:
            if label in cues:
                if cues[label].search(text) or any(cues[label].search(h) for h in headings):
                    got.append(label)
            elif label in lexicon and any(term in text for term in lexicon[label]):
                got.append(label)
        out.append(got)
    return out


# --------------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------------
def _f1(metrics: dict, label: str) -> float:
    f1 = metrics["per_label"][label]["f1"]
    return float("nan") if f1 is None else f1


def _row(metrics: dict, labels: list[str]) -> list[float]:
    return ([_f1(metrics, lb) for lb in labels]
            + [metrics["per_label"]["business_environment"]["precision"] if "business_environment" in labels
               else float("nan"), metrics["macro_f1"], metrics["micro_f1"], metrics["exact_set_accuracy"]])


def _columns(labels: list[str]) -> list[str]:
    return [f"{lb} F1" for lb in labels] + ["business_environment P", "macro-F1", "micro-F1", "exact-set"]


def _margins(results: dict) -> list[tuple[str, dict]]:
    ours = results["policy_nlp"]
    out = []
    spacy_keys = [k for k in ARCHITECTURES if k in results]
    if spacy_keys:
        best = max(spacy_keys, key=lambda k: (results[k]["macro_f1"], results[k]["micro_f1"]))
        out.append((f"the better spaCy textcat ({SYSTEM_NAMES[best]})", results[best]))
    out.append((f"the {SYSTEM_NAMES['keyword']}", results["keyword"]))
    return [(what, {k: ours[k] - m[k] for k in ("macro_f1", "micro_f1", "exact_set_accuracy")}) for what, m in out]


def _fmt(v: float) -> str:
    return "–" if v != v else f"{v:.3f}"


def text_table(results: dict, labels: list[str], keys, names: dict) -> str:
    cols = [c.replace("business_environment", "bus_env") for c in _columns(labels)]
    width = max(len(names[k]) for k in keys) + 2
    widths = [max(len(c), 6) + 2 for c in cols]
    lines = ["system".ljust(width) + "".join(c.rjust(w) for c, w in zip(cols, widths))]
    for key in keys:
        lines.append(names[key].ljust(width)
                     + "".join(_fmt(v).rjust(w) for v, w in zip(_row(results[key], labels), widths)))
    return "\n".join(lines)


def text_report(results: dict, labels: list[str], units: dict) -> str:
    out = []
    for protocol, title in PROTOCOLS.items():
        res = results[protocol]
        shown = [k for k in MAIN_SYSTEMS if k in res]
        out += [f"{title}: {units[protocol]} units, pooled", text_table(res, labels, shown, SYSTEM_NAMES), ""]
        for what, d in _margins(res):
            out.append(f"policy_nlp margin over {what}: macro-F1 {d['macro_f1']:+.3f}, "
                       f"micro-F1 {d['micro_f1']:+.3f}, exact-set {d['exact_set_accuracy']:+.3f}")
        if all(k in res for k in ABLATION):
            out += ["", f"ablation of policy_nlp, {title}:", text_table(res, labels, list(ABLATION), ABLATION_NAMES),
                    ""]
    return "\n".join(out)


def _md_table(results: dict, labels: list[str], keys, names: dict, bold: str | None = "policy_nlp") -> list[str]:
    cols = _columns(labels)
    lines = ["| system | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for key in keys:
        cells = [_fmt(v) for v in _row(results[key], labels)]
        if key == bold:
            cells = [f"**{c}**" for c in cells]
        lines.append(f"| {names[key]} | " + " | ".join(cells) + " |")
    return lines


def markdown_section(results: dict, labels: list[str], corpora: dict, folds: list[dict], info: dict) -> str:
    everything, heldout = corpora["lodo"], corpora["heldout"]
    scored = everything.fully_labelled()
    n_scored = sum(len(everything.units_of(d)) for d in scored)
    n_boiler = sum(u.kind == "boilerplate" for d in scored for u in everything.units_of(d))
    epochs = (f" --max-epochs {info['max_epochs']}" if info.get("max_epochs_set") else "") + \
        (" --no-ablation" if info.get("no_ablation") else "") + \
        (f" --architectures {' '.join(info['architectures'])}" if info.get("architectures") else "")
    lines = [
        START_MARK,
        "## Baselines: policy_nlp vs. spaCy textcat and the keyword list (`training/compare_baselines.py`)",
        "",
        f"Generated by `python training/compare_baselines.py{' --quick' if info['quick'] else ''}{epochs} --jobs "
        f"{info['jobs']} --output {info['output']}` on {info['date']} (spaCy {info['spacy']}, thinc "
        f"{info['thinc']}, scikit-learn {info['sklearn']}, policy_nlp {info['policy_nlp']}, rules "
        f"{info.get('rules', '?')}, Python {info['python']}); run time {info['seconds'] / 60:.1f} min on "
        f"{info['cpus']} CPU cores.",
        "",
        "**Read this first.** The term lists, the segmentation and part rules and the hyperparameters were "
        "written or chosen with the seven labelled reports in view, so protocol (a) is no unseen-text figure. "
        "Protocol (b) scores the two held-out reports, which no system trains on; they were first scored "
        "before any change made after reading them (\"Held-out reports\" at the top of this file) — every later "
        "figure on them, this one included, is a **development figure**. The spaCy textcats learn nothing from "
        "the rules, but the keyword list *is* the rules' lexicon and part cues, so it shares their advantage.",
        "",
        "**Protocols.** (a) Leave-one-document-out over the fully labelled reports of the default training data "
        f"({len(scored)} reports, {n_scored} units, {n_boiler} of them boilerplate): each is scored by a system "
        f"built from all other training data; the {len(everything.documents) - len(scored)} reports labelled only "
        "in part (units picked by `suggest`) train in every fold and are never scored — the folds of "
        "`cross_validate(scheme=\"lodo\")`. (b) Systems built from all of the default training data "
        f"({len(everything.units)} units), scored on the two held-out reports (`{HELDOUT_FILE}`, "
        f"{len(heldout.units)} units). Every gold unit is scored (boilerplate included) with "
        "`policy_nlp.model.metrics.compute_metrics`, pooled over the scored reports. All systems read the text "
        "normalised by `policy_nlp.components.normalize.normalize` (Traditional → Simplified, full-width folded).",
        "",
        "- **policy_nlp**: `create_pipeline(\"char\")` and the training recipe of `policy-nlp train` (per-label "
        "thresholds tuned by grouped cross-validation inside the training reports only); (a) "
        "`learn.crossval.cross_validate`, (b) the themes component initialised on all training data and scored on "
        "the held-out reports; its own segmentation is aligned to the gold units by character overlap.",
        "- **spaCy textcat_multilabel**: `spacy.blank(\"zh\")` (one token per character) + `textcat_multilabel`, "
        f"either `spacy.TextCatBOW.v3` or the factory default `spacy.TextCatEnsemble.v2` (default tok2vec, no "
        f"vectors); both BOW parts with `ngram_size: {NGRAM_SIZE}`, i.e. character 1–3-grams like policy_nlp's "
        "text block. `spacy train` defaults: Adam (lr 0.001, L2 0.01, grad clip 1.0), dropout 0.1, batch_by_words "
        "with `compounding(100, 1000, 1.001)`, seed 0; trained on the non-boilerplate units of the training "
        "reports; threshold 0.5. Epochs: one fully labelled training report (the first after the scored reports, "
        "cyclically) is a development set; a model trained on the other training data is scored on it after every "
        f"epoch, up to {info['max_epochs']} epochs with a patience of {info['patience']}; a fresh model is then "
        "trained on all training data for the best epoch count.",
        "- **keyword list**: no training. A topic label when the unit contains a term of "
        "`default_rules().lexicon[label]` (the non-label lists `rectification`, `study_law` are not used); "
        "`plans` / `shortcomings` when the unit or a heading of its gold section path matches `rules.part_cues`; "
        "boilerplate gets nothing.",
        "",
    ]
    for protocol, title in PROTOCOLS.items():
        res = results[protocol]
        lines += [f"### {title[0].upper()}{title[1:]}", ""]
        lines += _md_table(res, labels, [k for k in MAIN_SYSTEMS if k in res], SYSTEM_NAMES)
        lines.append("")
        for what, d in _margins(res):
            lines.append(f"- policy_nlp margin over {what}: macro-F1 **{d['macro_f1']:+.3f}**, "
                         f"micro-F1 {d['micro_f1']:+.3f}, exact-set {d['exact_set_accuracy']:+.3f}")
        if protocol == "heldout":
            lines.append("- business_environment precision on the held-out reports: " + ", ".join(
                f"{SYSTEM_NAMES[k]} {res[k]['per_label']['business_environment']['precision']:.3f}"
                for k in MAIN_SYSTEMS if k in res) + ".")
        support = {lb: res["policy_nlp"]["per_label"][lb]["support"] for lb in labels}
        lines += ["", "Gold support (units per label): " + ", ".join(f"{lb} {n}" for lb, n in support.items()) + ".",
                  ""]
    if all(k in results[p] for p in PROTOCOLS for k in ABLATION):
        lines += ["### Ablation of policy_nlp (feature blocks of the theme estimator)", "",
                  "With `blocks: [text]` the part labels (plans, shortcomings) see only the text n-grams too.", ""]
        for protocol, title in PROTOCOLS.items():
            lines += [f"{title[0].upper()}{title[1:]}:", ""]
            lines += _md_table(results[protocol], labels, list(ABLATION), ABLATION_NAMES, bold=None)
            lines.append("")
    if folds:
        lines += ["Epochs chosen for the textcats (epochs; dev macro-F1 at that epoch; epochs run before patience "
                  "stopped the search):", "",
                  "| protocol | scored report(s) | dev report | " + " | ".join(SYSTEM_NAMES[a] for a in ARCHITECTURES)
                  + " |", "|---|---|---|" + "---|" * len(ARCHITECTURES)]
        by = {(f["protocol"], f["arch"], tuple(f["test_docs"])): f for f in folds}
        seen = []
        for f in folds:
            key = (f["protocol"], tuple(f["test_docs"]))
            if key not in seen:
                seen.append(key)
        for protocol, test_docs in sorted(seen, key=lambda k: (list(PROTOCOLS).index(k[0]), k[1])):
            cells, dev_doc = [], ""
            for arch in ARCHITECTURES:
                f = by.get((protocol, arch, test_docs))
                if f is None:
                    cells.append("–")
                    continue
                dev_doc = f["dev_doc"]
                cells.append(f"{f['epochs']} (dev {f['dev_macro_f1']:.3f}; {f['epochs_tried']} run)")
            lines.append(f"| {protocol} | {', '.join(test_docs)} | {dev_doc} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(END_MARK)
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put `section` between the markers of `path` (appended when there are none); the rest is kept.
    Written to a temporary file and moved into place, so a failed write leaves the old file."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK) + r"\n?", re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _: section, old, count=1)
    else:
        new = old.rstrip("\n") + ("\n\n" if old.strip() else "") + section
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"at most {QUICK_MAX_EPOCHS} textcat epochs")
    parser.add_argument("--max-epochs", type=int, help=f"at most this many textcat epochs (default {MAX_EPOCHS})")
    parser.add_argument("--no-ablation", action="store_true", help="skip the feature-block ablation of policy_nlp")
    parser.add_argument("--architectures", nargs="+", choices=list(ARCHITECTURES), default=list(ARCHITECTURES),
                        help="the spaCy textcat architectures to train (default: both)")
    parser.add_argument("--output", help="also write the tables as a Markdown section into this file")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the spaCy folds and policy_nlp runs")
    parser.add_argument("--save-raw", help="also write the scores and folds as JSON to this file")
    parser.add_argument("--load-raw", help="render the tables from a --save-raw file instead of running")
    args = parser.parse_args(argv)
    t_start = time.time()

    import sklearn
    import spacy
    import thinc

    import policy_nlp
    from policy_nlp.components.normalize import normalize
    from policy_nlp.learn.labelled_data import DEFAULT_LABELS
    from policy_nlp.model.metrics import compute_metrics

    def say(msg: str) -> None:
        print(f"[{time.time() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    everything, heldout = read_corpora()
    labels = [lb for lb in DEFAULT_LABELS if lb in everything.labels] + \
        [lb for lb in everything.labels if lb not in DEFAULT_LABELS]
    docs = list(everything.documents)
    full_docs, heldout_docs = everything.fully_labelled(), list(heldout.documents)
    assert not set(heldout_docs) & set(docs)
    corpus_of = {**{d: everything for d in docs}, **{d: heldout for d in heldout_docs}}
    norm = {d: normalize(t).text for c in (everything, heldout) for d, t in c.documents.items()}
    say(f"{len(everything.units)} units in {len(docs)} documents ({len(full_docs)} fully labelled); "
        f"held out: {len(heldout.units)} units in {len(heldout_docs)} documents; labels: {', '.join(labels)}")

    def unit_data(doc: str, content_only: bool = True) -> list[tuple[str, list[str]]]:
        return [(norm[doc][u.start:u.end], list(u.labels)) for u in corpus_of[doc].units_of(doc)
                if not (content_only and u.kind == "boilerplate")]

    # (protocol, scored documents, training documents): the folds of cross_validate(scheme="lodo")
    splits = [("lodo", [d], [x for x in docs if x != d]) for d in full_docs] + [("heldout", heldout_docs, docs)]
    max_epochs = QUICK_MAX_EPOCHS if args.quick else (args.max_epochs or MAX_EPOCHS)
    textcat_tasks = []
    for protocol, test_docs, train_docs in splits:
        dev_doc = dev_document(full_docs, [d for d in test_docs if d in full_docs] or full_docs[-1:])
        inner_docs = [d for d in train_docs if d != dev_doc]
        for arch in args.architectures:
            textcat_tasks.append({
                "kind": "textcat", "protocol": protocol, "arch": arch, "test_docs": test_docs, "dev_doc": dev_doc,
                "labels": labels, "max_epochs": max_epochs,
                "inner_train": [x for d in inner_docs for x in unit_data(d)],
                "dev": unit_data(dev_doc),
                "train": [x for d in train_docs for x in unit_data(d)],
                "test_texts": [t for d in test_docs for t, _ in unit_data(d, content_only=False)],
            })
    systems = ABLATION if not args.no_ablation else {"policy_nlp": ABLATION["policy_nlp"]}
    policy_tasks = [{"kind": "policy_nlp", "protocol": protocol, "system": system, "hyperparameters": hp,
                     "labels": labels} for protocol in PROTOCOLS for system, hp in systems.items()]
    # Heaviest first so the workers finish together: ensemble folds, the policy_nlp runs, then BOW folds.
    textcat_tasks.sort(key=lambda t: (t["arch"] != "spacy_ensemble", -len(t["train"])))
    tasks = ([t for t in textcat_tasks if t["arch"] == "spacy_ensemble"] + policy_tasks
             + [t for t in textcat_tasks if t["arch"] != "spacy_ensemble"])

    results: dict[str, dict[str, dict]] = {p: {} for p in PROTOCOLS}
    folds: list[dict] = []
    raw = None
    if args.load_raw:  # the policy_nlp scores and the textcat folds of an earlier run; the rest is recomputed
        import json

        raw = json.loads(Path(args.load_raw).read_text(encoding="utf-8"))
        results = {p: {k: raw["results"][p][k] for k in ABLATION if k in raw["results"][p]} for p in PROTOCOLS}
        folds = raw["folds"]
        tasks = []
    with ProcessPoolExecutor(max_workers=max(args.jobs, 1), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_task, t) for t in tasks]
        if tasks:
            say(f"{len(tasks)} runs ({len(textcat_tasks)} spaCy textcat folds, max {max_epochs} epochs; "
                f"{len(policy_tasks)} policy_nlp runs) submitted to {args.jobs} worker(s)")
        for fut in futures:
            res = fut.result()
            if res["kind"] == "policy_nlp":
                results[res["protocol"]][res["system"]] = res["metrics"]
                say(f"policy_nlp {res['protocol']} {res['system']}: macro-F1 {res['metrics']['macro_f1']:.3f}, "
                    f"{res['seconds']:.0f} s")
                continue
            folds.append(res)
            say(f"{res['arch']} {res['protocol']} scoring {', '.join(res['test_docs'])}: {res['epochs']} epochs "
                f"(dev {res['dev_doc']} macro-F1 {res['dev_macro_f1']:.3f}, {res['epochs_tried']} tried), "
                f"{res['seconds']:.0f} s")

    rules = default_rules()
    units_count = {}
    for protocol, scored in (("lodo", full_docs), ("heldout", heldout_docs)):
        gold = [list(u.labels) for d in scored for u in corpus_of[d].units_of(d)]
        units_count[protocol] = len(gold)
        by = {(f["arch"], tuple(f["test_docs"])): f["pred"] for f in folds if f["protocol"] == protocol}
        for arch in dict.fromkeys(f["arch"] for f in folds):
            if protocol == "lodo":
                pred = [p for d in scored for p in by[(arch, (d,))]]
            else:
                pred = by[(arch, tuple(heldout_docs))]
            results[protocol][arch] = compute_metrics(gold, pred, labels)
        kw = [p for d in scored for p in keyword_predict(corpus_of[d].units_of(d), norm[d], labels, rules)]
        results[protocol]["keyword"] = compute_metrics(gold, kw, labels)
        assert all(m["units"] == len(gold) for m in results[protocol].values()), protocol

    seconds = time.time() - t_start if raw is None else raw["info"]["seconds"]
    info = raw["info"] if raw is not None else {
        "quick": args.quick, "jobs": args.jobs, "date": _dt.date.today().isoformat(),
        "spacy": spacy.__version__, "thinc": thinc.__version__, "sklearn": sklearn.__version__,
        "policy_nlp": policy_nlp.__version__, "python": ".".join(map(str, sys.version_info[:3])),
        "seconds": seconds, "max_epochs": max_epochs, "patience": PATIENCE, "cpus": os.cpu_count(),
        "max_epochs_set": bool(args.max_epochs) and not args.quick, "rules": rules.name,
        "no_ablation": args.no_ablation,
        "architectures": args.architectures if args.architectures != list(ARCHITECTURES) else None,
    }
    if args.save_raw and raw is None:
        import json

        Path(args.save_raw).write_text(json.dumps({"results": results, "labels": labels, "units_count": units_count,
                                                   "folds": folds, "info": info}, ensure_ascii=False),
                                       encoding="utf-8")
        say(f"wrote {args.save_raw}")
    return render(results, labels, units_count, folds, info, args.output, {"lodo": everything, "heldout": heldout},
                  say)


def render(results: dict, labels: list[str], units_count: dict, folds: list[dict], info: dict,
           output: str | None, corpora: dict, say) -> int:
    print(text_report(results, labels, units_count) + ("(--quick)\n" if info["quick"] else ""))
    print(f"run time {info['seconds']:.0f} s")
    if output:
        out = Path(output)
        info = {**info, "output": out.name if out.is_absolute() else output}
        out.parent.mkdir(parents=True, exist_ok=True)
        write_section(out, markdown_section(results, labels, corpora, folds, info))
        say(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
