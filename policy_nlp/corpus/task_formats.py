"""Labelling tasks for annotation tools: Label Studio tasks and doccano JSONL, written from unit records.

A unit record is a dict with `text` and optionally `doc`, `doc_sha256`, `start`, `end`, `section`, `before`,
`after` (its neighbours' text), `kind`, `labels` (the model's labels, offered as a pre-annotation), `scores` and
`margin` (the distance of the nearest score to its threshold).

- Label Studio: a JSON list of tasks `{"data": {"text", "before", "after", "section", "doc", "doc_sha256",
  "start", "end", "kind", "rank"}, "predictions": [{"model_version", "score", "result": [{"from_name": "themes",
  "to_name": "text", "type": "choices", "value": {"choices": [...]}}]}]}` (the "Basic Label Studio JSON format"
  with pre-annotations; none for blind tasks) for a project whose labelling config is
  `review_formats.label_studio_config(labels)` — the one config that `export`, `import` and `train --data` share,
  so the reviewer's choices come back under the name they are read by. The prediction's `score` is the unit's
  margin (distance of its nearest score to that label's threshold), so Label Studio's Data Manager sorts the least
  sure first.
- doccano: one JSON object per line, `{"text", "label": [...], "doc", "start", "end", "section"}` for a
  text-classification project (doccano keeps the extra keys as metadata).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from .outputs import atomic_write
from .review_formats import FROM_NAME, NO_CONTEXT, TO_NAME

_DATA_KEYS = ("doc", "doc_sha256", "start", "end", "kind", "rank")


def label_studio_tasks(units: Iterable[dict], model_version: str = "policy_nlp") -> list[dict]:
    """Label Studio tasks with the model's labels as pre-annotations (see the module docstring)."""
    tasks = []
    for unit in units:
        section = unit.get("section")
        data = {"text": unit["text"], "before": unit.get("before") or NO_CONTEXT,
                "after": unit.get("after") or NO_CONTEXT,
                "section": (" › ".join(section) if isinstance(section, list) else section) or NO_CONTEXT}
        data.update({key: unit[key] for key in _DATA_KEYS if unit.get(key) is not None})
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
