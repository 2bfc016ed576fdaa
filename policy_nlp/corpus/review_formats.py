"""Reviewing in Label Studio and doccano: export annotated documents as tasks, read the tools' exports back.

One task (Label Studio) or one record (doccano) per unit: a reviewer answers one question at a time (which
themes does this sentence or heading carry?), with the unit's section and its neighbours shown for context,
the model's labels pre-filled and, in Label Studio, the model's confidence to sort by (least sure first).
Every task carries where its unit sits (`doc`, `doc_sha256`, `start`, `end`, `kind`), so a unit reviewed in
the tool goes back to the exact characters of its report; the report text itself is not copied into the
tasks. Boilerplate (page chrome) is never labelled and is not exported.

- `to_label_studio(docs)` → tasks with `predictions` (multi-choice per unit, `score`, `model_version`);
  `label_studio_config(labels)` → the labeling config XML for the project.
- `from_label_studio(data)` → `AnnotatedUnit`s of the tasks that have a submitted annotation (JSON or JSON-MIN
  export).
- `to_doccano(docs)` / `from_doccano(lines)`: doccano's text-classification JSONL (`{"text": ..., "label":
  [...]}`; the other keys become doccano metadata and come back in its export).
- `apply_reviews(doc, units)`: a reviewer JSON document with the reviewed units' labels set and marked
  `reviewed: true`.
- `label_studio_tasks(units)` / `doccano_records(units)` (and `write_label_studio`, `write_doccano`): tasks for
  units picked by `suggest` (unit records, not documents), for the same labelling config, so every task the
  project writes comes back through `from_label_studio` / `from_doccano` under the names they read.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, Sequence
from xml.sax.saxutils import quoteattr

from ..errors import DataError
from . import jsonio
from .document import AnnotatedDocument, AnnotatedUnit, is_inner_path, text_sha256, unit_problem
from ..atomic import atomic_write

FROM_NAME = "themes"  # the Choices control of the labeling config
TO_NAME = "text"  # the Text object the choices are about
NO_CONTEXT = "—"
LABEL_HINTS = {
    "enforcement": "行政执法",
    "dispute_resolution": "矛盾纠纷化解",
    "business_environment": "营商环境",
    "shortcomings": "存在的问题和不足",
    "plans": "下一步工作安排",
}
UNIT_FIELDS = ("doc", "start", "end", "kind")


def doc_name(doc: AnnotatedDocument, fallback: str = "document") -> str:
    """The name a document goes by in tasks: the file name of its id (`seeds/001_x.txt` → `001_x.txt`)."""
    return Path(str(doc.id)).name if doc.id else fallback


def model_version(doc: AnnotatedDocument) -> str:
    name, version = doc.model.get("name"), doc.model.get("version")
    return f"{name} {version}" if name and version else str(name or version or "unknown")


def _confidence(unit: AnnotatedUnit, thresholds: dict) -> float:
    """How sure the model is of the unit's whole label set: the least sure per-label decision, 0.5-1."""
    if not unit.scores:
        return 1.0
    sure = []
    for label, p in unit.scores.items():
        sure.append(p if label in unit.labels else 1.0 - p)
    return round(min(sure), 6)


def _review_units(doc: AnnotatedDocument) -> Iterator[tuple[int, AnnotatedUnit, str, str]]:
    """The units to review (not boilerplate), each with the text of its neighbours for context."""
    content = [(i, u) for i, u in enumerate(doc.units) if u.kind != "boilerplate"]
    for k, (i, u) in enumerate(content):
        before = content[k - 1][1].text if k > 0 else NO_CONTEXT
        after = content[k + 1][1].text if k + 1 < len(content) else NO_CONTEXT
        yield i, u, before, after


def _unit_data(doc: AnnotatedDocument, name: str, sha: str, i: int, u: AnnotatedUnit, before: str,
               after: str) -> dict:
    return {"text": u.text, "before": before, "after": after,
            "section": " › ".join(u.section) if u.section else NO_CONTEXT,
            "doc": name, "doc_id": doc.id or name, "doc_sha256": sha, "start": u.start, "end": u.end,
            "kind": u.kind, "unit": i, "predicted": list(u.labels),
            "scores": {k: round(float(v), 6) for k, v in u.scores.items()}, "model": model_version(doc)}


def _choices(labels: Sequence[str], result_id: str) -> list[dict]:
    if not labels:
        return []
    return [{"id": result_id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
             "value": {"choices": list(labels)}}]


def to_label_studio(docs: Iterable[AnnotatedDocument]) -> list[dict]:
    """Label Studio tasks, one per unit (boilerplate left out), with the model's labels as a prediction
    (`model_version`, `score` = the model's confidence in the unit's label set). Units already reviewed in
    the reviewer JSON come with their reviewed labels as an annotation."""
    tasks = []
    for n, doc in enumerate(docs, start=1):
        name = doc_name(doc, f"document-{n}")
        sha = text_sha256(doc.text)
        thresholds = doc.model.get("thresholds") or {}
        for i, u, before, after in _review_units(doc):
            task = {"data": _unit_data(doc, name, sha, i, u, before, after),
                    "predictions": [{"model_version": model_version(doc), "score": _confidence(u, thresholds),
                                     "result": _choices(u.labels, f"u{i}")}]}
            if u.reviewed:
                task["annotations"] = [{"result": _choices(u.labels, f"r{i}"), "was_cancelled": False,
                                        "ground_truth": False}]
            tasks.append(task)
    return tasks


def label_studio_config(labels: Sequence[str]) -> str:
    """The labeling config of the project: section heading, the unit between its neighbours, and one
    multiple-choice control with a choice per label."""
    choices = "\n".join(
        f"    <Choice value={quoteattr(label)}"
        + (f" hint={quoteattr(LABEL_HINTS[label])}" if label in LABEL_HINTS else "") + "/>"
        for label in labels)
    return f"""<View>
  <Header value="$section" size="6"/>
  <View style="color: #888">
    <Text name="before" value="$before"/>
  </View>
  <View style="border: 1px solid #ccc; padding: 0.5em; font-size: 1.2em">
    <Text name="{TO_NAME}" value="${TO_NAME}"/>
  </View>
  <View style="color: #888">
    <Text name="after" value="$after"/>
  </View>
  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInLine="true">
{choices}
  </Choices>
</View>
"""


def _pick_annotation(annotations: list) -> dict | None:
    """The annotation that counts: a ground-truth one if any, else the latest submitted (not cancelled)."""
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        return None
    def key(a):
        return (bool(a.get("ground_truth")), str(a.get("updated_at") or a.get("created_at") or ""),
                a.get("id") if isinstance(a.get("id"), int) else 0)
    return max(done, key=key)


def _choices_of(result: list, path, where) -> list[str]:
    labels: list[str] = []
    if not isinstance(result, list):
        raise DataError("E133", path=path, where=where, detail="the annotation's 'result' is not a list")
    for item in result:
        if not isinstance(item, dict) or item.get("type") != "choices" or item.get("from_name") != FROM_NAME:
            continue
        value = item.get("value") or {}
        chosen = value.get("choices") if isinstance(value, dict) else None
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise DataError("E133", path=path, where=where, detail="its choices are not a list of label names")
        labels.extend(chosen)
    return list(dict.fromkeys(labels))


def _unit_fields(data: dict, path, where, labels, error: str = "E133", line=None
                 ) -> tuple[str, int, int, str, str, str | None]:
    missing = [k for k in UNIT_FIELDS if k not in data]
    bad = missing or [k for k in ("start", "end") if not isinstance(data[k], int) or isinstance(data[k], bool)]
    text = data.get("text", data.get("data"))
    if bad or not isinstance(text, str) or not isinstance(data["doc"], str):
        detail = (f"missing {', '.join(missing)}" if missing else
                  "start and end must be integers and doc and text strings")
        if error == "E134":
            raise DataError("E134", path=path, line=line, detail=detail)
        raise DataError("E133", path=path, where=where, detail=detail)
    detail = task_problem(data["doc"], data["start"], data["end"], data["kind"], labels)
    if detail:
        if error == "E134":
            raise DataError("E134", path=path, line=line, detail=detail)
        raise DataError("E133", path=path, where=where, detail=detail)
    sha = data.get("doc_sha256")
    return data["doc"], data["start"], data["end"], text, data["kind"], sha if isinstance(sha, str) else None


def task_problem(doc: str, start: int, end: int, kind, labels) -> str | None:
    """Why a task's unit cannot be imported (None when it can): `doc` must be a relative path inside its folder (it is looked
    up in the document folders and names the output file), the span non-empty and not negative, the kind
    one of the unit kinds, the labels names."""
    if not is_inner_path(doc):
        return f"doc {doc[:60]!r} is not a relative path inside the report folders"
    if not 0 <= start < end:
        return f"the span [{start}, {end}) is empty, reversed or negative"
    return unit_problem({"kind": kind, "labels": labels})


def from_label_studio(data, path: str | Path = "<label-studio>") -> list[AnnotatedUnit]:
    """The reviewed units of a Label Studio export: JSON (tasks with `data` and `annotations`; a task's
    latest submitted annotation counts, a ground-truth one first; tasks without one are not reviewed) or
    JSON-MIN (flat records with a `themes` field). An empty choice set is a reviewed unit with no themes."""
    if isinstance(data, (str, Path)) and Path(data).suffix:
        path = data
        data = _load_json(Path(data))
    if not isinstance(data, list):
        raise DataError("E132", path=path, detail="expected a list of tasks")
    out: list[AnnotatedUnit] = []
    for n, task in enumerate(data, start=1):
        if not isinstance(task, dict):
            raise DataError("E132", path=path, detail=f"item {n} is not an object")
        where = f"task {task.get('id', n)}"
        if "data" in task:  # JSON export
            if not isinstance(task["data"], dict):
                raise DataError("E133", path=path, where=where, detail="'data' is not an object")
            if not isinstance(task.get("annotations") or [], list):
                raise DataError("E133", path=path, where=where, detail="'annotations' is not a list")
            annotation = _pick_annotation(task.get("annotations") or [])
            if annotation is None:
                continue
            labels = _choices_of(annotation.get("result") or [], path, where)
            doc, start, end, text, kind, sha = _unit_fields(task["data"], path, where, labels)
            annotator = annotation.get("completed_by")
            if isinstance(annotator, dict):
                annotator = annotator.get("email") or annotator.get("id")
        elif FROM_NAME in task or all(k in task for k in UNIT_FIELDS):  # JSON-MIN export
            if FROM_NAME not in task and "annotation_id" not in task:
                continue
            chosen = task.get(FROM_NAME, [])
            if isinstance(chosen, dict):
                chosen = chosen.get("choices", [])
            labels = [chosen] if isinstance(chosen, str) else chosen or []
            if not isinstance(labels, list) or not all(isinstance(c, str) for c in labels):
                raise DataError("E133", path=path, where=where, detail=f"'{FROM_NAME}' is not a list of label names")
            doc, start, end, text, kind, sha = _unit_fields(task, path, where, labels)
            annotator = task.get("annotator")
        else:
            raise DataError("E132", path=path, detail=f"{where} has neither 'data' (JSON export) nor the unit "
                                                       f"fields {', '.join(UNIT_FIELDS)} (JSON-MIN export)")
        out.append(AnnotatedUnit(start, end, text, kind, labels=labels, reviewed=True, doc=doc, line=where,
                                 doc_sha256=sha, annotator=None if annotator is None else str(annotator)))
    return out


def to_doccano(docs: Iterable[AnnotatedDocument]) -> list[dict]:
    """doccano text-classification records, one per unit (boilerplate left out): `text`, `label` (the
    model's labels, pre-filled for the reviewer) and, as metadata, where the unit sits and the model's
    scores."""
    records = []
    for n, doc in enumerate(docs, start=1):
        name = doc_name(doc, f"document-{n}")
        sha = text_sha256(doc.text)
        for i, u, before, after in _review_units(doc):
            data = _unit_data(doc, name, sha, i, u, before, after)
            records.append({"text": data.pop("text"), "label": list(u.labels), **data})
    return records


def from_doccano(lines: Iterable[str] | str | Path, path: str | Path = "<doccano>") -> list[AnnotatedUnit]:
    """The units of a doccano text-classification JSONL export. Every record counts as reviewed: export
    with "Export only approved documents" so that only the examples a reviewer marked done are there.
    Metadata may sit at the top level (doccano ≥ 1.6) or under `meta` (earlier versions)."""
    if isinstance(lines, (str, Path)) and Path(lines).suffix:
        path = lines
        lines = _read_lines(Path(lines))
    out: list[AnnotatedUnit] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            rec = jsonio.loads(raw, path)
        except json.JSONDecodeError as exc:
            raise DataError("E030", path=path, line=n, detail=exc.msg) from None
        if not isinstance(rec, dict):
            raise DataError("E134", path=path, line=n, detail="each line must be a JSON object")
        flat = {**rec.get("meta", {}), **rec} if isinstance(rec.get("meta"), dict) else rec
        label = flat.get("label", flat.get("labels", []))
        if isinstance(label, str):
            label = [label]
        if not isinstance(label, list) or not all(isinstance(x, str) for x in label):
            raise DataError("E134", path=path, line=n, detail="'label' must be a list of category names (a "
                                                              "text-classification project)")
        doc, start, end, text, kind, sha = _unit_fields(flat, path, f"line {n}", label, "E134", n)
        out.append(AnnotatedUnit(start, end, text, kind, labels=list(dict.fromkeys(label)), reviewed=True, doc=doc,
                                 line=n, doc_sha256=sha,
                                 annotator=None if rec.get("user") is None else str(rec.get("user"))))
    return out


def _load_json(path: Path):
    raw = path.read_bytes()
    try:
        return jsonio.loads(raw.decode("utf-8-sig"), path)
    except UnicodeDecodeError as exc:
        raise DataError("E070", path=path, line=raw.count(b"\n", 0, exc.start) + 1,
                        detail=f"byte 0x{raw[exc.start]:02x}") from None
    except json.JSONDecodeError as exc:
        raise DataError("E030", path=path, line=exc.lineno, detail=exc.msg) from None


def _read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError("E070", path=path, line=raw.count(b"\n", 0, exc.start) + 1,
                        detail=f"byte 0x{raw[exc.start]:02x}") from None


def sniff_format(path: Path) -> str:
    """What a data file holds: `reviewer` (policy_nlp reviewer JSON), `label-studio` (a Label Studio
    export), `doccano` (doccano JSONL), or `units` (unit JSONL)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        with open(path, "rb") as fh:
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        return "label-studio" if head.startswith(b"[") else "reviewer"
    if suffix == ".jsonl":
        with open(path, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    try:
                        first = json.loads(raw)
                    except (ValueError, RecursionError):
                        return "units"  # reported with its line by the unit reader
                    if isinstance(first, dict) and "label" in first and "labels" not in first:
                        return "doccano"
                    return "units"
    return "units"


def read_review_file(path: Path) -> tuple[str, list[AnnotatedUnit]]:
    """(format, reviewed units) of a Label Studio or doccano export."""
    fmt = sniff_format(path)
    if fmt == "label-studio":
        return fmt, from_label_studio(_load_json(path), path)
    if fmt == "doccano":
        return fmt, from_doccano(_read_lines(path), path)
    raise DataError("E132", path=path, detail="it is neither a Label Studio JSON export nor a doccano JSONL export")


def resolve_document(unit: AnnotatedUnit, documents: dict[str, str], by_sha: dict[str, str],
                     doc_dirs: Sequence[Path], path) -> str:
    """The name of the report a reviewed unit belongs to, adding it to `documents` (name → text) when it is
    read from one of `doc_dirs`: matched by the text's SHA-256 first, then by name (checked against the
    SHA-256 when the unit carries one)."""
    from .inputs import read_text

    if unit.doc_sha256 and unit.doc_sha256 in by_sha:
        return by_sha[unit.doc_sha256]
    candidates = []
    if unit.doc in documents:
        candidates.append((unit.doc, documents[unit.doc]))
    for d in doc_dirs:
        if (d / unit.doc).is_file():
            candidates.append((unit.doc, None if unit.doc in documents else read_text(d / unit.doc)))
            break
    for name, text in candidates:
        text = documents.get(name) if text is None else text
        sha = text_sha256(text)
        if unit.doc_sha256 is None or sha == unit.doc_sha256:
            if name in documents and documents[name] != text:
                continue
            documents[name] = text
            by_sha[sha] = name
            return name
    raise DataError("E135", path=path, where=unit.line, doc=unit.doc, sha=(unit.doc_sha256 or "not given")[:12],
                    searched=", ".join(map(str, doc_dirs)) or "none")


def apply_reviews(doc: AnnotatedDocument, units: Iterable[AnnotatedUnit]) -> tuple[AnnotatedDocument, dict]:
    """`doc` with each reviewed unit's labels set and marked `reviewed: true`. A reviewed unit whose span is
    not a unit of `doc` replaces the units it overlaps. Returns the document and counts (`reviewed`,
    `changed`: labels that differ from the document's, `replaced`: units replaced by other spans)."""
    by_span = {(u.start, u.end): u for u in doc.units}
    counts = {"reviewed": 0, "changed": 0, "replaced": 0, "added": 0}
    for r in sorted(units, key=lambda x: x.start):
        if r.end > len(doc.text) or doc.text[r.start:r.end] != r.text:
            raise DataError("E133", path=doc.id or "<document>", where=r.line,
                            detail=f"text[{r.start}:{r.end}] of the report is {doc.text[r.start:r.end][:20]!r}, the "
                                   f"reviewed unit says {r.text[:20]!r}")
        unit = by_span.get((r.start, r.end))
        if unit is None:
            overlapping = [u for u in doc.units if u.start < r.end and r.start < u.end]
            reviewed = next((u for u in overlapping if u.reviewed), None)
            if reviewed is not None:  # replacing it would silently drop a review
                raise DataError("E114", path=doc.id or "<document>", where=r.line, start=r.start, end=r.end,
                                other_start=reviewed.start, other_end=reviewed.end)
            section = overlapping[0].section if overlapping else []
            doc.units = [u for u in doc.units if u not in overlapping]
            counts["replaced"] += len(overlapping)
            counts["added"] += 1
            unit = AnnotatedUnit(r.start, r.end, r.text, r.kind, list(section), [], {})
            doc.units.append(unit)
            doc.units.sort(key=lambda u: u.start)
            by_span = {(u.start, u.end): u for u in doc.units}
        if unit.labels != r.labels:
            counts["changed"] += 1
        unit.labels = list(r.labels)
        unit.kind = r.kind
        unit.reviewed = True
        counts["reviewed"] += 1
    return doc, counts


# -- tasks from unit records (`policy-nlp suggest`) ---------------------------------------------------------
# A unit record is a dict with `text` and optionally `doc`, `doc_sha256`, `start`, `end`, `section`, `before`,
# `after`, `kind`, `labels` (the model's, offered as a pre-annotation; none for blind tasks) and `margin` (the
# distance of its nearest score to that label's threshold: Label Studio's Data Manager sorts by it, least sure
# first). The tasks fit `label_studio_config`, like the exported ones.
_TASK_KEYS = ("doc", "doc_sha256", "start", "end", "kind", "rank")


def label_studio_tasks(units: Iterable[dict], model_version: str = "policy_nlp") -> list[dict]:
    """Label Studio tasks with the model's labels as pre-annotations (see the module docstring)."""
    tasks = []
    for unit in units:
        section = unit.get("section")
        data = {"text": unit["text"], "before": unit.get("before") or NO_CONTEXT,
                "after": unit.get("after") or NO_CONTEXT,
                "section": (" › ".join(section) if isinstance(section, list) else section) or NO_CONTEXT}
        data.update({key: unit[key] for key in _TASK_KEYS if unit.get(key) is not None})
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
