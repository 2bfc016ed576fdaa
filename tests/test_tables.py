"""Tables researchers open: stable ids, region/year/kind columns, CSV with BOM, .xlsx, Parquet, the long table."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SEED_NAMES, seed_text
from policy_nlp.cli import app
from policy_nlp.corpus.batch import annotate_corpus
from policy_nlp.corpus.tables import stable_ids, write_rows, write_tables
from policy_nlp.errors import DataError

WORK = ("各位代表：\n现在，我代表福田区人民政府向大会报告工作，请予审议。\n一、2018年工作回顾\n"
        "全年办理行政复议案件319件。加强行政执法监督。\n")


def test_stable_ids_do_not_depend_on_the_working_directory(tmp_path):
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    ids = [f"{folder}/a.txt", f"{folder}/sub/b.txt"]
    assert stable_ids(ids, roots=[folder]) == {ids[0]: "a.txt", ids[1]: "sub/b.txt"}
    for prefix in ("../x/reports", "reports", "/abs/reports"):  # the same corpus seen from elsewhere
        typed = [f"{prefix}/a.txt", f"{prefix}/sub/b.txt"]
        assert list(stable_ids(typed).values()) == ["a.txt", "sub/b.txt"]
    assert stable_ids(["../far/away/one.txt"]) == {"../far/away/one.txt": "one.txt"}
    assert stable_ids(["r1", "r2"]) == {"r1": "r1", "r2": "r2"}  # an id column's values stay
    mixed = ["/abs/unlabelled/x.txt", "seeds/y.txt"]  # no shared folder: the file names
    assert stable_ids(mixed) == {mixed[0]: "x.txt", mixed[1]: "y.txt"}
    assert stable_ids(["/abs/a/x.txt", "b/x.txt"]) == {"/abs/a/x.txt": "/abs/a/x.txt", "b/x.txt": "b/x.txt"}
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    twins = [f"{tmp_path}/a/x.txt", f"{tmp_path}/b/x.txt"]
    assert stable_ids(twins, roots=[tmp_path / "a", tmp_path / "b"]) == {t: t for t in twins}  # a clash keeps both


def test_write_rows_csv_with_bom_xlsx_and_parquet_keep_text_as_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [{"id": "福田区.txt", "text": "=HYPERLINK(\"http://x\")", "n": 3, "share": 0.25, "year": None},
            {"id": "b", "text": "-负数", "n": 4, "share": 1, "year": 2019}]
    write_rows(rows, tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "福田区".encode() in raw
    got = list(csv.DictReader((tmp_path / "t.csv").open(encoding="utf-8-sig")))
    assert got[0]["text"] == "'=HYPERLINK(\"http://x\")" and got[1]["text"] == "'-负数" and got[0]["year"] == ""
    write_rows(rows, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert [c.value for c in sheet[1]] == ["id", "text", "n", "share", "year"]
    assert sheet["B2"].value == "=HYPERLINK(\"http://x\")" and sheet["B2"].data_type == "s"  # never a formula
    assert sheet["A2"].value == "福田区.txt" and sheet["C2"].value == 3 and sheet["D3"].value == 1
    write_rows(rows, tmp_path / "t.parquet")
    table = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert table[1] == {"id": "b", "text": "-负数", "n": 4, "share": 1.0, "year": 2019}
    with pytest.raises(DataError) as err:
        write_rows(rows, tmp_path / "t.ods")
    assert err.value.code == "E173" and not (tmp_path / "t.ods").exists()


def _annotated(tmp_path, char_nlp) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for name in SEED_NAMES[:2]:
        (corpus / name).write_text(seed_text(name), encoding="utf-8")
    (corpus / "2019年福田区政府工作报告_2019.txt").write_text(WORK, encoding="utf-8")
    out = tmp_path / "corpus.jsonl"
    annotate_corpus([corpus], out, nlp=char_nlp)
    return out


def test_tables_command_summary_units_indicators_and_overrides(tmp_path, char_nlp):
    openpyxl = pytest.importorskip("openpyxl")
    out = _annotated(tmp_path, char_nlp)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records[2]["metadata"]["region"] == {"value": "福田区", "source": "opening",
                                                "evidence": "我代表福田区人民政府"}
    meta = tmp_path / "meta.csv"
    meta.write_text("id,region,kind\n001_29805cf611cff4c1.txt,郑州市金水区,other\n", encoding="utf-8")
    summary, units, ind, wide = (tmp_path / n for n in ("s.xlsx", "u.csv", "i.csv", "p.csv"))
    result = CliRunner().invoke(app, ["tables", str(out), "--summary", str(summary), "--units", str(units),
                                      "--indicators", str(ind), "--pivot", str(wide), "--metadata", str(meta)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(summary).active
    rows = [dict(zip([c.value for c in sheet[1]], [c.value for c in r])) for r in sheet.iter_rows(min_row=2)]
    assert [(r["id"], r["region"], r["year"], r["kind"]) for r in rows] == [
        (SEED_NAMES[0], "延庆区", 2024, "rule_of_law_report"), (SEED_NAMES[1], "郑州市金水区", 2023, "other"),
        ("2019年福田区政府工作报告_2019.txt", "福田区", 2018, "government_work_report")]
    assert "region:csv" in rows[1]["metadata_sources"] and rows[2]["path"] == records[2]["id"]
    long = list(csv.DictReader(units.open(encoding="utf-8-sig")))
    assert len(long) == sum(len(r["units"]) for r in records)
    first = records[0]["units"][0]
    assert long[0]["text"] == first["text"] and long[0]["labels"] == ";".join(first["labels"])
    assert float(long[0]["enforcement_score"]) == pytest.approx(first["scores"]["enforcement"])
    assert {r["region"] for r in long} == {"延庆区", "郑州市金水区", "福田区"}
    indicators = list(csv.DictReader(ind.open(encoding="utf-8-sig")))
    case = next(r for r in indicators if r["canonical"] == "dispute_resolution.admin_reconsideration_cases"
                and r["id"].startswith("2019"))
    assert (case["region"], case["year"], case["kind"], case["value"]) == ("福田区", "2018", "government_work_report",
                                                                          "319")
    pivot = list(csv.DictReader(wide.open(encoding="utf-8-sig")))
    assert [r["region"] for r in pivot][-1] == "福田区"


def test_tables_errors(tmp_path):
    empty = tmp_path / "e.jsonl"
    empty.write_text(json.dumps({"schema": "policy_nlp.document/v1", "id": "x", "error": "[E021] …"}) + "\n",
                     encoding="utf-8")
    with pytest.raises(DataError) as err:
        write_tables([empty], summary=tmp_path / "s.csv")
    assert err.value.code == "E174"
    result = CliRunner().invoke(app, ["tables", str(empty), "--summary", str(tmp_path / "s.csv")])
    assert result.exit_code != 0 and "E174" in result.output


def test_annotate_summary_as_xlsx_with_metadata_overrides(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "2019年福田区政府工作报告_2019.txt").write_text(WORK, encoding="utf-8")
    meta = tmp_path / "meta.csv"
    meta.write_text("id,year\n2019年福田区政府工作报告_2019.txt,2017\n", encoding="utf-8")
    out, summary = tmp_path / "o.jsonl", tmp_path / "s.xlsx"
    base = ["annotate", str(corpus), "-o", str(out), "--segmenter", "char", "--no-progress"]
    refused = CliRunner().invoke(app, base + ["--metadata", str(meta)])
    assert refused.exit_code != 0 and "E110" in refused.output and not out.exists()
    result = CliRunner().invoke(app, base + ["--summary", str(summary), "--metadata", str(meta)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(summary).active
    row = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]]))
    assert (row["id"], row["region"], row["year"]) == ("2019年福田区政府工作报告_2019.txt", "福田区", 2017)
    assert "year:csv" in row["metadata_sources"] and "region:opening" in row["metadata_sources"]


def test_tables_refuse_what_is_not_annotated(tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text(json.dumps({"text": "未标注的报告。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    for bad in (texts, tmp_path / "missing.jsonl", tmp_path / "report.txt"):
        with pytest.raises(DataError) as err:
            write_tables([bad], summary=tmp_path / "s.csv")
        assert err.value.code == "E175"
    assert not (tmp_path / "s.csv").exists()


def test_failed_and_boilerplate_only_records_get_empty_share_cells(tmp_path):
    from policy_nlp.corpus.tables import summary_rows, write_rows

    records = [{"id": "bad.txt", "error": "[E056] Document 'bad.txt' is empty: nothing to annotate."},
               {"id": "nav.txt", "text": "首页", "units": [{"kind": "boilerplate", "labels": []}]},
               {"id": "ok.txt", "text": "加强执法。", "units": [{"kind": "sentence", "labels": ["plans"]}]}]
    rows = list(summary_rows(records, ["plans"]))
    assert [r["plans_share"] for r in rows] == [None, None, 1.0]
    write_rows(rows, tmp_path / "s.csv")
    import csv

    with open(tmp_path / "s.csv", encoding="utf-8-sig") as fh:
        assert [r["plans_share"] for r in csv.DictReader(fh)] == ["", "", "1.0"]
