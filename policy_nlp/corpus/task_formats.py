"""Labelling tasks for annotation tools: Label Studio tasks and doccano JSONL, written from unit records.

A unit record is a dict with `text` and optionally `doc`, `start`, `end`, `section`, `kind`, `labels` (the
model's labels, offered as a pre-annotation), `scores` and `margin` (the distance of the nearest score to its threshold).

- Label Studio: a JSON list of tasks `{"data": {"text", "doc", "start", "end", "section", "kind", "rank"},
  "predictions": [{"model_version", "score", "result": [{"from_name": "labels", "to_name": "text", "type":
  "choices", "value": {"choices": [...]}}]}]}` (the "Basic Label Studio JSON format" with pre-annotations), for
  a project whose labelling config is `label_studio_config(labels)`: a `Text` named `text` and a multiple-choice
  `Choices` named `labels`. The prediction's `score` is the unit's margin (distance of its nearest
  score to that label's threshold), so Label Studio's Data Manager sorts the least sure first.
- doccano: one JSON object per line, `{"text", "label": [...], "doc", "start", "end", "section"}` for a
  text-classification project (doccano keeps the extra keys as metadata).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import quoteattr

from .outputs import atomic_write

FROM_NAME = "labels"
TO_NAME = "text"
_DATA_KEYS = ("doc", "start", "end", "section", "kind", "rank")


def label_studio_config(labels: Sequence[str]) -> str:
    """The labelling config (XML) the tasks fit: the unit's text and a multiple-choice label set."""
    choices = "\n".join(f"    <Choice value={quoteattr(label)}/>" for label in labels)
    return (f'<View>\n  <Text name="{TO_NAME}" value="$text"/>\n'
            f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInline="true">\n'
            f"{choices}\n  </Choices>\n</View>\n")


def label_studio_tasks(units: Iterable[dict], model_version: str = "policy_nlp") -> list[dict]:
    """Label Studio tasks with the model's labels as pre-annotations (see the module docstring)."""
    tasks = []
    for unit in units:
        data = {"text": unit["text"]}
        for key in _DATA_KEYS:
            if unit.get(key) is not None:
                value = unit[key]
                data[key] = " › ".join(value) if key == "section" and isinstance(value, list) else value
        task: dict = {"data": data}
        if unit.get("labels") is not None:
            prediction = {"model_version": model_version,
                          "result": [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
                                      "value": {"choices": list(unit["labels"])}}]}
            if unit.get("margin") is not None:
                prediction["score"] = round(float(unit["margin"]), 6)
            task["predictions"] = [prediction]
        tasks.append(task)
    return tasks


def doccano_records(units: Iterable[dict]) -> list[dict]:
    """doccano text-classification records (see the module docstring)."""
    out = []
    for unit in units:
        rec = {"text": unit["text"], "label": list(unit.get("labels") or [])}
        for key in ("doc", "start", "end", "section"):
            if unit.get(key) is not None:
                rec[key] = unit[key]
        out.append(rec)
    return out


def write_label_studio(units: Iterable[dict], path: str | Path, model_version: str = "policy_nlp") -> int:
    """Write Label Studio tasks (a JSON list) to `path`; returns the number of tasks."""
    tasks = label_studio_tasks(units, model_version)
    atomic_write(Path(path), json.dumps(tasks, ensure_ascii=False, indent=2) + "\n")
    return len(tasks)


def write_doccano(units: Iterable[dict], path: str | Path) -> int:
    """Write doccano JSONL to `path`; returns the number of lines."""
    records = doccano_records(units)
    atomic_write(Path(path), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return len(records)
