import hashlib
import json
import shutil

import pytest

from policy_nlp.errors import DataError
from policy_nlp.learn.labelled_data import DEFAULT_LABELS, default_data, load_dataset, read_corpus

from conftest import SEED_NAMES, SEED_UNITS, SEEDS

# SHA-256 of the five seed reports as delivered: the repository's copies must be byte for byte the same.
SEED_SHA256 = {
    "000_5ec25145ee5b4dd1.txt": "fff46ae3121aa6cf325cc0dd3141b7ad7765c627deb48be227b17c2ff35c419e",
    "001_29805cf611cff4c1.txt": "ec46d34146d44d6c694f8b603ccf3461ed9c4fa007e55e233810118d4ce71d12",
    "002_4ca8cfc4920ed3ee.txt": "249cf1da0295bd7448fe24e34b537adad8436422cd9738923a6a2a8ce08bc14d",
    "003_8464521e0b384c22.txt": "f6a1aedd2d8cf379527e2fb754f78fe1c4e86fa5310fa090b49bac07bc3b699c",
    "004_09ab2a23c5e0d572.txt": "fd72a5f2656892edcc4ec965546bfa28dc63455cc3c3604ab0e1ada3ac2cb7fb",
}


def test_seed_files_are_unchanged():
    assert SEED_NAMES == sorted(SEED_SHA256)
    for name, digest in SEED_SHA256.items():
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest


@pytest.fixture(scope="module")
def corpus():
    return read_corpus([SEED_UNITS], SEEDS)


HELDOUT_UNITS = SEED_UNITS.parent / "heldout_units.jsonl"


@pytest.fixture(scope="module")
def heldout():
    return read_corpus([HELDOUT_UNITS])


def _assert_every_non_space_character_in_one_unit(corpus):
    for doc, text in corpus.documents.items():
        owner = [0] * len(text)
        for unit in corpus.units_of(doc):
            assert text[unit.start:unit.end] == unit.text
            assert unit.text == unit.text.strip()
            for i in range(unit.start, unit.end):
                owner[i] += 1
        for i, ch in enumerate(text):
            if not ch.isspace():
                assert owner[i] == 1, (doc, i, text[max(0, i - 10):i + 10])


def test_every_non_space_character_lies_in_exactly_one_unit(corpus):
    _assert_every_non_space_character_in_one_unit(corpus)


def test_heldout_reports_are_labelled_whole_and_never_trained_on_by_default(heldout):
    assert sorted(heldout.documents) == ["福田区政府工作报告（2017）_2017.txt", "龙华区2021年政府工作报告_2021.txt"]
    _assert_every_non_space_character_in_one_unit(heldout)
    assert len(heldout.units) == 1087 and all(heldout.label_counts().values())
    assert HELDOUT_UNITS.name not in [p.name for p in default_data()]


def test_all_five_seeds_are_labelled(corpus):
    assert sorted(corpus.documents) == SEED_NAMES
    assert 400 <= len(corpus.units) <= 460


def test_each_label_has_at_least_15_positives(corpus):
    counts = corpus.label_counts()
    assert set(counts) == set(DEFAULT_LABELS)
    for label, n in counts.items():
        assert n >= 15, (label, n)


def test_boilerplate_units_have_no_labels(corpus):
    assert all(not u.labels for u in corpus.units if u.kind == "boilerplate")
    assert sum(u.kind == "boilerplate" for u in corpus.units) >= 20


def test_dataset_columns_and_rows():
    ds = load_dataset([SEED_UNITS], SEEDS)
    assert ds.column_names == ["doc", "start", "end", "text", "kind", "labels"]
    assert len(ds) == len(read_corpus([SEED_UNITS], SEEDS).units)
    row = ds[0]
    assert isinstance(row["labels"], list) and isinstance(row["start"], int)


# -- the validator rejects each kind of bad record -------------------------------------------------------
def _good_lines(n=3):
    return SEED_UNITS.read_text(encoding="utf-8").splitlines()[:n]


def _write(tmp_path, lines):
    path = tmp_path / "units.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _expect(tmp_path, lines, code, line=None, seeds=SEEDS):
    path = _write(tmp_path, lines)
    with pytest.raises(DataError) as info:
        read_corpus([path], seeds)
    assert info.value.code == code
    assert str(path) in str(info.value)
    if line is not None:
        assert f":{line}:" in str(info.value)
    return info.value


def test_rejects_bad_json(tmp_path):
    lines = _good_lines()
    lines[1] = lines[1][:-5]
    _expect(tmp_path, lines, "E030", line=2)


def test_rejects_unknown_label_with_a_hint(tmp_path):
    lines = _good_lines()
    rec = json.loads(lines[2])
    rec["labels"] = ["enforcment"]
    lines[2] = json.dumps(rec, ensure_ascii=False)
    err = _expect(tmp_path, lines, "E031", line=3)
    assert "did you mean 'enforcement'" in str(err)


def test_rejects_offsets_that_do_not_match(tmp_path):
    lines = _good_lines()
    rec = json.loads(lines[0])
    rec["start"] += 1
    lines[0] = json.dumps(rec, ensure_ascii=False)
    _expect(tmp_path, lines, "E032", line=1)


def test_rejects_overlapping_units(tmp_path):
    lines = _good_lines()
    rec = json.loads(lines[0])
    text = (SEEDS / rec["doc"]).read_text(encoding="utf-8")
    rec["start"], rec["end"] = rec["end"] - 3, rec["end"] + 3
    rec["text"] = text[rec["start"]:rec["end"]]
    lines.append(json.dumps(rec, ensure_ascii=False))
    _expect(tmp_path, lines, "E033", line=4)


def test_rejects_a_missing_seed(tmp_path, monkeypatch):
    from policy_nlp.learn import labelled_data

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in SEED_NAMES[1:]:
        shutil.copy(SEEDS / name, seeds / name)
    monkeypatch.setattr(labelled_data, "document_dirs", lambda: [])  # not the packaged folders either
    monkeypatch.chdir(tmp_path)
    err = _expect(tmp_path, _good_lines(), "E034", line=1, seeds=seeds)
    assert "is in none of the document folders" in str(err) and str(seeds) in str(err)


def test_default_data_and_document_folders():
    from policy_nlp.learn.labelled_data import default_data, document_dirs

    assert [p.name for p in default_data()] == ["seed_units.jsonl", "work_report_units.jsonl",
                                                "suggested_units.jsonl"]
    assert all(p.is_file() for p in default_data())
    dirs = document_dirs()
    assert any((d / SEED_NAMES[0]).is_file() for d in dirs)
    assert any(list(d.glob("*work_report.txt")) for d in dirs)
    corpus = read_corpus()
    lines = (SEED_UNITS.parent / "suggested_units.jsonl").read_text(encoding="utf-8").splitlines()
    suggested = {json.loads(line)["doc"] for line in lines}
    assert set(corpus.documents) == set(SEED_NAMES) | {"guangming_newdistrict_2016_work_report.txt",
                                                       "qinghai_2026_work_report.txt"} | suggested
    assert not any("福田" in doc or "龙华" in doc for doc in corpus.documents)  # held-out districts


def test_rejects_duplicate_units(tmp_path):
    lines = _good_lines()
    lines.append(lines[1])
    err = _expect(tmp_path, lines, "E035", line=4)
    assert "first at line 2" in str(err)


def test_rejects_empty_file_and_unit_without_text(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_corpus([empty], SEEDS)
    assert info.value.code == "E036"
    lines = _good_lines()
    rec = json.loads(lines[0])
    rec["text"] = "  "
    lines[0] = json.dumps(rec, ensure_ascii=False)
    _expect(tmp_path, lines, "E037", line=1)


def test_reviewed_units_override_seed_labels(tmp_path, seeds):
    from policy_nlp.corpus.document import AnnotatedDocument, AnnotatedUnit

    corpus = read_corpus([SEED_UNITS], SEEDS)
    name = SEED_NAMES[1]
    unit = next(u for u in corpus.units_of(name)[5:] if u.labels != ["plans"])  # the review changes its labels
    reviewed = AnnotatedDocument(
        text=seeds[name], model={"labels": list(DEFAULT_LABELS)},
        units=[AnnotatedUnit(unit.start, unit.end, unit.text, unit.kind, labels=["plans"], reviewed=True),
               AnnotatedUnit(0, 4, seeds[name][:4], "sentence", labels=["enforcement"])])  # unreviewed: ignored
    path = tmp_path / "review.json"
    path.write_text(reviewed.to_json(), encoding="utf-8")
    merged = read_corpus([SEED_UNITS, path], SEEDS)
    got = [u for u in merged.units_of(name) if (u.start, u.end) == (unit.start, unit.end)]
    assert len(got) == 1 and got[0].labels == ["plans"] and got[0].reviewed
    assert len(merged.units) == len(corpus.units)
    assert any(f"{name}[{unit.start}:{unit.end}]" in line and "overrides" in line and "-> ['plans']" in line
               for line in merged.report)


def test_unreviewed_reviewer_files_in_a_folder_are_one_note_and_a_named_one_a_warning(tmp_path, seeds):
    from policy_nlp.corpus.document import AnnotatedDocument, AnnotatedUnit

    folder = tmp_path / "annotated"
    folder.mkdir()
    for k, name in enumerate(SEED_NAMES[:3]):
        text = seeds[name]
        unit = AnnotatedUnit(0, 4, text[:4], "sentence", labels=["plans"], reviewed=k == 0)
        (folder / f"{k}.json").write_text(AnnotatedDocument(text=text, units=[unit],
                                                            model={"labels": list(DEFAULT_LABELS)}).to_json(),
                                          encoding="utf-8")
    report = read_corpus([SEED_UNITS, folder], SEEDS).report
    assert [line for line in report if "reviewer file" in line or "WARNING" in line] == [
        f"{folder}: 2 reviewer file(s) with no reviewed unit yet add no labels"]
    named = read_corpus([SEED_UNITS, folder / "1.json"], SEEDS).report
    assert [line for line in named if line.startswith("WARNING")] == [
        f"WARNING: {folder / '1.json'}: no unit is marked \"reviewed\": true, so the file adds no labels"]
