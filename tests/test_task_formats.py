"""`policy_nlp.corpus.task_formats`: Label Studio tasks, its labelling config, doccano JSONL."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from policy_nlp.corpus.task_formats import (doccano_records, label_studio_config, label_studio_tasks,
                                            write_doccano, write_label_studio)

UNIT = {"doc": "a.txt", "start": 3, "end": 9, "text": "加强执法监督。", "kind": "sentence",
        "section": ["一、执法", "(一)监督"], "labels": ["enforcement"], "scores": {"enforcement": 0.6},
        "margin": 0.175, "rank": 1}


def test_label_studio_task_with_a_pre_annotation():
    (task,) = label_studio_tasks([UNIT], model_version="m-1")
    assert task["data"] == {"text": "加强执法监督。", "doc": "a.txt", "start": 3, "end": 9, "section": "一、执法 › (一)监督",
                            "kind": "sentence", "rank": 1}
    assert task["predictions"] == [{"model_version": "m-1", "score": 0.175, "result": [
        {"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": ["enforcement"]}}]}]
    assert "predictions" not in label_studio_tasks([{"text": "x"}])[0]


def test_config_names_match_the_tasks_and_labels_are_escaped():
    root = ET.fromstring(label_studio_config(["enforcement", 'a"<b']))
    text, choices = root.find("Text"), root.find("Choices")
    assert text.get("name") == "text" and text.get("value") == "$text"
    assert choices.get("name") == "labels" and choices.get("toName") == "text" and choices.get("choice") == "multiple"
    assert [c.get("value") for c in choices] == ["enforcement", 'a"<b']


def test_doccano_and_the_writers(tmp_path):
    assert doccano_records([UNIT]) == [{"text": "加强执法监督。", "label": ["enforcement"], "doc": "a.txt", "start": 3,
                                        "end": 9, "section": ["一、执法", "(一)监督"]}]
    assert write_label_studio([UNIT, UNIT], tmp_path / "t.json") == 2
    assert len(json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))) == 2
    assert write_doccano([UNIT], tmp_path / "d.jsonl") == 1
    assert json.loads((tmp_path / "d.jsonl").read_text(encoding="utf-8"))["label"] == ["enforcement"]
    assert not list(tmp_path.glob("*.tmp"))
