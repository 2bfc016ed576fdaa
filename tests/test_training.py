"""`policy-nlp train` / `policy_nlp.train`: small subsets of the seed units, cross-validation off unless CV
is the point, everything written under tmp_path."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app
from policy_nlp.learn.labelled_data import DEFAULT_LABELS, read_corpus

from conftest import SEED_NAMES, SEEDS, seed_records, seed_text, write_jsonl

runner = CliRunner()
DOC_A, DOC_C, DOC_E = SEED_NAMES[0], SEED_NAMES[2], SEED_NAMES[4]  # 000_…, 002_…, 004_…

# Units about legal aid / public legal services (法律援助, 公共法律服务), chosen by reading them: (doc, start).
PUBLIC_LEGAL_SERVICE = [
    (DOC_A, 1767),  # 辦理法律援助536件 …
    (DOC_C, 1551),  # 五是建设现代公共法律服务体系。
    (DOC_C, 1566),  # 建成1个区级公共法律服务中心 …
    (DOC_C, 1662),  # 共受理法律援助案件1900件 …
    (DOC_C, 1713),  # … 构建全覆盖法律服务体系 …
    (DOC_E, 3323),  # 拓展区公共法律服务中心窗口职能 …
    (DOC_E, 3408),  # 在大科城公共法律服务分中心开设 … 法援 …
    (DOC_E, 3461),  # 设立24个街镇公共法律服务站 … 办理法律援助案件632件。
]


def with_new_label(records: list[dict], label: str = "public_legal_service") -> tuple[list[dict], int]:
    wanted = set(PUBLIC_LEGAL_SERVICE)
    n = 0
    for r in records:
        if (r["doc"], r["start"]) in wanted:
            assert "法律援助" in r["text"] or "法律服务" in r["text"] or "法援" in r["text"], r["text"]
            r["labels"] = r["labels"] + [label]
            n += 1
    return records, n


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run_train(*args: str):
    return runner.invoke(app, ["train", *args])


@pytest.fixture(scope="module")
def two_docs(tmp_path_factory) -> Path:
    """Seed units of 000 and 004 (149 units; every label has at least 5 positives)."""
    return write_jsonl(tmp_path_factory.mktemp("data") / "two.jsonl", seed_records(DOC_A, DOC_E))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, two_docs):
    """A pipeline trained through the CLI on two documents, without CV."""
    out = tmp_path_factory.mktemp("models") / "two"
    result = run_train("--data", str(two_docs), "--out", str(out), "--no-cv", "--seeds", str(SEEDS))
    assert result.exit_code == 0, result.output
    return out, result


# -- a complete, loadable pipeline ----------------------------------------------------------------------
def test_cli_train_writes_a_pipeline_that_loads_and_annotates(trained):
    out, result = trained
    for step in ("reading 1 data file(s)", "149 units in 2 documents", "fitting the final model",
                 "thresholds:", "saved to"):
        assert step in result.output
    assert (out / "config.cfg").is_file() and (out / "meta.json").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary directory left
    nlp = policy_nlp.load(out, segmenter="char")
    doc = policy_nlp.annotate(seed_text(SEED_NAMES[1]), nlp=nlp)  # a report it was not trained on
    assert doc.model["labels"] == list(DEFAULT_LABELS)
    labelled = [u for u in doc.units if u.labels]
    assert len(labelled) >= 10
    assert all(set(u.scores) == set(DEFAULT_LABELS) for u in doc.units)


def test_spacy_load_reads_the_directory(trained):
    import spacy

    out, _ = trained
    nlp = spacy.load(out, config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    assert nlp.pipe_names[:2] == ["policy_nlp_report_structure", "policy_nlp_themes"]
    assert nlp.pipe_names == policy_nlp.create_pipeline("char").pipe_names
    doc = nlp(seed_text(DOC_A)[:2000])
    assert len(doc.spans["units"]) > 5 and doc.spans["units"].attrs["labels"] == list(DEFAULT_LABELS)


def test_meta_json_records_labels_counts_thresholds_hashes_versions_date(trained, two_docs):
    out, _ = trained
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    info = meta["policy_nlp"]
    assert info["labels"] == list(DEFAULT_LABELS)
    assert meta["labels"]["policy_nlp_themes"] == list(DEFAULT_LABELS)
    expected_counts = {label: sum(label in r["labels"] for r in seed_records(DOC_A, DOC_E))
                       for label in DEFAULT_LABELS}
    assert info["label_counts"] == expected_counts
    assert set(info["thresholds"]) == set(DEFAULT_LABELS)
    assert all(0.0 < t < 1.0 for t in info["thresholds"].values())
    assert info["data_files"] == {str(two_docs): hashlib.sha256(two_docs.read_bytes()).hexdigest()}
    assert {"policy_nlp", "spacy", "scikit-learn"} <= set(info["versions"])
    assert dt.datetime.fromisoformat(info["trained"]).tzinfo is not None
    assert info["documents"] == [DOC_A, DOC_E] and info["units"] == 149
    assert info["cv"] is None  # --no-cv
    assert info["hyperparameters"]["random_state"] == 0
    cfg = json.loads((out / "policy_nlp_themes" / "cfg.json").read_text(encoding="utf-8"))
    assert cfg["labels"] == info["labels"] and cfg["thresholds"] == info["thresholds"]


def test_python_m_policy_nlp_train_on_one_document(tmp_path):
    data = write_jsonl(tmp_path / "one.jsonl", seed_records(DOC_A))
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "policy_nlp", "train", "--data", str(data), "--out", str(out),
                           "--seeds", str(SEEDS)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "cross-validation skipped" in proc.stderr  # one document: no LODO
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["policy_nlp"]["documents"] == [DOC_A]


# -- cross-validation and determinism -------------------------------------------------------------------
def test_training_is_deterministic_and_stores_cv_metrics(tmp_path, two_docs):
    progress: list[str] = []
    first = policy_nlp.train([two_docs], tmp_path / "a", seeds_dir=SEEDS, cv=True, progress=progress.append)
    second = policy_nlp.train([two_docs], tmp_path / "b", seeds_dir=SEEDS, cv=True)
    assert any("fold 2: training without" in line for line in progress)
    assert first["thresholds"] == second["thresholds"]
    assert first["cv"] == second["cv"]
    for key in ("macro_f1", "micro_f1", "exact_set_accuracy", "per_label", "confused_pairs"):
        assert key in first["cv"]
    assert first["cv"]["units"] == 149
    digest = [hashlib.sha256((d / "policy_nlp_themes" / "model.pkl").read_bytes()).hexdigest()
              for d in (tmp_path / "a", tmp_path / "b")]
    assert digest[0] == digest[1]
    meta = json.loads((tmp_path / "a" / "meta.json").read_text(encoding="utf-8"))["policy_nlp"]
    assert meta["cv"]["macro_f1"] == pytest.approx(first["cv"]["macro_f1"], abs=1e-8)
    text = seed_text(SEED_NAMES[1])[:3000]
    scores = [[u.scores for u in policy_nlp.annotate(text, nlp=policy_nlp.load(d, segmenter="char")).units]
              for d in (tmp_path / "a", tmp_path / "b")]
    assert scores[0] == scores[1]


# -- new labels -------------------------------------------------------------------------------------------
def test_a_sixth_label_gives_a_six_label_model(tmp_path):
    records, n = with_new_label(seed_records(DOC_C, DOC_E))
    assert n == 7
    data = write_jsonl(tmp_path / "six.jsonl", records)
    out = tmp_path / "six"
    result = run_train("--data", str(data), "--out", str(out), "--no-cv", "--seeds", str(SEEDS))
    assert result.exit_code == 0, result.output
    assert "new label 'public_legal_service' (7 units" in result.output
    labels = list(DEFAULT_LABELS) + ["public_legal_service"]
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))["policy_nlp"]
    assert meta["labels"] == labels and meta["new_labels"] == ["public_legal_service"]
    assert meta["label_counts"]["public_legal_service"] == 7
    nlp = policy_nlp.load(out, segmenter="char")
    assert list(nlp.get_pipe("policy_nlp_themes").labels) == labels
    doc = policy_nlp.annotate(seed_text(DOC_C), nlp=nlp)
    assert doc.model["labels"] == labels
    assert all(set(u.scores) == set(labels) for u in doc.units)
    # it learnt something: the legal-service units of its own training data score highest on the new label
    by_start = {u.start: u for u in doc.units}
    scores = [by_start[s].scores["public_legal_service"] for d, s in PUBLIC_LEGAL_SERVICE if d == DOC_C]
    others = [u.scores["public_legal_service"] for u in doc.units if u.start not in {s for _, s in PUBLIC_LEGAL_SERVICE}]
    assert min(scores) > sorted(others)[len(others) // 2]


def test_a_label_with_fewer_than_5_positives_is_refused_or_trained_with_a_warning(tmp_path):
    records, n = with_new_label(seed_records(DOC_A, DOC_E))
    assert n == 4
    data = write_jsonl(tmp_path / "rare.jsonl", records)
    out = tmp_path / "rare"
    refused = run_train("--data", str(data), "--out", str(out), "--no-cv", "--seeds", str(SEEDS))
    assert refused.exit_code != 0
    assert "E038" in refused.output and "'public_legal_service' has 4 positive units" in refused.output
    assert "--allow-rare-labels" in refused.output
    assert not out.exists()
    accepted = run_train("--data", str(data), "--out", str(out), "--no-cv", "--seeds", str(SEEDS),
                         "--allow-rare-labels")
    assert accepted.exit_code == 0, accepted.output
    assert "WARNING" in accepted.output and "public_legal_service" in accepted.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))["policy_nlp"]
    assert len(meta["labels"]) == 6 and meta["settings"]["rare_labels"] == ["public_legal_service"]


def test_from_model_keeps_settings_and_known_labels(tmp_path, trained, two_docs):
    base, _ = trained
    meta = policy_nlp.train([two_docs], tmp_path / "again", from_model=base, seeds_dir=SEEDS, cv=False)
    assert meta["settings"]["from_model"] == str(base)
    assert meta["labels"] == list(DEFAULT_LABELS)


# -- bad data: an error naming file and line, a non-zero exit, nothing written ---------------------------
def _bad_typo(records):
    records[2]["labels"] = ["enforcment"]
    return 3, "did you mean 'enforcement'"


def _bad_offsets(records):
    records[4]["start"] += 2
    return 5, "E032"


def _bad_no_text(records):
    records[1]["text"] = ""
    return 2, "no text"


def _bad_json(records):
    return 3, "E030"


def _bad_utf8(records):
    return 2, "E070"


BAD = {"typo_label": _bad_typo, "bad_offsets": _bad_offsets, "unit_without_text": _bad_no_text,
       "not_json": _bad_json, "not_utf8": _bad_utf8, "empty_file": None}


@pytest.fixture()
def existing_model(tmp_path, trained):
    out = tmp_path / "model"
    shutil.copytree(trained[0], out)
    return out


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_fails_naming_file_and_line_and_leaves_the_model_intact(tmp_path, existing_model, case):
    records = seed_records(DOC_A, DOC_E)
    path = tmp_path / "bad.jsonl"
    if case == "empty_file":
        path.write_text("", encoding="utf-8")
        line, marker = None, "E036"
    else:
        line, marker = BAD[case](records)
        write_jsonl(path, records)
        if case == "not_json":
            lines = path.read_text(encoding="utf-8").splitlines()
            lines[2] = lines[2][:-7]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if case == "not_utf8":
            raw = path.read_bytes().split(b"\n")
            raw[1] = raw[1].decode("utf-8").encode("gb18030")
            path.write_bytes(b"\n".join(raw))
    before = tree_hashes(existing_model)
    listing = sorted(p.name for p in tmp_path.iterdir())
    result = run_train("--data", str(path), "--out", str(existing_model), "--seeds", str(SEEDS))
    assert result.exit_code != 0
    assert marker in result.output
    assert str(path) in result.output
    if line is not None:
        assert f"{path}:{line}:" in result.output
    assert tree_hashes(existing_model) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no temporary directory left behind


def test_a_non_json_reviewer_file_names_its_line(tmp_path, existing_model, two_docs):
    bad = tmp_path / "review.json"
    bad.write_text('{\n  "schema": "policy_nlp.corpus.document/v1",\n  "text": "x",\n  units: []\n}\n', encoding="utf-8")
    before = tree_hashes(existing_model)
    result = run_train("--data", str(two_docs), "--data", str(bad), "--out", str(existing_model))
    assert result.exit_code != 0 and f"{bad}:4:" in result.output and "E109" in result.output
    assert tree_hashes(existing_model) == before


def test_out_that_is_not_a_pipeline_directory_is_not_replaced(tmp_path, two_docs):
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine", encoding="utf-8")
    result = run_train("--data", str(two_docs), "--out", str(precious), "--no-cv")
    assert result.exit_code != 0 and "E072" in result.output
    assert [p.name for p in precious.iterdir()] == ["keep.txt"]


def test_a_failure_while_writing_keeps_the_old_model(tmp_path, existing_model, two_docs, monkeypatch):
    from policy_nlp.learn import training

    def broken(tmp, out):
        raise OSError("disk full")

    before = tree_hashes(existing_model)
    monkeypatch.setattr(training, "_replace_dir", broken)
    result = run_train("--data", str(two_docs), "--out", str(existing_model), "--no-cv")
    assert result.exit_code != 0 and "disk full" in result.output
    assert tree_hashes(existing_model) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the temporary copy is gone


# -- reviewer JSON ----------------------------------------------------------------------------------------
def _reviewer_file(path: Path, doc: str, reviewed: dict[int, list[str]], id: str | None = None) -> Path:
    """A reviewer JSON of seed `doc` with all its seed units; those starting at a key of `reviewed` are
    marked reviewed with the given labels."""
    from policy_nlp.corpus.document import AnnotatedDocument, AnnotatedUnit

    units = [AnnotatedUnit(r["start"], r["end"], r["text"], r["kind"],
                           labels=reviewed.get(r["start"], ["enforcement"]), reviewed=r["start"] in reviewed)
             for r in seed_records(doc)]
    path.write_text(AnnotatedDocument(text=seed_text(doc), units=units, model={"labels": list(DEFAULT_LABELS)},
                                      id=id).to_json(), encoding="utf-8")
    return path


def test_reviewed_units_override_seed_labels_in_training(tmp_path, two_docs):
    target = next(r for r in seed_records(DOC_E) if r["labels"] == ["enforcement"])
    review = _reviewer_file(tmp_path / "review.json", DOC_E, {target["start"]: ["plans", "shortcomings"]})
    out = tmp_path / "m"
    result = run_train("--data", str(two_docs), "--data", str(review), "--out", str(out), "--no-cv")
    assert result.exit_code == 0, result.output
    assert "overrides" in result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))["policy_nlp"]
    base = {label: sum(label in r["labels"] for r in seed_records(DOC_A, DOC_E)) for label in DEFAULT_LABELS}
    assert meta["label_counts"]["enforcement"] == base["enforcement"] - 1
    assert meta["label_counts"]["plans"] == base["plans"] + 1
    assert meta["label_counts"]["shortcomings"] == base["shortcomings"] + 1
    assert meta["units"] == 149 and meta["documents"] == [DOC_A, DOC_E]
    assert str(review) in meta["data_files"]


def test_reviewer_file_before_the_seed_file_is_the_same_document(tmp_path, two_docs):
    target = next(r for r in seed_records(DOC_E) if r["labels"] == ["enforcement"])
    review = _reviewer_file(tmp_path / "review.json", DOC_E, {target["start"]: ["plans"]}, id="report.txt")
    corpus = read_corpus([review, two_docs], SEEDS)
    assert sorted(corpus.documents) == [DOC_A, DOC_E]  # not a third copy of 004 named report.txt
    got = next(u for u in corpus.units if u.doc == DOC_E and u.start == target["start"])
    assert got.labels == ["plans"] and got.reviewed  # a later unreviewed unit does not undo a review
    assert any("kept reviewed labels" in line for line in corpus.report)


def _unit_contexts(corpus, doc):
    """(unit record, context row) of the labelled units of `doc`, as training sees them."""
    from policy_nlp.rules import default_rules
    from policy_nlp.components.unit_table import units_of_doc
    from policy_nlp.learn.examples import document_example
    from policy_nlp.model.features import build_contexts
    from policy_nlp.pipeline import create_pipeline

    rules = default_rules()
    ref = document_example(create_pipeline("char"), corpus, doc, rules).reference
    table = units_of_doc(ref, rules=rules)
    ctx = build_contexts(ref._.norm_text, table, rules)
    row_of = {(u.start, u.end): list(ctx[i]) for i, u in enumerate(table)}
    return [(u, row_of[(u.start, u.end)]) for u in corpus.units_of(doc)]


def test_a_partly_reviewed_new_report_keeps_its_whole_structure_as_context(tmp_path):
    records = seed_records(DOC_E)
    picked = {r["start"]: r["labels"] or ["plans"] for r in records[30:33]}
    review = _reviewer_file(tmp_path / "review.json", DOC_E, picked, id="new_report.txt")
    partial = read_corpus([review], SEEDS)
    assert list(partial.documents) == ["new_report.txt"] and len(partial.units) == 3
    full = read_corpus([write_jsonl(tmp_path / "e.jsonl", records)], SEEDS)
    full_ctx = {u.start: c for u, c in _unit_contexts(full, DOC_E)}
    for unit, ctx in _unit_contexts(partial, "new_report.txt"):
        assert ctx == full_ctx[unit.start]  # same sections and position as in the fully labelled report


def test_a_reviewer_file_without_reviewed_units_is_reported(tmp_path, two_docs):
    review = _reviewer_file(tmp_path / "review.json", DOC_E, {})
    corpus = read_corpus([two_docs, review], SEEDS)
    assert any(line.startswith("WARNING") and str(review) in line for line in corpus.report)
    with pytest.raises(policy_nlp.PolicyNLPError) as info:
        read_corpus([review], SEEDS)
    assert info.value.code == "E071"


def test_a_rarer_misspelling_of_a_new_label_is_refused(tmp_path):
    records, _ = with_new_label(seed_records(DOC_C, DOC_E))
    records[10]["labels"] = records[10]["labels"] + ["public_legal_servce"]
    data = write_jsonl(tmp_path / "typo.jsonl", records)
    with pytest.raises(policy_nlp.PolicyNLPError) as info:
        read_corpus([data], SEEDS)
    assert info.value.code == "E031" and f"{data}:11:" in str(info.value)
    assert "did you mean 'public_legal_service'" in str(info.value)


def test_a_directory_of_reviewer_files_is_read_like_its_files(tmp_path, two_docs):
    target = next(r for r in seed_records(DOC_E) if r["labels"] == ["enforcement"])
    folder = tmp_path / "reviewed"
    folder.mkdir()
    _reviewer_file(folder / "e.json", DOC_E, {target["start"]: ["plans"]})
    corpus = read_corpus([two_docs, folder], SEEDS)
    assert str(folder / "e.json") in corpus.file_hashes
    assert next(u for u in corpus.units if u.doc == DOC_E and u.start == target["start"]).labels == ["plans"]


def test_labels_on_boilerplate_units_are_reported_and_not_counted(tmp_path):
    records = seed_records(DOC_E)
    k = next(i for i, r in enumerate(records) if r["kind"] == "boilerplate")
    records[k]["labels"] = ["plans"]
    corpus = read_corpus([write_jsonl(tmp_path / "b.jsonl", records)], SEEDS)
    assert corpus.label_counts()["plans"] == sum("plans" in r["labels"] for r in seed_records(DOC_E))
    assert any(line.startswith("WARNING") and f":{k + 1}:" in line for line in corpus.report)


def test_train_takes_a_single_str_path(tmp_path):
    data = write_jsonl(tmp_path / "one.jsonl", seed_records(DOC_C))
    meta = policy_nlp.train(str(data), str(tmp_path / "m"), seeds_dir=str(SEEDS), cv=False)
    assert meta["documents"] == [DOC_C] and meta["data_files"] == {
        str(data): hashlib.sha256(data.read_bytes()).hexdigest()}
    assert sorted(p.name for p in (tmp_path / "m" / "policy_nlp_themes").iterdir()) == ["cfg.json", "model.pkl"]
    nlp = policy_nlp.load(tmp_path / "m", segmenter="char")
    assert policy_nlp.annotate(seed_text(DOC_A)[:1000], nlp=nlp).units


def _fake_pipeline(path: Path, marker: str) -> Path:
    path.mkdir(parents=True)
    (path / "config.cfg").write_text("[nlp]\n", encoding="utf-8")
    (path / "meta.json").write_text(json.dumps({"marker": marker}), encoding="utf-8")
    return path


def test_a_run_killed_between_the_two_renames_is_repaired_by_the_next_run(tmp_path):
    """The fallback replacement (two renames) is killed in its window: no model at --out, the old one in
    .out.old-PID and a build directory left; the next run restores the old model and cleans up."""
    out = _fake_pipeline(tmp_path / "model", "old")
    tmp = _fake_pipeline(tmp_path / ".model.tmp-x1", "new")
    script = f"""
import os
from pathlib import Path
from policy_nlp.learn import training
training._exchange = lambda a, b: False            # the fallback path, as on systems without renameat2
training._between_renames = lambda: os._exit(9)    # killed between the two renames
training._replace_dir(Path({str(tmp)!r}), Path({str(out)!r}))
"""
    subprocess.run([sys.executable, "-c", script])
    assert not out.exists() and list(tmp_path.glob(".model.old-*"))
    stray = _fake_pipeline(tmp_path / ".model.tmp-x2", "stray")
    with pytest.raises(policy_nlp.PolicyNLPError) as info:  # the next run: repairs first, then fails on its data
        policy_nlp.train(tmp_path / "missing.jsonl", out)
    assert info.value.code == "E039"
    assert json.loads((out / "meta.json").read_text())["marker"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"] and not stray.exists()


def test_a_symlink_as_out_is_refused_and_a_leftover_link_is_removed(tmp_path):
    real = _fake_pipeline(tmp_path / "real", "old")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(policy_nlp.PolicyNLPError) as info:
        policy_nlp.train(tmp_path / "missing.jsonl", tmp_path / "link")
    assert info.value.code == "E139" and "symbolic link" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"] and (tmp_path / "link").is_symlink()
    (tmp_path / ".model.tmp-x3").symlink_to("real")  # what an earlier version left behind
    with pytest.raises(policy_nlp.PolicyNLPError):
        policy_nlp.train(tmp_path / "missing.jsonl", tmp_path / "model")
    assert not (tmp_path / ".model.tmp-x3").is_symlink() and (real / "meta.json").is_file()


def test_the_atomic_swap_never_leaves_out_missing(tmp_path, monkeypatch):
    from policy_nlp.learn import training

    out = _fake_pipeline(tmp_path / "model", "old")
    tmp = _fake_pipeline(tmp_path / ".model.tmp-1", "new")

    def window():
        raise AssertionError("the two-rename window was entered although the swap is available")

    monkeypatch.setattr(training, "_between_renames", window)
    training._replace_dir(tmp, out)
    assert json.loads((out / "meta.json").read_text())["marker"] == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_second_training_run_on_the_same_out_is_refused(tmp_path):
    from policy_nlp.learn.training import OutLock

    out = tmp_path / "model"
    with OutLock(out):
        with pytest.raises(policy_nlp.PolicyNLPError) as info:
            policy_nlp.train(tmp_path / "missing.jsonl", out)
    assert info.value.code == "E105" and str(out) in str(info.value)
    with pytest.raises(policy_nlp.PolicyNLPError) as info:  # released: the next run goes on (to its data)
        policy_nlp.train(tmp_path / "missing.jsonl", out)
    assert info.value.code == "E039" and not (tmp_path / ".model.lock").exists()


def test_every_rare_label_is_named_at_once():
    from policy_nlp.learn.training import check_label_counts

    class Corpus:
        def label_counts(self):
            return {"enforcement": 40, "a_rare": 2, "b_rare": 4}

    with pytest.raises(policy_nlp.PolicyNLPError) as info:
        check_label_counts(Corpus(), False, print)
    assert info.value.code == "E038"
    assert "'a_rare' has 2" in str(info.value) and "'b_rare' has 4" in str(info.value)
def test_provenance_name_version_and_reviewed_units_per_source(tmp_path, trained, two_docs):
    out, _ = trained
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    # the default name and version never pass for the shipped model (zh_reports 0.1.0)
    shipped = json.loads((policy_nlp.shipped_model_path() / "meta.json").read_text(encoding="utf-8"))
    assert (meta["name"], meta["version"]) != (shipped["name"], shipped["version"])
    assert meta["name"] == "reports_custom" and meta["version"].startswith("0.1.0+")
    assert meta["policy_nlp"]["model"] == {"name": "zh_reports_custom", "version": meta["version"]}
    assert meta["policy_nlp"]["data_sources"] == {str(two_docs): {
        "format": "units", "sha256": hashlib.sha256(two_docs.read_bytes()).hexdigest(), "units": 149,
        "reviewed_units": 0, "kept_after_merge": 149}}
    # --name/--version, and a reviewer file: its reviewed units are counted for that source
    doc = policy_nlp.annotate(seed_text(DOC_A), nlp=policy_nlp.load(out, segmenter="char"))
    doc.id = DOC_A
    sentences = [u for u in doc.units if u.kind == "sentence"][:3]
    for u in sentences:
        u.reviewed = True
    reviewed = tmp_path / "reviewed.json"
    reviewed.write_text(doc.to_json(), encoding="utf-8")
    result = run_train("--data", str(two_docs), "--data", str(reviewed), "--out", str(tmp_path / "m"), "--no-cv",
                       "--seeds", str(SEEDS), "--name", "districts", "--version", "2.0.0")
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))
    assert (meta["name"], meta["version"]) == ("districts", "2.0.0")
    assert meta["policy_nlp"]["data_sources"][str(reviewed)]["reviewed_units"] == 3
    assert meta["policy_nlp"]["data_sources"][str(reviewed)]["format"] == "reviewer"
    assert meta["policy_nlp"]["reviewed_units"] == 3
    assert "model zh_districts 2.0.0" in result.output
    annotated = policy_nlp.annotate(seed_text(DOC_C), nlp=policy_nlp.load(tmp_path / "m", segmenter="char"))
    assert (annotated.model["name"], annotated.model["version"]) == ("zh_districts", "2.0.0")
    assert annotated.model["trained"] == meta["policy_nlp"]["trained"]


def test_train_reads_a_doccano_export_and_its_labels_override(tmp_path, two_docs):
    from policy_nlp.corpus.review_formats import to_doccano

    doc = policy_nlp.annotate(seed_text(DOC_A), nlp=policy_nlp.load(segmenter="char"))
    doc.id = f"somewhere/{DOC_A}"
    records = to_doccano([doc])
    target = next(r for r in records if r["kind"] == "sentence" and "plans" not in r["label"])
    exported = tmp_path / "doccano.jsonl"
    exported.write_text(json.dumps({"id": 1, **target, "label": target["label"] + ["plans"]},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    corpus = read_corpus([two_docs, exported], SEEDS)
    unit = next(u for u in corpus.units if (u.doc, u.start, u.end) == (DOC_A, target["start"], target["end"]))
    assert unit.reviewed and "plans" in unit.labels and unit.source == str(exported)
    assert any("overrides" in line and "doccano.jsonl" in line for line in corpus.report)
    assert corpus.sources[str(exported)] == {"format": "doccano", "sha256": hashlib.sha256(
        exported.read_bytes()).hexdigest(), "units": 1, "reviewed_units": 1, "kept_after_merge": 1}
    # a misspelled label in an export is refused like anywhere else, naming the file and line
    exported.write_text(json.dumps({"id": 1, **target, "label": ["plan"]}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    from policy_nlp.errors import DataError

    with pytest.raises(DataError) as err:
        read_corpus([two_docs, exported], SEEDS)
    assert err.value.code == "E031" and "doccano.jsonl:1" in str(err.value)
