"""Labelled units: reading, validating and merging training data.

Reads unit JSONL files (`{"doc", "start", "end", "text", "kind", "labels"}` per line, `doc` naming a file
of the seed directory) and reviewer JSON files written by `annotate` (only units marked
`"reviewed": true` are taken: the rest are model output, not labels; they still give the document's
structure to the features). Every problem is reported with file and line (`DataError`, codes E030–E042,
E070–E071). The label set comes from the data: a label that is not known is a new label unless it looks
like a misspelling of a known (or more frequent) label. `load_dataset` returns a `datasets.Dataset`.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import DataError
from ..components.pkuseg_model import sha256_file
from ..components.units import KINDS
from ..corpus import jsonio
from ..corpus.document import is_inner_path, label_problem, looks_like, text_sha256, typo_of, unit_problem
from ..corpus.review_formats import read_review_file, sniff_format
from ..model.estimator import LABELS as DEFAULT_LABELS

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
UNIT_FILES = ("seed_units.jsonl", "work_report_units.jsonl", "suggested_units.jsonl")


def _package_dir(package: str, repo_dir: Path) -> Path:
    """A data folder shipped as package data (`policy_nlp/data/...` in an installed wheel), or its place in a
    source checkout (editable installs map those packages onto the checkout's folders)."""
    installed = Path(__file__).resolve().parent.parent.joinpath(*package.split(".")[1:])
    return installed if installed.is_dir() else repo_dir


def labelled_dir() -> Path:
    """Where the labelled units (`data/*.jsonl`) and the labelled work reports (`corpus/*.txt`) are."""
    return _package_dir("policy_nlp.data.labelled", REPO_ROOT / "training")


def default_data() -> list[Path]:
    """The hand-labelled unit files of the seeds, the two work reports and the units picked by `suggest` from
    other work reports (shipped with the package; the held-out reports are not among them)."""
    return [labelled_dir() / "data" / name for name in UNIT_FILES]


def document_dirs() -> list[Path]:
    """Folders searched for the reports a unit file's `doc` field names: the seeds, the labelled work reports,
    then the work reports whose units were picked by `suggest`."""
    corpus = labelled_dir() / "corpus"
    return [_package_dir("policy_nlp.data.seeds", REPO_ROOT / "seeds"), corpus, corpus / "work_reports"]
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
    # Unlabelled units (start, end, kind) of a document that give the labelled ones their context
    # (sections, position): the unreviewed units of reviewer files.
    context_units: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    new_labels: list[str] = field(default_factory=list)
    # Per data file: its format, units read and how many of them are reviewed units.
    sources: dict[str, dict] = field(default_factory=dict)

    def units_of(self, doc: str) -> list[UnitRecord]:
        return [u for u in self.units if u.doc == doc]

    def fully_labelled(self) -> list[str]:
        """Documents whose labelled units cover every non-space character (in corpus order); the others are
        labelled in part (units picked by `suggest`, reviewer files with unreviewed units)."""
        covered = {doc: bytearray(len(text)) for doc, text in self.documents.items()}
        for unit in self.units:
            covered[unit.doc][unit.start:unit.end] = b"\x01" * (unit.end - unit.start)
        return [doc for doc, text in self.documents.items()
                if all(covered[doc][i] or ch.isspace() for i, ch in enumerate(text))]

    def subset(self, docs: Sequence[str]) -> "LabelledCorpus":
        """The same corpus restricted to `docs` (in corpus order)."""
        keep = set(docs)
        return replace(self, documents={d: t for d, t in self.documents.items() if d in keep},
                       units=[u for u in self.units if u.doc in keep])

    def label_counts(self) -> dict[str, int]:
        """Positive units per label (boilerplate units are not trained on, so their labels do not count)."""
        counts = {label: 0 for label in self.labels}
        for unit in self.units:
            if unit.kind == "boilerplate":
                continue
            for label in unit.labels:
                counts[label] += 1
        return counts


def _check_labels(labels, path, line, known, allow_new_labels) -> list[str]:
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise DataError("E037", path=path, line=line, detail="'labels' must be a list of strings")
    for label in labels:
        if label_problem(label):
            raise DataError("E037", path=path, line=line, detail=label_problem(label))
        typo = None if label in known or allow_new_labels else typo_of(label, known)
        if typo:
            raise DataError("E031", path=path, line=line, label=label, hint=f" (did you mean '{typo}'?)",
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
    if not is_inner_path(obj["doc"]):
        raise DataError("E037", path=path, line=line, detail=f"doc {obj['doc'][:60]!r} is not a relative path inside the report folders")
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


def read_jsonl_units(path: Path, doc_dirs: Sequence[Path], documents: dict[str, str], known: Sequence[str],
                     allow_new_labels: bool) -> list[UnitRecord]:
    from ..corpus.inputs import read_text as read_report

    records: list[UnitRecord] = []
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for n, bline in enumerate(data.splitlines(), start=1):
        try:
            raw = bline.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError("E070", path=path, line=n, detail=f"byte 0x{bline[exc.start]:02x} at column "
                                                               f"{exc.start + 1}") from None
        if not raw.strip():
            continue
        try:
            obj = jsonio.loads(raw, path)
        except json.JSONDecodeError as exc:
            raise DataError("E030", path=path, line=n, detail=exc.msg) from None
        _check_record(obj, path, n)
        labels = _check_labels(obj["labels"], path, n, known, allow_new_labels)
        doc = obj["doc"]
        if doc not in documents:
            found = next((d / doc for d in doc_dirs if (d / doc).is_file()), None)
            if found is None:
                raise DataError("E034", path=path, line=n, doc=doc, seeds=", ".join(map(str, doc_dirs)))
            documents[doc] = read_report(found)
        rec = UnitRecord(doc, obj["start"], obj["end"], obj["text"], obj["kind"], labels, str(path), n,
                         bool(obj.get("reviewed", False)))
        _check_offsets(rec, documents[doc])
        records.append(rec)
    if not records:
        raise DataError("E036", path=path)
    _check_file_units(records)
    return records


def _unit_lines(raw: str, key: str = "units") -> list[int]:
    """Line numbers of the items of the top-level array `key` of a JSON object text ([] if not found)."""
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")
    lines: list[int] = []
    pos, line = 0, 1

    def line_at(i: int) -> int:
        nonlocal pos, line
        line += raw.count("\n", pos, i)
        pos = i
        return line

    try:
        i = ws.match(raw, 0).end()
        if raw[i] != "{":
            return []
        i = ws.match(raw, i + 1).end()
        while raw[i] != "}":
            name, i = dec.raw_decode(raw, i)
            i = ws.match(raw, ws.match(raw, i).end() + 1).end()  # past ':'
            if name == key and raw[i] == "[":
                i = ws.match(raw, i + 1).end()
                while raw[i] != "]":
                    lines.append(line_at(i))
                    _, i = dec.raw_decode(raw, i)
                    i = ws.match(raw, i).end()
                    if raw[i] == ",":
                        i = ws.match(raw, i + 1).end()
                return lines
            _, i = dec.raw_decode(raw, i)
            i = ws.match(raw, i).end()
            if raw[i] == ",":
                i = ws.match(raw, i + 1).end()
    except (ValueError, IndexError):
        return []
    return []


@dataclass
class ReviewedDocument:
    """What one reviewer JSON file holds: the text, its reviewed units, and all its units' spans."""

    name: str
    text: str
    records: list[UnitRecord]
    structure: list[tuple[int, int, str]]


def read_reviewer_units(path: Path, known: Sequence[str], allow_new_labels: bool) -> ReviewedDocument:
    from ..corpus.document import SCHEMA_ID

    data_bytes = path.read_bytes()
    try:
        raw = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError("E070", path=path, line=data_bytes.count(b"\n", 0, exc.start) + 1,
                        detail=f"byte 0x{data_bytes[exc.start]:02x}") from None
    if not raw.strip():
        raise DataError("E036", path=path)
    try:
        data = jsonio.loads(raw, path)
    except json.JSONDecodeError as exc:
        raise DataError("E109", path=path, line=exc.lineno, detail=exc.msg) from None
    if not isinstance(data, dict) or not isinstance(data.get("units"), list) or not isinstance(data.get("text"), str):
        raise DataError("E040", path=path, detail="expected an object with 'text' and a list 'units'")
    if data.get("schema") != SCHEMA_ID:
        raise DataError("E042", path=path, found=data.get("schema"), expected=SCHEMA_ID)
    text = data["text"]
    name = Path(str(data.get("id") or path.name)).name
    lines = _unit_lines(raw)
    records, structure = [], []
    for k, unit in enumerate(data["units"], start=1):
        line = lines[k - 1] if len(lines) == len(data["units"]) else f"unit {k}"
        if not isinstance(unit, dict):
            raise DataError("E037", path=path, line=line, detail="each unit must be a JSON object")
        if unit_problem(unit):  # reviewed or not: no markup labels, unknown kinds or non-finite scores
            raise DataError("E037", path=path, line=line, detail=unit_problem(unit))
        if not unit.get("reviewed"):
            s, e, kind = unit.get("start"), unit.get("end"), unit.get("kind")
            if isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text) and kind in KINDS:
                structure.append((s, e, kind))
            continue
        obj = {"doc": name, **{key: unit.get(key) for key in ("start", "end", "text", "kind", "labels")}}
        _check_record(obj, path, line)
        labels = _check_labels(obj["labels"], path, line, known, allow_new_labels)
        rec = UnitRecord(name, obj["start"], obj["end"], obj["text"], obj["kind"], labels, str(path), line, True)
        _check_offsets(rec, text)
        records.append(rec)
        structure.append((rec.start, rec.end, rec.kind))
    _check_file_units(records)
    return ReviewedDocument(name, text, records, structure)


def _merge(batches: Iterable[list[UnitRecord]], report: list[str]) -> list[UnitRecord]:
    """Later sources override earlier ones for the same span; reviewed units override unreviewed ones;
    a unit overlapping units of an earlier source replaces them. Deterministic: argument order decides."""
    kept: dict[str, dict[tuple[int, int], UnitRecord]] = {}
    order: dict[str, list[tuple[int, int]]] = {}  # per document the kept spans: disjoint, sorted
    for batch in batches:
        for rec in batch:
            units = kept.setdefault(rec.doc, {})
            spans = order.setdefault(rec.doc, [])
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
            i, j = _clashes(spans, rec.start, rec.end)
            clash = spans[i:j]
            keeper = next((units[k] for k in clash if units[k].reviewed and not rec.reviewed), None)
            if keeper is not None:
                report.append(f"kept reviewed unit {rec.doc}[{keeper.start}:{keeper.end}] from {keeper.source}:"
                              f"{keeper.line} over overlapping [{rec.start}:{rec.end}] from {rec.source}:{rec.line}")
                continue
            for k in clash:
                report.append(f"{rec.doc}[{rec.start}:{rec.end}] from {rec.source}:{rec.line} replaces "
                              f"overlapping unit [{k[0]}:{k[1]}] from {units[k].source}:{units[k].line}")
                del units[k]
            spans[i:j] = [key]
            units[key] = rec
    return [kept[doc][key] for doc in sorted(kept) for key in order[doc]]


def _clashes(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The index range [i, j) of the disjoint, sorted `spans` that overlap [start, end) (i == j: none; the
    span belongs at i). Binary search: merging stays linear in the units, not quadratic."""
    i = bisect.bisect_right(spans, start, key=lambda k: k[1])
    return i, max(i, bisect.bisect_left(spans, end, key=lambda k: k[0]))


def default_document_dirs(paths: Sequence[Path]) -> list[Path]:
    """A `seeds/` folder near the data files or in the working directory, then the packaged folders."""
    out = []
    for p in paths:
        for cand in (p.parent.parent.parent / "seeds", p.parent / "seeds", p.parent.parent / "seeds"):
            if cand.is_dir():
                out.append(cand)
    if (Path.cwd() / "seeds").is_dir():
        out.append(Path.cwd() / "seeds")
    return list(dict.fromkeys(out + document_dirs()))


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for its *.jsonl and *.json files (sorted by name)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in (".jsonl", ".json"))
            if not found:
                raise DataError("E036", path=p)
            out.extend(found)
        else:
            out.append(p)
    return out


def _is_reviewer_file(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _review_records(path: Path, units, documents: dict[str, str], doc_dirs: Sequence[Path], known: Sequence[str],
                    allow_new_labels: bool) -> list[UnitRecord]:
    """UnitRecords (reviewed) of the units of a Label Studio or doccano export, their reports found by the
    text's SHA-256 among `documents` or by name in `doc_dirs`."""
    from ..corpus.review_formats import resolve_document

    by_sha = {text_sha256(text): name for name, text in documents.items()}
    records = []
    for u in units:
        obj = {"doc": u.doc, "start": u.start, "end": u.end, "text": u.text, "kind": u.kind, "labels": u.labels}
        _check_record(obj, path, u.where)
        labels = _check_labels(u.labels, path, u.where, known, allow_new_labels)
        name = resolve_document(u, documents, by_sha, doc_dirs, path)
        rec = UnitRecord(name, u.start, u.end, u.text, u.kind, labels, str(path), u.where, True)
        _check_offsets(rec, documents[name])
        records.append(rec)
    _check_file_units(records)
    return records


def read_corpus(paths: Sequence[str | Path] | None = None, seeds_dir: str | Path | None = None,
                known_labels: Sequence[str] = DEFAULT_LABELS, allow_new_labels: bool = False) -> LabelledCorpus:
    """Read, validate and merge labelled units from JSONL unit files, reviewer JSON files, Label Studio
    exports (JSON / JSON-MIN) and doccano JSONL exports of tasks written by `policy-nlp export` (their
    reports are found by the text's SHA-256 among the other files' documents, or by name in the document
    folders; every annotated task is a reviewed unit).

    Files are merged in the order given (later files override earlier ones for the same span; reviewed
    units override unreviewed ones), and every override is listed in `report`. A reviewer file whose text
    is that of a seed document (or of another reviewer file) is the same document. Labels not in
    `known_labels` are new labels, unless one looks like a misspelling of a known label or of a more
    frequent label (E031); `allow_new_labels=True` accepts those too.
    """
    named = {Path(p) for p in paths or () if not Path(p).is_dir()}  # files given by name, not found in a folder
    paths = expand_paths(paths or default_data())
    doc_dirs = ([Path(seeds_dir)] if seeds_dir else []) + default_document_dirs(paths)
    known_labels = list(known_labels)
    documents: dict[str, str] = {}  # seed documents named by JSONL 'doc' fields
    reviewed: list[tuple[int, Path, ReviewedDocument]] = []
    batches: list[list[UnitRecord]] = []
    hashes = {}
    exported: list[tuple[int, Path, list]] = []  # Label Studio / doccano exports, resolved last
    sources: dict[str, dict] = {}
    for path in paths:
        if not path.is_file():
            raise DataError("E039", path=path)
        if path.stat().st_size == 0:
            raise DataError("E036", path=path)
        hashes[str(path)] = sha256_file(path)
        fmt = sniff_format(path)
        sources[str(path)] = {"format": fmt, "sha256": hashes[str(path)]}
        if fmt in ("label-studio", "doccano"):
            exported.append((len(batches), path, read_review_file(path)[1]))
            batches.append([])
        elif fmt == "reviewer":
            reviewed.append((len(batches), path, read_reviewer_units(path, known_labels, allow_new_labels)))
            batches.append([])
        else:
            batches.append(read_jsonl_units(path, doc_dirs, documents, known_labels, allow_new_labels))
    report: list[str] = []
    unreviewed: dict[Path, int] = {}  # folder → its reviewer files without a reviewed unit
    context: dict[str, list[tuple[int, int, str]]] = {}
    by_text = {text: name for name, text in documents.items()}
    for index, path, rdoc in reviewed:
        name = by_text.get(rdoc.text)
        if name is None:
            name, k = rdoc.name, 1
            while name in documents:
                k += 1
                name = f"{rdoc.name}#{k}"
            documents[name] = rdoc.text
            by_text[rdoc.text] = name
        if not rdoc.records and path in named:
            report.append(f"WARNING: {path}: no unit is marked \"reviewed\": true, so the file adds no labels")
        elif not rdoc.records:
            unreviewed[path.parent] = unreviewed.get(path.parent, 0) + 1
        for rec in rdoc.records:
            rec.doc = name
        batches[index] = rdoc.records
        context.setdefault(name, []).extend(rdoc.structure)
    report += [f"{folder}: {n} reviewer file(s) with no reviewed unit yet add no labels"
               for folder, n in unreviewed.items()]
    for index, path, found in exported:
        batches[index] = _review_records(path, found, documents, doc_dirs, known_labels, allow_new_labels)
        by_text.update({text: name for name, text in documents.items() if text not in by_text})
        if not batches[index]:
            report.append(f"WARNING: {path}: no task has a submitted annotation, so the file adds no labels")
    for index, path in enumerate(paths):
        sources[str(path)].update(units=len(batches[index]), reviewed_units=sum(r.reviewed for r in batches[index]))
    units = _merge(batches, report)
    if not any(u.kind != "boilerplate" for u in units):
        raise DataError("E071", paths=", ".join(map(str, paths)))
    for u in units:
        if u.kind == "boilerplate" and u.labels:
            report.append(f"WARNING: {u.source}:{u.line}: a boilerplate unit carries labels {u.labels}; "
                          "boilerplate is never labelled, so they are not used (change its kind to keep them)")
    counts: dict[str, int] = {}
    first: dict[str, UnitRecord] = {}
    for u in sorted(units, key=lambda r: (r.source, r.line)):
        for label in u.labels:
            counts[label] = counts.get(label, 0) + 1
            first.setdefault(label, u)
    new = sorted(set(counts) - set(known_labels))
    if not allow_new_labels:
        for label in new:
            rival = next((o for o in sorted(counts, key=lambda x: (-counts[x], x))
                          if counts[o] > counts[label] and looks_like(label, o)), None)
            if rival is not None:
                raise DataError("E031", path=first[label].source, line=first[label].line, label=label,
                                hint=f" (did you mean '{rival}', which {counts[rival]} units carry?)",
                                known=", ".join(known_labels + [x for x in new if x != label]))
    labels = [label for label in known_labels if label in counts] + new
    for label in known_labels:
        if label not in counts:
            report.append(f"label '{label}' has no units in the data: the model will not have it")
    for label in new:
        report.append(f"new label '{label}' ({counts[label]} units, first at {first[label].source}:"
                      f"{first[label].line})")
    used_docs = {u.doc for u in units}
    for source in sources.values():
        source["kept_after_merge"] = 0
    for u in units:
        sources[u.source]["kept_after_merge"] += 1
    return LabelledCorpus({d: t for d, t in documents.items() if d in used_docs}, units, labels, report, hashes,
                          {d: c for d, c in context.items() if d in used_docs}, new, sources)


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
