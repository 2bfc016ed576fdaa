"""Label Studio and doccano formats: tasks out, exports in, reviews applied to reviewer JSON."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from conftest import SEED_NAMES
from policy_nlp.corpus.document import AnnotatedDocument
from policy_nlp.corpus.review_formats import (FROM_NAME, apply_reviews, doccano_records, from_doccano,
                                              from_label_studio, label_studio_config, label_studio_tasks,
                                              read_review_file, sniff_format, text_sha256, to_doccano,
                                              to_label_studio, write_doccano, write_label_studio)
from policy_nlp.errors import DataError


@pytest.fixture(scope="module")
def doc(char_nlp, seeds):
    import policy_nlp

    d = policy_nlp.annotate(seeds[SEED_NAMES[1]], nlp=char_nlp)
    d.id = f"seeds/{SEED_NAMES[1]}"
    return d


def _annotated(task: dict, labels: list[str], **extra) -> dict:
    out = dict(task)
    out["id"] = extra.pop("id", 1)
    out["annotations"] = [{"id": 7, "completed_by": 1, "was_cancelled": False, "ground_truth": False,
                           "updated_at": "2026-01-01T00:00:00Z",
                           "result": [{"from_name": FROM_NAME, "to_name": "text", "type": "choices",
                                       "value": {"choices": labels}}] if labels else [], **extra}]
    return out


def test_label_studio_tasks_one_per_content_unit_with_predictions(doc):
    tasks = to_label_studio([doc])
    content = [u for u in doc.units if u.kind != "boilerplate"]
    assert len(tasks) == len(content) and len(content) < len(doc.units)  # the seed has page chrome
    sha = text_sha256(doc.text)
    for task, unit in zip(tasks, content):
        data = task["data"]
        assert data["doc"] == SEED_NAMES[1] and data["doc_sha256"] == sha
        assert doc.text[data["start"]:data["end"]] == data["text"] == unit.text
        assert data["predicted"] == unit.labels and set(data["scores"]) == set(doc.labels)
        (pred,) = task["predictions"]
        assert pred["model_version"] == f"{doc.model['name']} {doc.model['version']}" == "zh_reports 0.5.1"
        assert 0.0 <= pred["score"] <= 1.0
        chosen = [c for r in pred["result"] for c in r["value"]["choices"]]
        assert chosen == unit.labels
        assert all(r["from_name"] == FROM_NAME and r["type"] == "choices" for r in pred["result"])
        assert "annotations" not in task
    # context: the neighbours' texts and the section
    k = next(i for i, u in enumerate(content) if u.section)
    assert tasks[k]["data"]["before"] == content[k - 1].text and tasks[k]["data"]["after"] == content[k + 1].text
    assert tasks[k]["data"]["section"] == " › ".join(content[k].section)
    # least sure first: the score is the least sure per-label decision
    u = content[k]
    expected = min(p if label in u.labels else 1 - p for label, p in u.scores.items())
    assert tasks[k]["predictions"][0]["score"] == pytest.approx(expected, abs=1e-6)


def test_labeling_config_names_every_label_and_every_task_field(doc):
    xml = label_studio_config(doc.labels + ("public_legal_service",))
    root = ET.fromstring(xml)
    choices = root.find(".//Choices")
    assert choices.get("name") == FROM_NAME and choices.get("choice") == "multiple"
    assert [c.get("value") for c in choices.findall("Choice")] == list(doc.labels) + ["public_legal_service"]
    data = to_label_studio([doc])[0]["data"]
    for el in root.iter():
        value = el.get("value", "")
        if value.startswith("$"):
            assert value[1:] in data


def test_reviewed_units_go_out_as_annotations(doc):
    d = AnnotatedDocument.from_dict(doc.to_dict())
    target = next(u for u in d.units if u.kind == "sentence")
    target.labels, target.reviewed = ["plans"], True
    tasks = to_label_studio([d])
    task = next(t for t in tasks if t["data"]["start"] == target.start)
    assert task["annotations"][0]["result"][0]["value"]["choices"] == ["plans"]
    assert [u.labels for u in from_label_studio(tasks)] == [["plans"]]


def test_label_studio_json_export_reads_the_latest_submitted_annotation(doc):
    tasks = to_label_studio([doc])
    exported = [_annotated(tasks[0], ["enforcement", "plans"], id=1), tasks[1], _annotated(tasks[2], [], id=3)]
    newer = dict(exported[0]["annotations"][0], id=8, updated_at="2026-02-01T00:00:00Z",
                 result=[{"from_name": FROM_NAME, "to_name": "text", "type": "choices",
                          "value": {"choices": ["shortcomings"]}}])
    cancelled = dict(newer, id=9, updated_at="2026-03-01T00:00:00Z", was_cancelled=True)
    exported[0]["annotations"] += [newer, cancelled]
    units = from_label_studio(exported)
    assert [(u.start, u.labels) for u in units] == [(tasks[0]["data"]["start"], ["shortcomings"]),
                                                    (tasks[2]["data"]["start"], [])]  # no annotation: not reviewed
    assert units[0].doc_sha256 == text_sha256(doc.text) and units[0].line == "task 1"


def test_label_studio_json_min_export(doc):
    task = to_label_studio([doc])[0]["data"]
    flat = {**task, "id": 5, "annotator": "a@b.c", FROM_NAME: {"choices": ["plans", "enforcement"]}}
    single = {**to_label_studio([doc])[1]["data"], "id": 6, FROM_NAME: "plans"}
    units = from_label_studio([flat, single])
    assert [u.labels for u in units] == [["plans", "enforcement"], ["plans"]]
    assert units[0].annotator == "a@b.c"


def test_label_studio_errors_name_the_task(tmp_path, doc):
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"tasks": []}), encoding="utf-8")
    with pytest.raises(DataError) as err:
        from_label_studio(path)
    assert err.value.code == "E132"
    task = _annotated(to_label_studio([doc])[0], ["plans"], id=42)
    del task["data"]["start"]
    with pytest.raises(DataError) as err:
        from_label_studio([task], path)
    assert err.value.code == "E133" and "task 42" in str(err.value) and "start" in str(err.value)


def test_doccano_records_round_trip(tmp_path, doc):
    records = to_doccano([doc])
    content = [u for u in doc.units if u.kind != "boilerplate"]
    assert len(records) == len(content)
    assert all(set(r) >= {"text", "label", "doc", "start", "end", "kind", "doc_sha256"} for r in records)
    assert [r["label"] for r in records] == [u.labels for u in content]
    # doccano ≥ 1.6 exports metadata at the top level with an id; older versions under "meta"
    exported = [{"id": 1, **records[0], "label": ["plans"]},
                {"id": 2, "text": records[1]["text"], "label": [],
                 "meta": {k: v for k, v in records[1].items() if k not in ("text", "label")}}]
    path = tmp_path / "doccano.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exported), encoding="utf-8")
    assert sniff_format(path) == "doccano"
    fmt, units = read_review_file(path)
    assert fmt == "doccano" and [u.labels for u in units] == [["plans"], []]
    assert [u.start for u in units] == [records[0]["start"], records[1]["start"]]


def test_doccano_errors_name_the_line(tmp_path, doc):
    rec = to_doccano([doc])[0]
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({**rec, "label": [[0, 2, "ORG"]]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        from_doccano(path)
    assert err.value.code == "E134" and ":1:" in str(err.value)
    rec.pop("doc")
    path.write_text("\n" + json.dumps(rec) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        from_doccano(path)
    assert err.value.code == "E134" and ":2:" in str(err.value) and "doc" in str(err.value)


def test_apply_reviews_sets_labels_and_marks_reviewed(doc):
    d = AnnotatedDocument.from_dict(doc.to_dict())
    tasks = to_label_studio([d])
    units = from_label_studio([_annotated(tasks[1], ["plans"], id=1), _annotated(tasks[3], [], id=2)])
    out, counts = apply_reviews(d, units)
    reviewed = [u for u in out.units if u.reviewed]
    assert [(u.start, u.labels) for u in reviewed] == [(tasks[1]["data"]["start"], ["plans"]),
                                                       (tasks[3]["data"]["start"], [])]
    assert counts["reviewed"] == 2 and len(out.units) == len(doc.units)
    # a reviewed span the document does not have replaces the units it overlaps
    a, b = [u for u in out.units if u.kind == "sentence"][4:6]
    merged = type(units[0])(a.start, b.end, out.text[a.start:b.end], "sentence", labels=["enforcement"],
                            doc=units[0].doc)
    out2, counts = apply_reviews(out, [merged])
    assert counts == {"reviewed": 1, "changed": 1, "replaced": 2 + sum(a.end <= u.start < b.start for u in out.units
                                                                      if u not in (a, b)), "added": 1}
    assert any((u.start, u.end, u.reviewed) == (a.start, b.end, True) for u in out2.units)
    AnnotatedDocument.from_dict(out2.to_dict())  # still valid reviewer JSON


# -- tasks from unit records (suggest) -------------------------------------------------------------------
UNIT = {"doc": "a.txt", "start": 3, "end": 9, "text": "加强执法监督。", "kind": "sentence",
        "section": ["一、执法", "(一)监督"], "labels": ["enforcement"], "scores": {"enforcement": 0.6},
        "margin": 0.175, "rank": 1}


def test_label_studio_task_with_a_pre_annotation():
    (task,) = label_studio_tasks([UNIT], model_version="m-1")
    assert task["data"] == {"text": "加强执法监督。", "before": "—", "after": "—", "section": "一、执法 › (一)监督",
                            "doc": "a.txt", "start": 3, "end": 9, "kind": "sentence", "rank": 1}
    assert task["predictions"] == [{"model_version": "m-1", "score": 0.175, "result": [
        {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": ["enforcement"]}}]}]
    assert "predictions" not in label_studio_tasks([{"text": "x"}])[0]


def test_the_tasks_fit_the_one_labelling_config_and_come_back_with_the_reviewers_labels():
    """`suggest` tasks and `export` tasks share one config: a choice made in it is read back by import/training."""
    root = ET.fromstring(label_studio_config(["enforcement", "plans"]))
    (choices,) = root.iter("Choices")
    (task,) = label_studio_tasks([{**UNIT, "doc_sha256": "ab" * 32, "before": "上一句。"}])
    names = {t.get("value")[1:] for t in root.iter() if (t.get("value") or "").startswith("$")}
    assert names <= set(task["data"]) and task["predictions"][0]["result"][0]["from_name"] == choices.get("name")
    exported = [{**task, "id": 7, "annotations": [{"result": [{"from_name": choices.get("name"), "to_name": "text",
                                                              "type": "choices", "value": {"choices": ["plans"]}}],
                                                  "was_cancelled": False}]}]
    (unit,) = from_label_studio(exported)
    assert (unit.doc, unit.start, unit.end, unit.labels, unit.doc_sha256) == ("a.txt", 3, 9, ["plans"], "ab" * 32)


def test_doccano_and_the_writers(tmp_path):
    assert doccano_records([UNIT]) == [{"text": "加强执法监督。", "label": ["enforcement"], "doc": "a.txt", "start": 3,
                                        "end": 9, "section": ["一、执法", "(一)监督"]}]
    assert write_label_studio([UNIT, UNIT], tmp_path / "t.json") == 2
    assert len(json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))) == 2
    assert write_doccano([UNIT], tmp_path / "d.jsonl") == 1
    assert json.loads((tmp_path / "d.jsonl").read_text(encoding="utf-8"))["label"] == ["enforcement"]
    assert not list(tmp_path.glob("*.tmp"))
