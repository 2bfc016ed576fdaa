"""`policy-nlp annotate` and `policy-nlp download` through typer's CliRunner (in-process, fast)."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app

from conftest import SEED_NAMES, seed_text

runner = CliRunner()


def _corpus(tmp_path: Path, names=SEED_NAMES[:2]) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for i, name in enumerate(names):
        (corpus / ("sub" if i else "") / name).write_text(seed_text(name), encoding="utf-8")
    return corpus


def test_annotate_one_file_prints_reviewer_json(tmp_path, char_nlp):
    path = tmp_path / "report.txt"
    path.write_bytes(seed_text(SEED_NAMES[0]).encode("gb18030"))
    result = runner.invoke(app, ["annotate", str(path), "--segmenter", "char"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["id"] == str(path) and doc["text"] == seed_text(SEED_NAMES[0])
    assert doc["units"] == policy_nlp.annotate(seed_text(SEED_NAMES[0]), nlp=char_nlp).to_dict()["units"]


def test_annotate_directory_to_one_json_per_input(tmp_path):
    corpus = _corpus(tmp_path)
    (corpus / "bad.txt").write_bytes(bytes(range(128, 256)) * 10)
    out = tmp_path / "out"
    result = runner.invoke(app, ["annotate", str(corpus), "-o", str(out), "--segmenter", "char"])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    # named after the path relative to the input folder: sub/001_….txt → sub__001_….json
    assert written == sorted([Path(SEED_NAMES[0]).stem + ".json", "sub__" + Path(SEED_NAMES[1]).stem + ".json"])
    ids = {json.loads(p.read_text(encoding="utf-8"))["id"] for p in out.iterdir()}
    assert ids == {str(corpus / SEED_NAMES[0]), str(corpus / "sub" / SEED_NAMES[1])}
    assert "bad.txt" in result.stderr and "E021" in result.stderr


def test_annotate_jsonl_with_progress_summary_and_errors(tmp_path):
    corpus = _corpus(tmp_path)
    (corpus / "zz_bad.txt").write_bytes(bytes(range(128, 256)) * 10)
    out, summary = tmp_path / "o.jsonl", tmp_path / "s.csv"
    result = runner.invoke(app, ["annotate", str(corpus), "-o", str(out), "--segmenter", "char",
                                 "--n-process", "2", "--summary", str(summary)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [str(corpus / SEED_NAMES[0]), str(corpus / "sub" / SEED_NAMES[1]),
                                          str(corpus / "zz_bad.txt")]
    assert report["documents"] == 3 and report["failed"] == 1
    assert report["units"] == sum(len(r.get("units", [])) for r in records)
    assert report["errors"][0]["id"] == str(corpus / "zz_bad.txt")
    assert "3/3" in result.stderr and "chars/s" in result.stderr and "doc/s" in result.stderr
    assert len(summary.read_text(encoding="utf-8").splitlines()) == 4
    again = runner.invoke(app, ["annotate", str(corpus), "-o", str(out), "--segmenter", "char"])
    assert again.exit_code == 0 and json.loads(again.stdout)["skipped_already_done"] == 3
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_annotate_table_to_parquet(tmp_path):
    import pyarrow.parquet as pq

    table = tmp_path / "t.jsonl"
    lines = [line for line in seed_text(SEED_NAMES[4]).splitlines() if line.strip()][:4]
    table.write_text("".join(json.dumps({"key": f"k{i}", "body": t}, ensure_ascii=False) + "\n"
                             for i, t in enumerate(lines)), encoding="utf-8")
    out = tmp_path / "o.parquet"
    result = runner.invoke(app, ["annotate", str(table), "-o", str(out), "--segmenter", "char",
                                 "--text-column", "body", "--id-column", "key"])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out).to_pylist()
    assert [r["id"] for r in rows] == ["k0", "k1", "k2", "k3"]
    assert [json.loads(r["document"])["text"] for r in rows] == lines
    wrong = runner.invoke(app, ["annotate", str(table), "-o", str(tmp_path / "x.jsonl"), "--segmenter", "char"])
    assert wrong.exit_code == 2 and "E051" in wrong.stderr


def test_exit_code_non_zero_only_when_every_document_failed(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(128, 256)) * 10)
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    for output in (["-o", str(tmp_path / "o.jsonl")], ["-o", str(tmp_path / "dir")], []):
        result = runner.invoke(app, ["annotate", str(bad), str(empty), "--segmenter", "char", *output])
        assert result.exit_code == 1, (output, result.output)
        assert "E052" in result.stderr
    good = tmp_path / "good.txt"
    good.write_text("一、工作成效\n依法行政。\n", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(bad), str(good), "--segmenter", "char",
                                 "-o", str(tmp_path / "o2.jsonl")])
    assert result.exit_code == 0 and json.loads(result.stdout)["failed"] == 1


def test_unknown_output_format(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("依法行政。", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(path), "-o", str(tmp_path / "out.xml"), "--segmenter", "char"])
    assert result.exit_code == 2 and "E053" in result.stderr


def test_download_uses_the_cache_and_checks_a_given_wheel(tmp_path, monkeypatch):
    from policy_nlp.components import pkuseg_model

    monkeypatch.setenv("POLICY_NLP_CACHE", str(tmp_path / "cache"))
    wheel = tmp_path / "pkuseg-0.0.25-cp37-cp37m-manylinux1_x86_64.whl"
    wheel.write_bytes(b"not a wheel")
    result = runner.invoke(app, ["download", "--wheel", str(wheel)])
    assert result.exit_code == 2 and "E011" in result.stderr
    assert not pkuseg_model.is_model_dir(pkuseg_model.default_model_dir())
    target = pkuseg_model.default_model_dir()
    target.mkdir(parents=True)
    for name in ("features.msgpack", "weights.npz"):
        (target / name).write_bytes(b"x")
    assert pkuseg_model.is_model_dir(target)
    result = runner.invoke(app, ["download"])
    assert result.exit_code == 0 and "already cached" in result.stdout


def test_options_that_would_be_ignored_are_refused(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("依法行政。", encoding="utf-8")
    for extra in (["--summary", str(tmp_path / "s.csv")], ["-o", str(tmp_path / "d"), "--format", "table"],
                  ["--refresh"]):
        result = runner.invoke(app, ["annotate", str(path), "--segmenter", "char", *extra])
        assert result.exit_code == 2 and "E110" in result.stderr, extra


def test_several_documents_on_stdout_are_jsonl_and_one_report_goes_to_a_json_file(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("一、依法行政\n加强行政执法。", encoding="utf-8")
    b.write_text("化解矛盾纠纷。", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(a), str(b), "--segmenter", "char"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [a.read_text(encoding="utf-8"), "化解矛盾纠纷。"]
    one = json.loads(runner.invoke(app, ["annotate", str(b), "--segmenter", "char"]).stdout)
    assert one["text"] == "化解矛盾纠纷。"
    result = runner.invoke(app, ["annotate", str(a), "-o", str(tmp_path / "one.json"), "--segmenter", "char"])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))["text"] == a.read_text(encoding="utf-8")


def test_a_failed_document_prints_its_fix(tmp_path):
    empty = tmp_path / "e.txt"
    empty.write_text("  ", encoding="utf-8")
    ok = tmp_path / "ok.txt"
    ok.write_text("依法行政。", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(empty), str(ok), "--segmenter", "char"])
    assert result.exit_code == 0 and "[E056]" in result.stderr and "Fix: Remove the empty document" in result.stderr


def test_the_offline_fix_names_the_pip_download_line_and_the_char_segmenter():
    from policy_nlp.components import pkuseg_model
    from policy_nlp.errors import SegmenterModelError

    text = str(SegmenterModelError("E010", model="default", cache="C", reason="offline"))
    assert pkuseg_model.offline_command() in text and "--segmenter char" in text
    assert "pip download pkuseg==0.0.25 --no-deps --only-binary=:all: --platform manylinux1_x86_64" in text


def test_indicators_command_writes_the_long_and_the_wide_table(tmp_path):
    import csv

    from typer.testing import CliRunner

    from policy_nlp.cli import app

    report = tmp_path / "r.txt"
    report.write_text("2024年法治政府建设情况报告\n一、主要成效\n全年办理行政复议案件319件，同比增长87.5%。"
                      "行政机关负责人出庭应诉率100%。\n", encoding="utf-8")
    out, wide = tmp_path / "t.csv", tmp_path / "w.csv"
    result = CliRunner().invoke(app, ["indicators", str(report), "-o", str(out), "--pivot", str(wide)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    got = {r["canonical"]: r for r in rows}
    case = got["dispute_resolution.admin_reconsideration_cases"]
    assert (float(case["value"]), case["unit"], case["change_direction"], float(case["change_value"])) == \
        (319.0, "件", "increase", 87.5)
    assert report.read_text(encoding="utf-8")[int(case["start"]):int(case["end"])] == "319件"
    assert float(got["dispute_resolution.court_appearance_rate"]["value"]) == 100.0
    pivot = list(csv.DictReader(wide.open(encoding="utf-8")))
    assert len(pivot) == 1 and pivot[0]["year"] == "2024"
    assert float(pivot[0]["dispute_resolution.admin_reconsideration_cases"]) == 319.0
def test_annotate_directory_refuses_to_overwrite_then_update_keeps_reviews(tmp_path, tiny_model):
    corpus = _corpus(tmp_path, SEED_NAMES[:1])
    out = tmp_path / "out"
    args = ["annotate", str(corpus), "-o", str(out), "--segmenter", "char"]
    assert runner.invoke(app, args).exit_code == 0
    path = out / (Path(SEED_NAMES[0]).stem + ".json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["model"]["name"] == "zh_reports" and all(u["reviewed"] is False for u in doc["units"])
    doc["units"][1]["labels"], doc["units"][1]["reviewed"] = ["plans"], True
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    kept = path.read_bytes()
    for extra in ([], ["--overwrite"]):
        result = runner.invoke(app, args + ["--model", str(tiny_model)] + extra)
        assert result.exit_code == 1 and "E130" in result.stderr and "--update" in result.stderr
        assert path.read_bytes() == kept
    result = runner.invoke(app, ["annotate", "--update", str(path), "--model", str(tiny_model), "--segmenter", "char"])
    assert result.exit_code == 0, result.output
    assert "1 reviewed unit(s) kept" in result.stderr
    new = json.loads(path.read_text(encoding="utf-8"))
    assert new["model"]["name"] == "zh_reports_custom"  # the model that made it
    assert [(u["start"], u["labels"]) for u in new["units"] if u["reviewed"]] == [(doc["units"][1]["start"], ["plans"])]
    result = runner.invoke(app, args + ["--overwrite-reviewed"])
    assert result.exit_code == 0 and not any(u["reviewed"] for u in json.loads(path.read_text("utf-8"))["units"])


def test_export_and_import_commands(tmp_path):
    corpus = _corpus(tmp_path, SEED_NAMES[:1])
    out = tmp_path / "out"
    assert runner.invoke(app, ["annotate", str(corpus), "-o", str(out), "--segmenter", "char"]).exit_code == 0
    result = runner.invoke(app, ["export", str(out), "-o", str(tmp_path / "tasks.json"), "--format", "label-studio"])
    assert result.exit_code == 0, result.output
    assert "Labeling Interface" in result.stderr and (tmp_path / "tasks.xml").is_file()
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    task = dict(tasks[2], id=3, annotations=[{"id": 1, "was_cancelled": False, "result": [
        {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": ["shortcomings"]}}]}])
    (tmp_path / "export.json").write_text(json.dumps([task, tasks[3]], ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["import", str(tmp_path / "export.json"), "--documents", str(out), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / (Path(SEED_NAMES[0]).stem + ".json")).read_text(encoding="utf-8"))
    assert [(u["start"], u["labels"]) for u in doc["units"] if u["reviewed"]] == [(task["data"]["start"], ["shortcomings"])]
    result = runner.invoke(app, ["export", str(out), "-o", str(tmp_path / "d.jsonl"), "--format", "doccano"])
    assert result.exit_code == 0 and len((tmp_path / "d.jsonl").read_text("utf-8").splitlines()) == len(tasks)
    result = runner.invoke(app, ["export", str(out), "-o", str(tmp_path / "d.jsonl"), "--format", "doccano"])
    assert result.exit_code == 2 and "E139" in result.stderr
    result = runner.invoke(app, ["import", str(tmp_path / "tasks.json"), "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "E138" in result.stderr
