"""Labelled units: reading, validating and merging training data.

Reads unit JSONL files (`{"doc", "start", "end", "text", "kind", "labels"}` per line, `doc` naming a file
of the seed directory) and reviewer JSON files written by `annotate` (only units marked
`"reviewed": true` are taken: the rest are model output, not labels). Every problem is reported with
file and line (`DataError`, codes E030–E040). `load_dataset` returns a Hugging Face `datasets.Dataset`.
"""
from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import DataError
from .units import KINDS

DEFAULT_LABELS = ("enforcement", "dispute_resolution", "business_environment", "shortcomings", "plans")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "training" / "data" / "seed_units.jsonl"
DEFAULT_SEEDS = REPO_ROOT / "seeds"
COLUMNS = ("doc", "start", "end", "text", "kind", "labels")


@dataclass
class UnitRecord:
    doc: str
    start: int
    end: int
    text: str
    kind: str
    labels: list[str]
    source: str = ""
    line: int = 0
    reviewed: bool = False

    def to_row(self) -> dict:
        return {"doc": self.doc, "start": self.start, "end": self.end, "text": self.text, "kind": self.kind,
                "labels": list(self.labels)}


@dataclass
class LabelledCorpus:
    """Documents (name → text), their labelled units in document order, and what merging did."""

    documents: dict[str, str]
    units: list[UnitRecord]
    labels: list[str]
    report: list[str] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)

    def units_of(self, doc: str) -> list[UnitRecord]:
        return [u for u in self.units if u.doc == doc]

    def label_counts(self) -> dict[str, int]:
        counts = {label: 0 for label in self.labels}
        for unit in self.units:
            for label in unit.labels:
                counts[label] += 1
        return counts


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _label_hint(label: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(label, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_labels(labels, path, line, known, allow_new_labels) -> list[str]:
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise DataError("E037", path=path, line=line, detail="'labels' must be a list of strings")
    for label in labels:
        if label not in known and not allow_new_labels:
            raise DataError("E031", path=path, line=line, label=label, hint=_label_hint(label, known),
                            known=", ".join(known))
    return list(dict.fromkeys(labels))


def _check_record(obj, path, line) -> None:
    if not isinstance(obj, dict):
        raise DataError("E037", path=path, line=line, detail="each line must be a JSON object")
    for key, typ in (("doc", str), ("start", int), ("end", int), ("text", str), ("kind", str), ("labels", list)):
        if key not in obj:
            raise DataError("E037", path=path, line=line, detail=f"missing field '{key}'")
        if not isinstance(obj[key], typ) or (typ is int and isinstance(obj[key], bool)):
            raise DataError("E037", path=path, line=line, detail=f"field '{key}' must be {typ.__name__}")
    if not obj["text"].strip():
        raise DataError("E037", path=path, line=line, detail="the unit has no text")
    if obj["kind"] not in KINDS:
        raise DataError("E037", path=path, line=line, detail=f"kind '{obj['kind']}' is not one of {', '.join(KINDS)}")


def _check_offsets(rec: UnitRecord, doc_text: str) -> None:
    if not (0 <= rec.start < rec.end <= len(doc_text)):
        raise DataError("E032", path=rec.source, line=rec.line, start=rec.start, end=rec.end, doc=rec.doc,
                        detail=f"the document has {len(doc_text)} characters")
    if doc_text[rec.start:rec.end] != rec.text:
        found = doc_text[rec.start:rec.end]
        raise DataError("E032", path=rec.source, line=rec.line, start=rec.start, end=rec.end, doc=rec.doc,
                        detail=f"document[start:end] is {found[:30]!r}, the record says {rec.text[:30]!r}")


def _check_file_units(records: list[UnitRecord]) -> None:
    """Within one file: no duplicate and no overlapping units of the same document."""
    by_doc: dict[str, list[UnitRecord]] = {}
    for rec in records:
        by_doc.setdefault(rec.doc, []).append(rec)
    for doc, recs in by_doc.items():
        seen: dict[tuple[int, int], UnitRecord] = {}
        for rec in recs:
            key = (rec.start, rec.end)
            if key in seen:
                raise DataError("E035", path=rec.source, line=rec.line, start=rec.start, end=rec.end, doc=doc,
                                first_line=seen[key].line)
            seen[key] = rec
        ordered = sorted(recs, key=lambda r: (r.start, r.end))
        for a, b in zip(ordered, ordered[1:]):
            if b.start < a.end:
                late = max(a, b, key=lambda r: r.line)
                other = b if late is a else a
                raise DataError("E033", path=late.source, line=late.line, start=late.start, end=late.end,
                                other_start=other.start, other_end=other.end, doc=doc)


def read_jsonl_units(path: Path, seeds_dir: Path, documents: dict[str, str], known: Sequence[str],
                     allow_new_labels: bool) -> list[UnitRecord]:
    records: list[UnitRecord] = []
    with open(path, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DataError("E030", path=path, line=n, detail=exc.msg) from None
            _check_record(obj, path, n)
            labels = _check_labels(obj["labels"], path, n, known, allow_new_labels)
            doc = obj["doc"]
            if doc not in documents:
                seed = seeds_dir / doc
                if not seed.is_file():
                    raise DataError("E034", path=path, line=n, doc=doc, seeds=seeds_dir)
                documents[doc] = seed.read_text(encoding="utf-8")
            rec = UnitRecord(doc, obj["start"], obj["end"], obj["text"], obj["kind"], labels, str(path), n,
                             bool(obj.get("reviewed", False)))
            _check_offsets(rec, documents[doc])
            records.append(rec)
    if not records:
        raise DataError("E036", path=path)
    _check_file_units(records)
    return records


def read_reviewer_units(path: Path, documents: dict[str, str], known: Sequence[str],
                        allow_new_labels: bool) -> list[UnitRecord]:
    from .document import SCHEMA_ID

    raw = path.read_text(encoding="utf-8")
    if not raw.strip():
        raise DataError("E036", path=path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DataError("E030", path=path, line=exc.lineno, detail=exc.msg) from None
    if not isinstance(data, dict) or "units" not in data or "text" not in data:
        raise DataError("E040", path=path, detail="expected an object with 'text' and 'units'")
    if data.get("schema") != SCHEMA_ID:
        raise DataError("E042", path=path, found=data.get("schema"), expected=SCHEMA_ID)
    text = data["text"]
    # A reviewed copy of a known document (a seed) is the same document.
    doc = next((name for name, t in documents.items() if t == text), None) or str(data.get("id") or path.name)
    documents.setdefault(doc, text)
    records = []
    for k, unit in enumerate(data["units"], start=1):
        if not unit.get("reviewed"):
            continue
        obj = {"doc": doc, **{key: unit.get(key) for key in ("start", "end", "text", "kind", "labels")}}
        _check_record(obj, f"{path} unit", k)
        labels = _check_labels(obj["labels"], f"{path} unit", k, known, allow_new_labels)
        rec = UnitRecord(doc, obj["start"], obj["end"], obj["text"], obj["kind"], labels, f"{path} unit", k, True)
        _check_offsets(rec, text)
        records.append(rec)
    _check_file_units(records)
    return records


def _merge(batches: Iterable[list[UnitRecord]], report: list[str]) -> list[UnitRecord]:
    """Later sources override earlier ones for the same span; reviewed units override unreviewed ones;
    a unit overlapping units of an earlier source replaces them. Deterministic: argument order decides."""
    kept: dict[str, dict[tuple[int, int], UnitRecord]] = {}
    for batch in batches:
        for rec in batch:
            units = kept.setdefault(rec.doc, {})
            key = (rec.start, rec.end)
            old = units.get(key)
            if old is not None:
                if old.reviewed and not rec.reviewed:
                    report.append(f"kept reviewed labels of {rec.doc}[{rec.start}:{rec.end}] from {old.source}:"
                                  f"{old.line} over {rec.source}:{rec.line}")
                    continue
                if old.labels != rec.labels:
                    report.append(f"{rec.doc}[{rec.start}:{rec.end}]: {rec.source}:{rec.line} overrides "
                                  f"{old.source}:{old.line} ({old.labels} -> {rec.labels})")
                else:
                    report.append(f"duplicate {rec.doc}[{rec.start}:{rec.end}] in {rec.source}:{rec.line} "
                                  f"and {old.source}:{old.line}")
                units[key] = rec
                continue
            clash = [k for k in units if k[0] < rec.end and rec.start < k[1]]
            for k in clash:
                report.append(f"{rec.doc}[{rec.start}:{rec.end}] from {rec.source}:{rec.line} replaces "
                              f"overlapping unit [{k[0]}:{k[1]}] from {units[k].source}:{units[k].line}")
                del units[k]
            units[key] = rec
    out = []
    for doc in sorted(kept):
        out.extend(sorted(kept[doc].values(), key=lambda r: r.start))
    return out


def default_seeds_dir(paths: Sequence[Path]) -> Path:
    for p in paths:
        for cand in (p.parent.parent.parent / "seeds", p.parent / "seeds", p.parent.parent / "seeds"):
            if cand.is_dir():
                return cand
    if (Path.cwd() / "seeds").is_dir():
        return Path.cwd() / "seeds"
    return DEFAULT_SEEDS


def read_corpus(paths: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
                known_labels: Sequence[str] = DEFAULT_LABELS, allow_new_labels: bool = False) -> LabelledCorpus:
    """Read, validate and merge labelled units from JSONL unit files and reviewer JSON files."""
    paths = [Path(p) for p in (paths or [DEFAULT_DATA])]
    seeds = Path(seeds_dir) if seeds_dir else default_seeds_dir(paths)
    documents: dict[str, str] = {}
    report: list[str] = []
    batches = []
    hashes = {}
    for path in paths:
        if not path.is_file():
            raise DataError("E039", path=path)
        if path.stat().st_size == 0:
            raise DataError("E036", path=path)
        hashes[str(path)] = _sha256(path)
        if path.suffix == ".json":
            batches.append(read_reviewer_units(path, documents, known_labels, allow_new_labels))
        else:
            batches.append(read_jsonl_units(path, seeds, documents, known_labels, allow_new_labels))
    units = _merge(batches, report)
    found = {label for u in units for label in u.labels}
    labels = [label for label in known_labels if label in found or label in DEFAULT_LABELS]
    labels += sorted(found - set(labels))
    used_docs = {u.doc for u in units}
    return LabelledCorpus({d: t for d, t in documents.items() if d in used_docs}, units, labels, report, hashes)


def load_dataset(paths: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
                 known_labels: Sequence[str] = DEFAULT_LABELS, allow_new_labels: bool = False):
    """The labelled units as a `datasets.Dataset` with columns doc, start, end, text, kind, labels."""
    import datasets

    corpus = read_corpus(paths, seeds_dir, known_labels, allow_new_labels)
    features = datasets.Features({
        "doc": datasets.Value("string"), "start": datasets.Value("int64"), "end": datasets.Value("int64"),
        "text": datasets.Value("string"), "kind": datasets.Value("string"),
        "labels": datasets.Sequence(datasets.Value("string")),
    })
    rows = {col: [getattr(u, col) for u in corpus.units] for col in COLUMNS}
    return datasets.Dataset.from_dict(rows, features=features)
