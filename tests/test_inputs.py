"""Reading inputs: encodings, directories, JSONL/CSV/Parquet tables through `datasets`, ids."""
from __future__ import annotations

import json
from pathlib import Path
import random

import pytest

import policy_nlp
from policy_nlp.errors import PolicyNLPError
from policy_nlp.corpus.decoding import decode_bytes
from policy_nlp.corpus.inputs import iter_ids, iter_inputs

from conftest import SEED_NAMES, seed_text

TEXT = seed_text(SEED_NAMES[1])


def _undecodable() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(3000))


def test_gb18030_and_gbk_files_are_decoded(tmp_path):
    (tmp_path / "gb.txt").write_bytes(TEXT.encode("gb18030"))
    (tmp_path / "gbk.txt").write_bytes(TEXT.encode("gbk"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert policy_nlp.read_text(tmp_path / "gb.txt") == TEXT
    docs = {d.id: d for d in iter_inputs([tmp_path])}
    assert docs[str(tmp_path / "gb.txt")].text == TEXT
    assert docs[str(tmp_path / "gb.txt")].encoding == "gb18030"
    assert docs[str(tmp_path / "gbk.txt")].text == TEXT
    assert docs[str(tmp_path / "bom.txt")].text == TEXT
    assert all(d.error is None for d in docs.values())


def test_undecodable_file_is_reported_with_its_name(tmp_path):
    bad = tmp_path / "garbled_report.txt"
    bad.write_bytes(_undecodable())
    with pytest.raises(PolicyNLPError) as info:
        policy_nlp.read_text(bad)
    assert info.value.code == "E021" and "garbled_report.txt" in str(info.value)
    [doc] = iter_inputs([bad])
    assert doc.text is None and doc.error.startswith("[E021]") and "garbled_report.txt" in doc.error


def test_directory_is_read_recursively_with_ids_as_found(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("第一份报告。", encoding="utf-8")
    (tmp_path / "a" / "b" / "two.txt").write_text("第二份报告。", encoding="utf-8")
    (tmp_path / "a" / "notes.md").write_text("not a report", encoding="utf-8")
    given = str(tmp_path / "a")
    found = list(iter_inputs([given]))
    docs = [d for d in found if not d.skipped]
    assert [d.id for d in docs] == [f"{given}/b/two.txt", f"{given}/one.txt"]
    assert [d.text for d in docs] == ["第二份报告。", "第一份报告。"]
    assert list(iter_ids([given])) == [d.id for d in docs]
    skipped = [d for d in found if d.skipped]  # listed with what it is, never read as a report
    assert [d.id for d in skipped] == [f"{given}/notes.md"] and skipped[0].error.startswith("[E024]")
    assert "a '.md' file" in skipped[0].error


def test_missing_file_is_an_error_document(tmp_path):
    [doc] = iter_inputs([tmp_path / "nope.txt"])
    assert doc.text is None and "[E057]" in doc.error and "nope.txt" in doc.error


def _rows():
    return [{"doc_id": f"r{i}", "body": f"第{i}条 本办法规定行政执法工作。"} for i in range(4)]


def _write_table(path, rows):
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        import csv

        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_tables_with_and_without_id_column(tmp_path, suffix):
    path = _write_table(tmp_path / f"t{suffix}", _rows())
    with_ids = list(iter_inputs([path], text_column="body", id_column="doc_id"))
    assert [d.id for d in with_ids] == ["r0", "r1", "r2", "r3"]
    assert [d.text for d in with_ids] == [r["body"] for r in _rows()]
    default = list(iter_inputs([path], text_column="body"))
    assert [d.id for d in default] == [f"{path}#{i}" for i in range(4)]
    # stable across reruns (resume relies on it), and iter_ids agrees without reading the texts
    assert [d.id for d in iter_inputs([path], text_column="body")] == [d.id for d in default]
    assert list(iter_ids([path])) == [d.id for d in default]
    assert list(iter_ids([path], id_column="doc_id")) == ["r0", "r1", "r2", "r3"]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_wrong_column_names_the_columns(tmp_path, suffix):
    path = _write_table(tmp_path / f"t{suffix}", _rows())
    with pytest.raises(PolicyNLPError) as info:
        list(iter_inputs([path], text_column="text"))
    assert info.value.code == "E051" and "body" in str(info.value)


def test_a_malformed_jsonl_row_is_one_error_record_and_loses_no_other_row(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "第一条。"}\n{broken\n[1, 2]\n{"text": "第二条。"}\n', encoding="utf-8")
    docs = list(iter_inputs([path, _write_table(tmp_path / "ok.jsonl", [{"text": "好。"}])]))
    assert [d.text for d in docs] == ["第一条。", None, None, "第二条。", "好。"]
    assert docs[1].id == f"{path}#1" and docs[1].error.startswith("[E111]") and "row 1" in docs[1].error
    assert docs[2].error.startswith("[E111]") and "a JSON list" in docs[2].error
    assert list(iter_ids([path])) == [d.id for d in docs[:4]]


def test_duplicate_and_missing_ids_stay_unique(tmp_path):
    rows = [{"id": "a", "text": "一。"}, {"id": "a", "text": "二。"}, {"id": None, "text": "三。"},
            {"id": "b", "text": 5}]
    path = _write_table(tmp_path / "t.jsonl", rows)
    docs = list(iter_inputs([path], id_column="id"))
    assert [d.id for d in docs] == ["a", "a#2", f"{path}#2", "b"]
    assert docs[3].text is None and docs[3].error.startswith("[E059]")
    assert list(iter_ids([path], id_column="id")) == [d.id for d in docs]


def test_utf32_is_decoded_and_shift_jis_is_refused(tmp_path):
    text = "法治政府建设情况报告。\n一、主要举措\n"
    for encoding in ("utf-32", "utf-32-le", "utf-32-be"):
        data = text.encode(encoding)
        if encoding != "utf-32":
            data = ("\ufeff" + text).encode(encoding)
        assert decode_bytes(data) == (text, "utf-32")
    with pytest.raises(UnicodeDecodeError):
        decode_bytes(text.encode("utf-32-le"))  # no BOM: NULs everywhere, refused rather than mangled
    japanese = tmp_path / "ja.txt"
    japanese.write_bytes("法治政府の建設について、次のとおり報告します。".encode("shift_jis"))
    with pytest.raises(PolicyNLPError) as info:
        policy_nlp.read_text(japanese)
    assert info.value.code == "E108" and "SHIFT_JIS" in str(info.value)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(text.encode("gb18030"))
    assert policy_nlp.read_text(gbk) == text


def test_special_entries_of_a_directory_become_error_records(tmp_path):
    import os

    root = tmp_path / "d"
    root.mkdir()
    (root / "a.txt").write_text("依法行政。", encoding="utf-8")
    (root / "dangling.txt").symlink_to(root / "missing.txt")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    os.mkfifo(root / "pipe.txt")
    docs = {Path(d.id).name: d for d in iter_inputs([root])}
    assert docs["a.txt"].text == "依法行政。"
    assert docs["dangling.txt"].error.startswith("[E107]") and "missing" in docs["dangling.txt"].error
    assert docs["loop.txt"].error.startswith("[E107]") and "loop" in docs["loop.txt"].error
    assert docs["pipe.txt"].error.startswith("[E106]") and "FIFO" in docs["pipe.txt"].error
    assert [Path(i).name for i in iter_ids([root])] == sorted(docs)
    with pytest.raises(PolicyNLPError) as info:  # given directly: refused at once, never a hang
        policy_nlp.read_text(root / "pipe.txt")
    assert info.value.code == "E106"
