"""Corpus annotation: JSONL/Parquet output, errors, resume (also after kill -9), summary CSV, datasets."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from spacy.language import Language

import policy_nlp
from policy_nlp.corpus.batch import annotate_corpus, completed_ids
from policy_nlp.corpus.records import iter_records
from policy_nlp.errors import PolicyNLPError

from conftest import ROOT, SEED_NAMES, SEEDS, seed_text

FAIL_MARKER = "触发失败"


@Language.component("test_fail_on_marker")
def _fail_on_marker(doc):
    if FAIL_MARKER in doc.text:
        raise RuntimeError("component broke on purpose")
    return doc


def small_corpus(root: Path, n: int, chars: int = 300) -> list[str]:
    """`n` small report files cut from the seed reports; returns their ids (paths as found, sorted)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [line for name in SEED_NAMES for line in seed_text(name).splitlines() if line.strip()]
    ids = []
    for i in range(n):
        text, j = "", i
        while len(text) < chars:
            text += lines[j % len(lines)] + "\n"
            j += 1
        path = root / f"doc{i:04d}.txt"
        path.write_text(text, encoding="utf-8")
        ids.append(str(path))
    return sorted(ids)


def read_jsonl(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), "the output ends with a truncated record"
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def _label_counts(records) -> Counter:
    return Counter(label for r in records for u in r.get("units", []) for label in u["labels"])


def test_directory_to_jsonl(tmp_path, char_nlp):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SEED_NAMES[:3]:
        (corpus / name).write_text(seed_text(name), encoding="utf-8")
    out = tmp_path / "out" / "result.jsonl"
    summary = annotate_corpus([corpus], out, nlp=char_nlp)
    records = read_jsonl(out)
    assert [r["id"] for r in records] == [str(corpus / name) for name in SEED_NAMES[:3]]
    assert [r["text"] for r in records] == [seed_text(name) for name in SEED_NAMES[:3]]
    expected = policy_nlp.annotate(seed_text(SEED_NAMES[0]), nlp=char_nlp).to_dict()
    assert records[0]["units"] == expected["units"]
    assert summary["documents"] == 3 and summary["failed"] == 0 and not summary["all_failed"]
    assert summary["units"] == sum(len(r["units"]) for r in records) > 30
    assert {k: v for k, v in summary["label_counts"].items() if v} == dict(_label_counts(records))
    assert summary["characters"] == sum(len(seed_text(n)) for n in SEED_NAMES[:3])


def test_bad_documents_are_recorded_and_the_run_goes_on(tmp_path, char_nlp):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a_good.txt").write_text(seed_text(SEED_NAMES[0]), encoding="utf-8")
    (corpus / "b_gb.txt").write_bytes(seed_text(SEED_NAMES[1]).encode("gb18030"))
    (corpus / "c_bad.txt").write_bytes(bytes(range(128, 256)) * 20)
    (corpus / "d_empty.txt").write_text(" \n", encoding="utf-8")
    (corpus / "e_huge.txt").write_text("法" * 9000, encoding="utf-8")
    (corpus / "f_good.txt").write_text(seed_text(SEED_NAMES[2]), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    summary = annotate_corpus([corpus], out, nlp=char_nlp, max_chars=8000)
    records = {Path(r["id"]).name: r for r in read_jsonl(out)}
    assert list(records) == ["a_good.txt", "b_gb.txt", "c_bad.txt", "d_empty.txt", "e_huge.txt", "f_good.txt"]
    assert records["b_gb.txt"]["text"] == seed_text(SEED_NAMES[1]) and records["b_gb.txt"]["units"]
    assert records["c_bad.txt"]["error"].startswith("[E021]") and "c_bad.txt" in records["c_bad.txt"]["error"]
    assert records["d_empty.txt"]["error"].startswith("[E056]")
    assert records["e_huge.txt"]["error"].startswith("[E022]") and "(--max-chars)" in records["e_huge.txt"]["error"]
    assert "units" not in records["c_bad.txt"]
    assert summary["documents"] == 6 and summary["failed"] == 3 and not summary["all_failed"]
    assert sorted(Path(e["id"]).name for e in summary["errors"]) == ["c_bad.txt", "d_empty.txt", "e_huge.txt"]


@pytest.mark.parametrize("n_process", [1, 2])
def test_a_document_that_breaks_the_pipeline_is_recorded(tmp_path, n_process):
    nlp = policy_nlp.load(segmenter="char")
    nlp.add_pipe("test_fail_on_marker")
    ids = small_corpus(tmp_path / "c", 12, chars=120)
    broken = Path(ids[5])
    broken.write_text(broken.read_text(encoding="utf-8") + FAIL_MARKER + "。\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    summary = annotate_corpus([tmp_path / "c"], out, nlp=nlp, n_process=n_process, batch_size=2)
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ids
    assert [i for i, r in enumerate(records) if "error" in r] == [5]
    assert records[5]["error"].startswith("[E055]") and "component broke on purpose" in records[5]["error"]
    assert all(r["units"] for i, r in enumerate(records) if i != 5)
    assert summary["failed"] == 1 and summary["documents"] == 12


def test_all_failed_only_when_every_document_failed(tmp_path, char_nlp):
    (tmp_path / "bad1.txt").write_bytes(b"\xff\xfe\xfd" * 9 + bytes(range(200, 256)))
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    bad = annotate_corpus([tmp_path / "bad1.txt", tmp_path / "empty.txt"], tmp_path / "o1.jsonl", nlp=char_nlp)
    assert bad["documents"] == 2 and bad["failed"] == 2 and bad["all_failed"]
    (tmp_path / "good.txt").write_text("一、工作成效\n依法行政。\n", encoding="utf-8")
    mixed = annotate_corpus([tmp_path / "bad1.txt", tmp_path / "good.txt"], tmp_path / "o2.jsonl", nlp=char_nlp)
    assert mixed["failed"] == 1 and not mixed["all_failed"]


def test_truncated_last_line_is_repaired_and_resume_finishes(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 6)
    out = tmp_path / "o.jsonl"
    annotate_corpus(ids[:3], out, nlp=char_nlp)
    complete = out.read_bytes()
    whole = json.dumps(read_jsonl(out)[0], ensure_ascii=False).encode("utf-8")
    with open(out, "ab") as fh:  # what a kill in the middle of a write leaves
        fh.write(whole.replace(ids[0].encode(), ids[3].encode())[: len(whole) // 2])
    assert completed_ids(out) == set(ids[:3])
    assert out.read_bytes() == complete
    summary = annotate_corpus([tmp_path / "c"], out, nlp=char_nlp)
    assert summary["skipped_already_done"] == 3 and summary["documents"] == 3
    assert [r["id"] for r in read_jsonl(out)] == ids


def test_damaged_line_in_the_middle_is_not_cut(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 3)
    out = tmp_path / "o.jsonl"
    annotate_corpus(ids, out, nlp=char_nlp)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(lines[0] + lines[1][:40] + b"\n" + lines[2])
    with pytest.raises(PolicyNLPError) as info:
        annotate_corpus(ids, out, nlp=char_nlp)
    assert info.value.code == "E058"
    assert len(out.read_bytes().splitlines()) == 3  # nothing was thrown away


@pytest.mark.slow
def test_resume_after_kill_9(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 400, chars=250)
    out = tmp_path / "o.jsonl"
    cmd = [sys.executable, "-m", "policy_nlp", "annotate", str(tmp_path / "c"), "-o", str(out),
           "--segmenter", "char", "--batch-size", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.stat().st_size > 30 * 2000:
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = len(completed_ids(out))
    assert 0 < before < len(ids)
    # the same command again (in-process, to keep the test fast)
    from typer.testing import CliRunner

    from policy_nlp.cli import app

    result = CliRunner().invoke(app, cmd[3:])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped_already_done"] == before
    records = read_jsonl(out)
    assert [r["id"] for r in records] == ids  # every id exactly once, in input order
    assert all("error" not in r and r["units"] for r in records)


def _parquet_rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def test_parquet_output_with_errors_and_resume_through_its_journal(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 5)
    (tmp_path / "c" / "doc9999.txt").write_bytes(bytes(range(128, 256)) * 10)
    ids.append(str(tmp_path / "c" / "doc9999.txt"))
    out = tmp_path / "o.parquet"
    journal = tmp_path / "o.parquet.partial.jsonl"
    annotate_corpus(ids[:2], journal, nlp=char_nlp)  # what an interrupted run leaves behind
    with open(journal, "ab") as fh:
        fh.write(b'{"schema": "policy_nlp.corpus.document/v1", "id": "tru')
    summary = annotate_corpus([tmp_path / "c"], out, nlp=char_nlp, summary_csv=tmp_path / "s.csv")
    assert summary["skipped_already_done"] == 2 and summary["documents"] == 4 and summary["failed"] == 1
    assert not journal.exists()
    rows = _parquet_rows(out)
    assert [r["id"] for r in rows] == ids
    assert rows[-1]["document"] is None and rows[-1]["error"].startswith("[E021]")
    for row in rows[:-1]:
        doc = json.loads(row["document"])
        assert row["error"] is None and doc["id"] == row["id"] and row["units"] == len(doc["units"]) > 0
        assert row["characters"] == len(Path(row["id"]).read_text(encoding="utf-8"))
    # a rerun of a finished Parquet output skips everything and keeps every row
    again = annotate_corpus([tmp_path / "c"], out, nlp=char_nlp)
    assert again["skipped_already_done"] == 6 and again["documents"] == 0
    assert [r["id"] for r in _parquet_rows(out)] == ids
    # new inputs are added to the existing rows
    extra = tmp_path / "extra.txt"
    extra.write_text("一、下一步工作计划\n继续推进依法行政。\n", encoding="utf-8")
    annotate_corpus([tmp_path / "c", extra], out, nlp=char_nlp)
    assert [r["id"] for r in _parquet_rows(out)] == ids + [str(extra)]
    with open(tmp_path / "s.csv", encoding="utf-8-sig") as fh:
        assert [r["path"] for r in csv.DictReader(fh)] == ids


def test_failed_run_keeps_what_it_finished(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 3)
    table = tmp_path / "t.jsonl"
    table.write_text('{"body": "第一条。"}\n', encoding="utf-8")
    out = tmp_path / "o.parquet"
    with pytest.raises(PolicyNLPError) as info:  # the table has no 'text' column: a fatal error
        annotate_corpus(ids + [str(table)], out, nlp=char_nlp)
    assert info.value.code == "E051"
    assert [r["id"] for r in _parquet_rows(out)] == ids
    summary = annotate_corpus(ids + [str(table)], out, nlp=char_nlp, text_column="body")
    assert summary["skipped_already_done"] == 3 and summary["documents"] == 1
    assert [r["id"] for r in _parquet_rows(out)] == ids + [f"{table}#0"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_table_input_resumes_by_stable_ids(tmp_path, char_nlp, suffix):
    from test_inputs import _write_table

    rows = [{"doc_id": f"r{i}", "body": line} for i, line in
            enumerate(seed_text(SEED_NAMES[3]).splitlines()[:6])]
    table = _write_table(tmp_path / f"t{suffix}", rows)
    out = tmp_path / "o.jsonl"
    annotate_corpus([table], out, nlp=char_nlp, text_column="body")
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:2]))
    seen = []
    summary = annotate_corpus([table], out, nlp=char_nlp, text_column="body", progress=seen.append)
    assert summary["skipped_already_done"] == 2 and summary["documents"] == 4
    assert seen[0].total == 4 and seen[-1].done == 4  # the progress total excludes what is done
    assert [r["id"] for r in read_jsonl(out)] == [f"{table}#{i}" for i in range(6)]
    out2 = tmp_path / "o2.jsonl"
    annotate_corpus([table], out2, nlp=char_nlp, text_column="body", id_column="doc_id")
    assert [r["id"] for r in read_jsonl(out2)] == [f"r{i}" for i in range(6)]


def test_summary_csv_columns_and_shares(tmp_path, char_nlp):
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name in SEED_NAMES[:2]:
        (corpus / name).write_text(seed_text(name), encoding="utf-8")
    (corpus / "zz_bad.txt").write_bytes(bytes(range(128, 256)) * 10)
    out, summary_csv = tmp_path / "o.jsonl", tmp_path / "summary.csv"
    annotate_corpus([corpus], out, nlp=char_nlp, summary_csv=summary_csv)
    labels = list(policy_nlp.LABELS)
    assert summary_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the Chinese
    with open(summary_csv, encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == ["id", "path", "region", "year", "kind", "title", "issuer", "error", "characters",
                                 "units", "content_units", "headings", "warnings"] + [
        f"{label}_{kind}" for label in labels for kind in ("units", "share")] + ["metadata_sources"]
    records = read_jsonl(out)
    assert [r["path"] for r in rows] == [r["id"] for r in records]
    assert [r["id"] for r in rows] == SEED_NAMES[:2] + ["zz_bad.txt"]  # relative to the input folder
    assert [r["region"] for r in rows[:2]] == ["延庆区", "金水区"] and rows[0]["year"] == "2024"
    for row, rec in zip(rows[:2], records[:2]):
        content = [u for u in rec["units"] if u["kind"] != "boilerplate"]
        assert int(row["units"]) == len(rec["units"]) and int(row["content_units"]) == len(content)
        assert int(row["headings"]) == sum(u["kind"] == "heading" for u in rec["units"])
        for label in labels:
            n = sum(label in u["labels"] for u in content)
            assert int(row[f"{label}_units"]) == n
            assert float(row[f"{label}_share"]) == pytest.approx(n / len(content), abs=1e-4)
        assert any(float(row[f"{label}_share"]) > 0 for label in labels)
    assert rows[2]["error"].startswith("[E021]") and rows[2]["units"] == "0"
    assert list(iter_records(out)) == records


def test_annotate_dataset_num_proc_2(char_nlp):
    datasets = pytest.importorskip("datasets")
    texts = [seed_text(name)[:400] for name in SEED_NAMES[:3]] + ["", None]
    ds = datasets.Dataset.from_dict({"key": ["a", "b", "c", "d", "e"], "body": texts})
    out = policy_nlp.annotate_dataset(ds, text_column="body", id_column="key", segmenter="char", num_proc=2,
                                      batch_size=2)
    assert out["key"] == ["a", "b", "c", "d", "e"] and out["body"] == texts
    labels = list(policy_nlp.LABELS)
    for i in range(3):
        doc = json.loads(out[i]["policy_nlp"])
        assert doc["id"] == out[i]["key"] and doc["text"] == texts[i]
        assert doc["units"] == policy_nlp.annotate(texts[i], nlp=char_nlp).to_dict()["units"]
        assert out[i]["n_units"] == len(doc["units"]) > 0 and out[i]["policy_nlp_error"] is None
        content = [u for u in doc["units"] if u["kind"] != "boilerplate"]
        for label in labels:
            assert out[i][f"share_{label}"] == pytest.approx(
                sum(label in u["labels"] for u in content) / len(content))
    assert out[3]["policy_nlp"] is None and out[3]["policy_nlp_error"].startswith("[E056]")
    assert out[4]["policy_nlp"] is None and out[4]["policy_nlp_error"].startswith("[E059]")
    with pytest.raises(PolicyNLPError):
        policy_nlp.annotate_dataset(ds, text_column="text")


def test_annotate_dataset_whose_first_batch_holds_failed_rows_only(char_nlp):
    """A batch of failed rows gives None in every new column: the columns' types come from the model's labels,
    not from the first batch (datasets would refuse the second batch's floats in a column typed null)."""
    datasets = pytest.importorskip("datasets")
    texts = ["", None, seed_text(SEED_NAMES[0])[:400], seed_text(SEED_NAMES[1])[:400]]
    out = policy_nlp.annotate_dataset(datasets.Dataset.from_dict({"text": texts}), segmenter="char", batch_size=2)
    assert out["policy_nlp"][:2] == [None, None] and out["share_plans"][:2] == [None, None]
    assert all(isinstance(out[f"share_{label}"][2], float) for label in policy_nlp.LABELS)
    assert out.features["share_plans"].dtype == "float64" and out.features["n_units"].dtype == "int64"


def test_every_record_of_a_batch_run_validates_against_the_schema(tmp_path, tiny_nlp):
    import jsonschema

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a_good.txt").write_text(seed_text(SEED_NAMES[1])[:1500], encoding="utf-8")
    (corpus / "b_bad.txt").write_bytes(bytes(range(128, 256)) * 20)
    (corpus / "c_empty.txt").write_text(" \n", encoding="utf-8")
    (corpus / "d_huge.txt").write_text("法" * 9000, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    annotate_corpus([corpus], out, nlp=tiny_nlp, max_chars=8000)
    schema = policy_nlp.load_schema()
    records = read_jsonl(out)
    assert [("error" in r) for r in records] == [False, True, True, True]
    for record in records:
        jsonschema.validate(record, schema)
    assert {r["error"][:6] for r in records[1:]} == {"[E021]", "[E056]", "[E022]"}
    assert set(records[1]) == {"schema", "id", "error"}
    assert all(u["reviewed"] is False for u in records[0]["units"])


# -- provenance: no silent mixing of models or inputs on resume ----------------------------------------------
def test_resume_refuses_another_model_and_refresh_reannotates(tmp_path, char_nlp, tiny_nlp):
    ids = small_corpus(tmp_path / "c", 3)
    out = tmp_path / "o.jsonl"
    annotate_corpus(ids[:2], out, nlp=char_nlp)
    before = out.read_bytes()
    with pytest.raises(PolicyNLPError) as info:
        annotate_corpus(ids, out, nlp=tiny_nlp)
    assert info.value.code == "E100" and "--refresh" in str(info.value) and out.read_bytes() == before
    result = annotate_corpus(ids, out, nlp=tiny_nlp, refresh=True)
    assert result["refreshed"] == 2 and result["documents"] == 3
    records = read_jsonl(out)
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert {r["model"]["sha256"] for r in records} == {policy_nlp.model_info(tiny_nlp)["sha256"]}
    assert annotate_corpus(ids, out, nlp=tiny_nlp)["skipped_already_done"] == 3  # consistent now


def test_resume_refuses_a_changed_input_and_refresh_redoes_only_it(tmp_path, char_nlp):
    ids = small_corpus(tmp_path / "c", 3)
    out = tmp_path / "o.jsonl"
    annotate_corpus(ids, out, nlp=char_nlp)
    Path(ids[1]).write_text("第一条 依法行政。\n", encoding="utf-8")
    with pytest.raises(PolicyNLPError) as info:
        annotate_corpus(ids, out, nlp=char_nlp)
    assert info.value.code == "E101" and ids[1] in str(info.value)
    result = annotate_corpus(ids, out, nlp=char_nlp, refresh=True)
    assert result["refreshed"] == 1 and result["documents"] == 1 and result["skipped_already_done"] == 2
    records = {r["id"]: r for r in read_jsonl(out)}
    assert len(records) == 3 and records[ids[1]]["text"] == "第一条 依法行政。\n"


def test_a_full_disk_is_a_coded_error_and_keeps_what_was_finished(tmp_path, char_nlp, monkeypatch):
    import builtins
    import errno

    ids = small_corpus(tmp_path / "c", 4)
    out = tmp_path / "o.jsonl"
    real_open = builtins.open

    class Full:
        def __init__(self, fh):
            self.fh, self.lines = fh, 0

        def write(self, text):
            self.lines += 1
            if self.lines > 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.fh.write(text)

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    def fake_open(path, mode="r", *a, **k):
        fh = real_open(path, mode, *a, **k)
        return Full(fh) if str(path) == str(out) and "a" in mode else fh

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(PolicyNLPError) as info:
        annotate_corpus(ids, out, nlp=char_nlp, batch_size=1)
    monkeypatch.undo()
    assert info.value.code == "E103" and "No space left" in str(info.value)
    assert [r["id"] for r in read_jsonl(out)] == ids[:2]
    assert annotate_corpus(ids, out, nlp=char_nlp)["skipped_already_done"] == 2
def test_directory_output_never_loses_a_reviewer_s_work(tmp_path, char_nlp, tiny_nlp):
    from policy_nlp.corpus.batch import annotate_to_directory
    from policy_nlp.corpus.document import AnnotatedDocument

    inputs = [SEEDS / SEED_NAMES[0], SEEDS / SEED_NAMES[1]]
    out = tmp_path / "out"

    def run(nlp, **kw):
        return {Path(i).name: (t, e) for i, _, e, t in annotate_to_directory(inputs, out, nlp=nlp, **kw)}

    first = run(char_nlp)
    assert all(t is not None and e is None for t, e in first.values())
    assert all(u["reviewed"] is False for p in out.iterdir()
               for u in json.loads(p.read_text(encoding="utf-8"))["units"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert all(t is not None for t, _ in run(char_nlp).values())  # the same output: nothing to refuse
    # a reviewer corrects a unit of the first file
    reviewed_path = first[SEED_NAMES[0]][0]
    doc = AnnotatedDocument.from_json(reviewed_path.read_text(encoding="utf-8"))
    unit = next(u for u in doc.units if u.kind == "sentence")
    unit.labels, unit.reviewed = ["shortcomings"], True
    reviewed_path.write_text(doc.to_json(), encoding="utf-8")
    reviewed_bytes = reviewed_path.read_bytes()
    # another model: the plain file differs (E131), the reviewed one holds reviews (E130); nothing written
    second = run(tiny_nlp)
    assert second[SEED_NAMES[0]][1].startswith("[E130]") and second[SEED_NAMES[1]][1].startswith("[E131]")
    assert reviewed_path.read_bytes() == reviewed_bytes
    assert (out / f"{Path(SEED_NAMES[1]).stem}.json").read_bytes() == before[f"{Path(SEED_NAMES[1]).stem}.json"]
    # --overwrite replaces the plain file only; --overwrite-reviewed also the reviewed one
    third = run(tiny_nlp, overwrite=True)
    assert third[SEED_NAMES[0]][1].startswith("[E130]") and third[SEED_NAMES[1]][1] is None
    assert reviewed_path.read_bytes() == reviewed_bytes
    fourth = run(tiny_nlp, overwrite_reviewed=True)
    assert fourth[SEED_NAMES[0]][1] is None
    assert not any(u["reviewed"] for u in json.loads(reviewed_path.read_text(encoding="utf-8"))["units"])


def test_update_keeps_reviewed_units_and_refreshes_the_rest(tmp_path, char_nlp, tiny_nlp):
    import policy_nlp
    from policy_nlp.corpus.batch import update_reviewed
    from policy_nlp.corpus.document import AnnotatedDocument

    text = (SEEDS / SEED_NAMES[1]).read_text(encoding="utf-8")
    doc = policy_nlp.annotate(text, nlp=char_nlp)
    doc.id = SEED_NAMES[1]
    sentences = [u for u in doc.units if u.kind == "sentence"]
    sentences[0].labels, sentences[0].reviewed = ["plans", "enforcement"], True
    sentences[1].labels, sentences[1].reviewed = [], True
    # a reviewed span the segmenter does not make: two sentences joined
    a, b = sentences[3], sentences[4]
    doc.units = [u for u in doc.units if u not in (a, b)]
    joined = type(a)(a.start, b.end, text[a.start:b.end], "sentence", a.section, ["dispute_resolution"], {}, True)
    doc.units = sorted(doc.units + [joined], key=lambda u: u.start)
    path = tmp_path / "reviewed.json"
    path.write_text(doc.to_json(), encoding="utf-8")
    ((source, target, counts, error),) = list(update_reviewed([path], nlp=tiny_nlp))
    assert error is None and target == path and counts["kept"] == 3 and counts["dropped"] == 2
    new = AnnotatedDocument.from_json(path.read_text(encoding="utf-8"))
    fresh = policy_nlp.annotate(text, nlp=tiny_nlp)
    assert new.model == fresh.model and new.id == SEED_NAMES[1]
    reviewed = {(u.start, u.end): u for u in new.units if u.reviewed}
    assert reviewed[(sentences[0].start, sentences[0].end)].labels == ["plans", "enforcement"]
    assert reviewed[(sentences[1].start, sentences[1].end)].labels == []
    assert reviewed[(a.start, b.end)].labels == ["dispute_resolution"]
    assert len(reviewed) == 3
    # the rest is the new model's output, unit for unit
    fresh_units = {(u.start, u.end): u for u in fresh.units}
    others = [u for u in new.units if not u.reviewed]
    assert others and all(u.labels == fresh_units[(u.start, u.end)].labels and
                          u.scores == fresh_units[(u.start, u.end)].scores for u in others)
    assert reviewed[(sentences[0].start, sentences[0].end)].scores == fresh_units[
        (sentences[0].start, sentences[0].end)].scores  # scores are the new model's
    # -o DIR: a file there that was not the one read is not replaced
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "reviewed.json").write_text("{}", encoding="utf-8")
    ((_, target, _, error),) = list(update_reviewed([path], other, nlp=tiny_nlp))
    assert target is None and error.startswith("[E131]")
