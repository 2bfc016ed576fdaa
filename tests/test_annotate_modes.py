"""The modes of `policy-nlp annotate` as functions (`corpus.annotate_modes`), and the options a mode refuses."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app
from policy_nlp.corpus import annotate_modes as modes
from policy_nlp.errors import DataError

from conftest import SEED_NAMES, seed_text

runner = CliRunner()


def _reports(tmp_path: Path, n: int = 2) -> list[Path]:
    paths = []
    for name in SEED_NAMES[:n]:
        path = tmp_path / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(seed_text(name), encoding="utf-8")
        paths.append(path)
    return paths


def test_the_mode_of_a_command_line(tmp_path):
    (tmp_path / "d.json").mkdir()
    assert modes.annotate_mode(None) == modes.STDOUT
    assert modes.annotate_mode(tmp_path / "o.jsonl") == modes.annotate_mode(tmp_path / "o.PARQUET") == modes.BATCH
    assert modes.annotate_mode(tmp_path / "o.json") == modes.FILE
    assert modes.annotate_mode(tmp_path / "out") == modes.annotate_mode(tmp_path / "d.json") == modes.DIR
    assert modes.annotate_mode(tmp_path / "o.xml", update=True) == modes.UPDATE
    with pytest.raises(DataError) as info:
        modes.annotate_mode(tmp_path / "o.xml")
    assert info.value.code == "E053"


def test_reports_to_stdout_a_file_and_a_directory(tmp_path, char_nlp):
    paths = _reports(tmp_path)
    bad = tmp_path / "in" / "bad.txt"
    bad.write_bytes(bytes(range(128, 256)) * 10)
    got = list(modes.annotate_reports([*paths, bad], None, char_nlp))
    assert [r.doc_id for r in got] == [str(p) for p in (*paths, bad)]
    assert got[0].document.to_dict()["units"] == policy_nlp.annotate(seed_text(SEED_NAMES[0]), nlp=char_nlp).to_dict()["units"]
    assert got[0].target is None and got[2].document is None and "E021" in got[2].error
    out = tmp_path / "out"
    written = list(modes.annotate_reports(paths, out, char_nlp))
    assert [r.target for r in written] == [out / (p.stem + ".json") for p in paths]
    assert json.loads(written[1].target.read_text(encoding="utf-8"))["id"] == str(paths[1])
    one = tmp_path / "one.json"
    (single,) = modes.annotate_reports(paths[:1], one, char_nlp, single_file=True)
    assert single.target == one and json.loads(one.read_text(encoding="utf-8"))["id"] == str(paths[0])
    with pytest.raises(DataError) as info:  # a second document for one file
        list(modes.annotate_reports(paths, tmp_path / "two.json", char_nlp, single_file=True))
    assert info.value.code == "E110"


def test_a_corpus_into_one_jsonl_returns_the_run_summary(tmp_path, char_nlp):
    paths = _reports(tmp_path)
    out = tmp_path / "o.jsonl"
    seen = []
    result = modes.annotate_corpus_file(paths, out, char_nlp, batch_size=1, progress=seen.append)
    assert result["documents"] == 2 and result["failed"] == 0 and not result["all_failed"]
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [str(p) for p in paths]
    assert seen and seen[-1].done == 2
    again = modes.annotate_corpus_file(paths, out, char_nlp)
    assert again["skipped_already_done"] == 2


def test_update_keeps_the_reviewed_units(tmp_path, char_nlp):
    (path,) = [r.target for r in modes.annotate_reports(_reports(tmp_path, 1), tmp_path / "out", char_nlp)]
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["units"][1]["labels"], doc["units"][1]["reviewed"] = ["plans"], True
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (got,) = modes.update_reports([path], None, char_nlp)
    assert got.source == path and got.target == path and got.error is None and got.counts["kept"] == 1
    new = json.loads(path.read_text(encoding="utf-8"))
    assert [(u["start"], u["labels"]) for u in new["units"] if u["reviewed"]] == [(doc["units"][1]["start"], ["plans"])]


@pytest.mark.parametrize("mode, option", [(modes.UPDATE, "--summary"), (modes.UPDATE, "--explain"),
                                          (modes.UPDATE, "--overwrite"), (modes.UPDATE, "--format table"),
                                          (modes.UPDATE, "--engine ray"), (modes.UPDATE, "--max-chars"),
                                          (modes.STDOUT, "--batch-size"), (modes.DIR, "--no-progress"),
                                          (modes.BATCH, "--overwrite"), (modes.STDOUT, "--overwrite-reviewed"),
                                          (modes.FILE, "--format table"), (modes.DIR, "--refresh")])
def test_an_option_of_another_mode_is_refused(mode, option):
    with pytest.raises(DataError) as info:
        modes.refuse_options(mode, {option: True, "--summary": option == "--summary"})
    assert info.value.code == "E110" and option in str(info.value)


@pytest.mark.parametrize("mode, option", [(modes.BATCH, "--batch-size"), (modes.DIR, "--overwrite"),
                                          (modes.FILE, "--overwrite-reviewed"), (modes.STDOUT, "--format table"),
                                          (modes.STDOUT, "--explain"), (modes.BATCH, "--text-column")])
def test_an_option_of_its_own_mode_is_accepted(mode, option):
    modes.refuse_options(mode, {option: True})


@pytest.mark.parametrize("args, option", [(["--update", "--explain"], "--explain"),
                                          (["--update", "--text-column", "body"], "--text-column"),
                                          (["--batch-size", "2"], "--batch-size"),
                                          (["--overwrite"], "--overwrite")])
def test_the_command_refuses_an_option_of_another_mode_before_any_work(tmp_path, args, option):
    (path,) = _reports(tmp_path, 1)
    result = runner.invoke(app, ["annotate", str(path), "--segmenter", "char", *args])
    assert result.exit_code == 2 and "E110" in result.stderr and option in result.stderr
    assert not result.stdout


def test_update_into_a_corpus_file_is_refused_before_the_model_loads(tmp_path):
    """`--update` writes reviewer JSON files: `-o` naming a .jsonl/.parquet file is a usage error, reported
    before the pipeline is loaded (a model folder that does not exist is never looked at)."""
    (path,) = _reports(tmp_path, 1)
    for suffix in (".jsonl", ".parquet"):
        result = runner.invoke(app, ["annotate", str(path), "--update", "-o", str(tmp_path / f"out{suffix}"),
                                     "--model", str(tmp_path / "no_such_model")])
        assert result.exit_code == 2 and "-o is a directory" in result.stderr
        assert "E0" not in result.stderr  # not a model error: the model was not read


def test_one_file_mode_stops_at_the_second_document_without_annotating_the_rest(tmp_path, char_nlp, monkeypatch):
    """`-o FILE.json` takes one document at a time (not the stream's batches of up to 64), so the E110 for a
    second document comes before a third is annotated; the other modes take the stream's batches."""
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(6):
        (folder / f"r{k}.txt").write_text(seed_text(SEED_NAMES[k % len(SEED_NAMES)])[:400], encoding="utf-8")
    themes = char_nlp.get_pipe("policy_nlp_themes")
    real = type(themes).predict
    sizes: list[int] = []
    monkeypatch.setattr(type(themes), "predict", lambda self, docs: sizes.append(len(docs)) or real(self, docs))
    with pytest.raises(DataError) as info:
        list(modes.annotate_reports([folder], tmp_path / "one.json", char_nlp, single_file=True))
    assert info.value.code == "E110" and sizes == [1, 1]
    sizes.clear()
    assert len(list(modes.annotate_reports([folder], None, char_nlp))) == 6 and sizes == [6]
