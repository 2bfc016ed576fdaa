"""`policy_nlp.corpus.task_formats`: Label Studio tasks, its labelling config, doccano JSONL."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from policy_nlp.corpus.review_formats import from_label_studio, label_studio_config
from policy_nlp.corpus.task_formats import doccano_records, label_studio_tasks, write_doccano, write_label_studio

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
