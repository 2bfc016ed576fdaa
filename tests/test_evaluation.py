"""Scoring: alignment of gold units to differently split predicted units, the metrics, `policy-nlp evaluate`
(a model, and `--cv lodo`)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app
from policy_nlp.corpus.document import AnnotatedDocument, AnnotatedUnit
from policy_nlp.learn.evaluation import format_metrics
from policy_nlp.learn.invariance import align_predictions
from policy_nlp.model.metrics import compute_metrics
from policy_nlp.learn.labelled_data import DEFAULT_LABELS

from conftest import SEED_NAMES, SEED_UNITS, SEEDS
from test_training import seed_records, write_jsonl

runner = CliRunner()
DOC_A, DOC_B, DOC_E = SEED_NAMES[0], SEED_NAMES[1], SEED_NAMES[4]


# -- alignment and metrics, by hand ------------------------------------------------------------------------
def _gold(spans):
    return [AnnotatedUnit(s, e, "x" * (e - s), "sentence", labels=labels, doc="d") for s, e, labels in spans]


def _pred(spans):
    return AnnotatedDocument(text="x" * 80, units=[AnnotatedUnit(s, e, "x" * (e - s), "sentence", labels=labels)
                                                   for s, e, labels in spans])


GOLD = _gold([(0, 10, ["x"]), (10, 20, ["x", "y"]), (20, 30, []), (30, 40, ["y"]), (50, 55, ["x"])])
# Split differently: one predicted unit covers gold 1+2; gold 3 is cut 6/4 between two predicted units;
# nothing predicted over gold 5.
PRED = _pred([(0, 20, ["x"]), (20, 26, ["y"]), (26, 40, [])])


def test_each_gold_unit_takes_the_labels_of_the_predicted_unit_overlapping_it_most():
    assert align_predictions(GOLD, PRED) == [["x"], ["x"], ["y"], [], []]
    # a tie goes to the earlier predicted unit
    assert align_predictions(_gold([(60, 70, [])]), _pred([(60, 65, ["x"]), (65, 70, ["y"])])) == [["x"]]


def test_metrics_of_a_different_split_computed_by_hand():
    m = compute_metrics([g.labels for g in GOLD], align_predictions(GOLD, PRED), ["x", "y", "z"])
    # x: tp 2 (gold 1, 2), fp 0, fn 1 (gold 5) → P 1, R 2/3, F1 4/5; y: tp 0, fp 1 (gold 3), fn 2 (gold 2, 4)
    assert m["per_label"]["x"] == {"precision": 1.0, "recall": pytest.approx(2 / 3), "f1": pytest.approx(0.8),
                                   "support": 3, "tp": 2, "fp": 0, "fn": 1}
    assert m["per_label"]["y"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2,
                                   "tp": 0, "fp": 1, "fn": 2}
    assert m["per_label"]["z"]["f1"] is None and m["per_label"]["z"]["support"] == 0  # neither gold nor predicted
    assert m["macro_f1"] == pytest.approx(0.4)  # (0.8 + 0) / 2; z is left out
    assert m["micro_f1"] == pytest.approx(0.5)  # 2·2 / (2·2 + 1 + 3)
    assert m["exact_set_accuracy"] == pytest.approx(0.2)  # only gold 1
    assert m["units"] == 5
    assert m["confused_pairs"] == [{"gold": "y", "predicted": "(none)", "count": 2},
                                   {"gold": "(none)", "predicted": "y", "count": 1},
                                   {"gold": "x", "predicted": "(none)", "count": 1}]
    table = format_metrics(m, "t")
    assert "macro F1" in table and "micro F1" in table and "exact-set accuracy" in table
    assert "\n" + "z".ljust(24) in table and table.splitlines()[4].split()[3] == "-"


def test_a_swapped_label_is_a_confused_pair():
    m = compute_metrics([["x"], ["x"], ["y"]], [["y"], ["x"], ["y"]], ["x", "y"])
    assert m["confused_pairs"] == [{"gold": "x", "predicted": "y", "count": 1}]


# -- evaluate a model ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval")
    train = write_jsonl(tmp / "train.jsonl", seed_records(DOC_A, DOC_E))
    held_out = write_jsonl(tmp / "held_out.jsonl", seed_records(DOC_B))
    policy_nlp.train([train], tmp / "model", seeds_dir=SEEDS, cv=False)
    return tmp / "model", train, held_out


def test_cli_evaluate_prints_a_table_and_writes_metrics_json(tmp_path, model_and_data):
    model, _, held_out = model_and_data
    out = tmp_path / "reports" / "metrics.json"
    result = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(held_out), "--output", str(out)])
    assert result.exit_code == 0, result.output
    for text in ("precision", "recall", "support", "macro F1", "micro F1", "exact-set accuracy", DOC_B):
        assert text in result.output
    metrics = json.loads(out.read_text(encoding="utf-8"))
    assert metrics["mode"] == "model" and metrics["units"] == 62
    gold = seed_records(DOC_B)
    for label in DEFAULT_LABELS:
        m = metrics["per_label"][label]
        assert m["support"] == sum(label in r["labels"] for r in gold)
        assert m["tp"] + m["fn"] == m["support"]
    # the gold side of every prediction is the held-out file's, and the scores follow from the predictions
    assert [(p["start"], p["end"], sorted(p["gold"])) for p in metrics["predictions"]] == \
        [(r["start"], r["end"], sorted(r["labels"])) for r in gold]
    counts = {label: [0, 0, 0] for label in DEFAULT_LABELS}  # tp, fp, fn counted here from the unit pairs
    for p in metrics["predictions"]:
        for label in DEFAULT_LABELS:
            g, d = label in p["gold"], label in p["predicted"]
            counts[label][0 if g and d else 1 if d else 2] += g or d
    for label, (tp, fp, fn) in counts.items():
        assert (metrics["per_label"][label]["tp"], metrics["per_label"][label]["fp"],
                metrics["per_label"][label]["fn"]) == (tp, fp, fn)
    tp, fp, fn = (sum(c[k] for c in counts.values()) for k in range(3))
    assert metrics["micro_f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    f1s = [2 * c[0] / (2 * c[0] + c[1] + c[2]) for c in counts.values() if any(c)]  # a label never seen: left out
    assert metrics["macro_f1"] == pytest.approx(sum(f1s) / len(f1s))
    assert 0.3 < metrics["micro_f1"] <= 1.0
    assert set(metrics["per_document"]) == {DOC_B}
    assert isinstance(metrics["confused_pairs"], list)
    # the command wraps the function, which scores annotate()'s units aligned to the gold ones
    direct = policy_nlp.evaluate(model, [held_out])
    assert direct["per_label"] == metrics["per_label"]
    nlp = policy_nlp.load(model, segmenter="char")
    pred = align_predictions([_rec(r) for r in gold], policy_nlp.annotate((SEEDS / DOC_B).read_text("utf-8"), nlp=nlp))
    assert compute_metrics([r["labels"] for r in gold], pred, DEFAULT_LABELS)["per_label"] == direct["per_label"]
    # every gold unit's record: its gold labels, the aligned unit's labels and scores
    assert [(p["start"], p["gold"], p["predicted"]) for p in direct["predictions"]] == [
        (r["start"], r["labels"], labels) for r, labels in zip(gold, pred)]
    thresholds = nlp.get_pipe("policy_nlp_themes").thresholds
    for p in direct["predictions"]:
        assert p["predicted"] == [label for label, s in p["scores"].items() if s >= thresholds[label]]


def _rec(r):
    return AnnotatedUnit(r["start"], r["end"], r["text"], r["kind"], labels=r["labels"], doc=r["doc"])


def test_gold_labels_the_model_lacks_are_scored_as_missed(tmp_path, model_and_data):
    model, _, _ = model_and_data
    records = seed_records(DOC_B)
    for r in records[10:12]:
        r["labels"] = r["labels"] + ["public_legal_service"]
    data = write_jsonl(tmp_path / "gold.jsonl", records)
    metrics = policy_nlp.evaluate(model, [data])
    assert metrics["labels_not_in_model"] == ["public_legal_service"]
    m = metrics["per_label"]["public_legal_service"]
    assert (m["support"], m["tp"], m["fn"], m["recall"]) == (2, 0, 2, 0.0)


def test_evaluate_errors_exit_non_zero(tmp_path, model_and_data):
    model, _, held_out = model_and_data
    records = seed_records(DOC_B)
    records[3]["labels"] = ["dispute_resolutoin"]
    bad = write_jsonl(tmp_path / "bad.jsonl", records)
    result = runner.invoke(app, ["evaluate", "--model", str(model), "--data", str(bad)])
    assert result.exit_code != 0 and f"{bad}:4:" in result.output and "dispute_resolution" in result.output
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "nothing"), "--data", str(held_out)])
    assert result.exit_code != 0 and "E005" in result.output
    result = runner.invoke(app, ["evaluate", "--cv", "tenfold", "--data", str(held_out)])
    assert result.exit_code != 0 and "E073" in result.output
    result = runner.invoke(app, ["evaluate", "--cv", "lodo", "--model", str(model), "--data", str(held_out)])
    assert result.exit_code != 0
    result = runner.invoke(app, ["evaluate", "--cv", "lodo", "--data", str(held_out)])  # one document
    assert result.exit_code != 0 and "E041" in result.output


# -- leave-one-document-out --------------------------------------------------------------------------------
def test_cli_evaluate_cv_lodo(tmp_path, model_and_data):
    _, train, _ = model_and_data
    out = tmp_path / "lodo.json"
    result = runner.invoke(app, ["evaluate", "--cv", "lodo", "--data", str(train), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "fold 1: training without" in result.output and "leave-one-document-out" in result.output
    metrics = json.loads(out.read_text(encoding="utf-8"))
    assert metrics["mode"] == "lodo" and metrics["units"] == 149
    assert set(metrics["per_document"]) == {DOC_A, DOC_E}
    assert sum(m["units"] for m in metrics["per_document"].values()) == 149
    assert {"macro_f1", "micro_f1", "exact_set_accuracy", "confused_pairs", "per_label"} <= set(metrics)


def test_lodo_scores_each_document_with_a_model_tuned_without_it(tmp_path, monkeypatch):
    from policy_nlp.components.themes import ThemeClassifier
    from policy_nlp.model.estimator import ThemeEstimator
    from policy_nlp.model.features import COL

    data = write_jsonl(tmp_path / "three.jsonl", seed_records(DOC_A, DOC_B, DOC_E))
    docs = [DOC_A, DOC_B, DOC_E]

    trained_on: list[set] = []
    estimators: list[tuple[str, set]] = []  # (held-out document of the fold, documents an estimator saw)
    held_out: list[str] = []
    initialize, fit = ThemeClassifier.initialize, ThemeEstimator.fit

    def spy_initialize(self, get_examples=None, **kw):
        seen = {eg.reference.user_data[("policy_nlp", "doc_id")] for eg in get_examples()}
        trained_on.append(seen)
        held_out.append(next(d for d in docs if d not in seen))
        return initialize(self, get_examples, **kw)

    doc_of: dict[str, set] = {}  # unit text → the documents it is in, from the fits that are told the documents

    def spy_fit(self, X, Y, groups=None, **kw):
        for row, doc in zip(X, groups if groups is not None else []):
            doc_of.setdefault(row[COL["text"]], set()).add(doc)
        seen = set().union(*(doc_of[row[COL["text"]]] for row in X if len(doc_of[row[COL["text"]]]) == 1))
        estimators.append((held_out[-1], seen))
        return fit(self, X, Y, groups, **kw)

    monkeypatch.setattr(ThemeClassifier, "initialize", spy_initialize)
    monkeypatch.setattr(ThemeEstimator, "fit", spy_fit)
    progress: list[str] = []
    metrics = policy_nlp.cross_validate([data], SEEDS, progress=progress.append)
    assert held_out == docs and list(metrics["per_document"]) == docs
    assert trained_on == [set(docs) - {d} for d in docs]
    assert [m for m in progress if m.startswith("fold")] == [f"fold {k}: training without 1 document(s)"
                                                             for k in (1, 2, 3)]
    # every estimator fitted in a fold (the inner threshold folds included) leaves its document out
    assert estimators and all(d not in used for d, used in estimators)
    assert {frozenset(used) for _, used in estimators if len(used) == 1} == {frozenset({d}) for d in docs}
    assert metrics["units"] == 62 + 84 + 65


def test_the_estimator_cache_changes_nothing(tmp_path):
    from policy_nlp.learn.crossval import EstimatorCache
    from policy_nlp.learn.examples import corpus_examples
    from policy_nlp.learn.labelled_data import read_corpus
    from policy_nlp.pipeline import THEMES, create_pipeline

    corpus = read_corpus([write_jsonl(tmp_path / "two.jsonl", seed_records(DOC_B, DOC_E))], SEEDS)
    nlp = create_pipeline("char")
    themes = nlp.get_pipe(THEMES)
    examples = corpus_examples(nlp, corpus, themes.rules)
    themes.initialize(lambda: examples.values(), labels=corpus.labels)
    plain = themes.model
    cache = EstimatorCache()
    themes.initialize(lambda: examples.values(), labels=corpus.labels, **cache.fit_params())
    cached = themes.model
    assert cache.fits == 3  # two inner folds and the final fit
    assert plain.thresholds_ == cached.thresholds_
    assert plain.calibrators_ and set(plain.calibrators_) == set(cached.calibrators_)  # fitted on the inner folds
    X, _, _, _ = themes.training_matrix(examples.values(), corpus.labels)
    assert (plain.predict_proba(X) == cached.predict_proba(X)).all()


def test_policy_nlp_evaluate_and_nlp_evaluate_agree_on_the_seeds(char_nlp):
    """`policy-nlp evaluate` reports what spaCy's `nlp.evaluate` (the themes component's registered scorer)
    returns, and that is a direct `compute_metrics` of `annotate()`'s units paired with the gold ones (the
    figures the command printed before it called `nlp.evaluate`)."""
    from policy_nlp.learn.examples import corpus_examples
    from policy_nlp.learn.labelled_data import read_corpus
    from policy_nlp.pipeline import shipped_model_path

    ours = policy_nlp.evaluate(shipped_model_path(), [SEED_UNITS], seeds_dir=SEEDS)
    themes = char_nlp.get_pipe("policy_nlp_themes")
    corpus = read_corpus([SEED_UNITS], SEEDS, known_labels=list(themes.labels))
    examples = list(corpus_examples(char_nlp, corpus, char_nlp.get_pipe("policy_nlp_report_structure").rules).values())
    spacy_scores = char_nlp.evaluate(examples)
    assert set(spacy_scores["themes_per_type"]) == set(themes.labels)
    for label, got in spacy_scores["themes_per_type"].items():
        expected = ours["per_label"][label]
        assert (got["p"], got["r"], got["f"]) == (expected["precision"], expected["recall"], expected["f1"] or 0.0)
    assert spacy_scores["themes_macro_f"] == ours["macro_f1"] and spacy_scores["themes_micro_f"] == ours["micro_f1"]
    assert sum(expected["support"] for expected in ours["per_label"].values()) > 100
    # the same figures, by hand: each document annotated, its gold units paired, the label sets counted
    labels = list(themes.labels)
    gold, pred, per_doc = [], [], {}
    for doc, text in corpus.documents.items():
        units = corpus.units_of(doc)
        got = align_predictions(units, policy_nlp.annotate(text, nlp=char_nlp))
        per_doc[doc] = compute_metrics([u.labels for u in units], got, labels)
        gold += [u.labels for u in units]
        pred += got
    direct = compute_metrics(gold, pred, labels)
    assert {k: ours[k] for k in direct} == direct and ours["per_document"] == per_doc
    assert [p["predicted"] for p in ours["predictions"]] == pred and ours["units"] == len(gold) == 429


def test_evaluate_calls_nlp_evaluate_once_and_reports_its_scores(monkeypatch, model_and_data):
    from spacy.language import Language

    from policy_nlp.learn.evaluation import report_figures

    model, train, _ = model_and_data
    calls = []
    evaluate = Language.evaluate

    def spy(self, examples, **kw):
        examples = list(examples)
        calls.append(({eg.reference.user_data[("policy_nlp", "doc_id")] for eg in examples}, kw,
                      evaluate(self, examples, **kw)))
        return calls[-1][2]

    monkeypatch.setattr(Language, "evaluate", spy)
    metrics = policy_nlp.evaluate(model, [train])
    ((docs, kw, scores),) = calls
    assert docs == {DOC_A, DOC_E} and kw["scorer"].cfg["labels"] == metrics["labels"]
    assert {k: metrics[k] for k in report_figures(scores)} == report_figures(scores)
    assert not any(key.startswith(("units_", "indicators_")) for key in scores)  # the themes scorer only
    assert metrics["units"] == 149 and metrics["macro_f1"] == scores["themes_macro_f"]
