"""The review loop's file work: export annotated documents for a labelling tool, import its export back.

`export_documents` writes Label Studio tasks (and the project's labeling config) or doccano JSONL from
reviewer JSON files, annotate's JSONL output or report files; `import_reviews` turns the tools' exports
into reviewer JSON files whose reviewed units carry the reviewers' labels (`"reviewed": true`), which
`policy-nlp train` reads. The formats themselves are in `review_formats`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..errors import DataError
from . import jsonio
from .document import AnnotatedDocument, AnnotatedUnit, is_inner_path, typo_of
from ..atomic import atomic_write
from .review_formats import (apply_reviews, doc_name, label_studio_config, read_review_file,
                             resolve_document, text_sha256, to_doccano, to_label_studio)

FORMATS = ("label-studio", "doccano")


def read_documents(inputs: Sequence[str | Path], *, model=None, segmenter: str = "pkuseg", nlp=None
                   ) -> list[tuple[AnnotatedDocument, Path]]:
    """Annotated documents from reviewer JSON files, annotate's JSONL output (error records skipped),
    report .txt files (annotated now with `model`/`nlp`) and directories of these (their *.json, or else
    their *.txt). Returns (document, the file it came from)."""
    from .batch import annotate_to_directory
    from .records import iter_records

    docs: list[tuple[AnnotatedDocument, Path]] = []
    reports: list[Path] = []
    for p in map(Path, inputs):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() == ".json")
            files = found or sorted(q for q in p.rglob("*.txt") if q.is_file())
        elif p.is_file():
            files = [p]
        else:
            raise DataError("E039", path=p)
        for f in files:
            suffix = f.suffix.lower()
            if suffix == ".json":
                try:
                    data = jsonio.loads(f.read_text(encoding="utf-8-sig"), f)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise DataError("E040", path=f, detail=str(exc)) from None
                doc = AnnotatedDocument.from_dict(data)
                doc.id = doc.id or f.name
                docs.append((doc, f))
            elif suffix == ".jsonl":
                for rec in iter_records(f):
                    if "error" in rec and "units" not in rec:
                        continue
                    docs.append((AnnotatedDocument.from_dict(rec), f))
            else:
                reports.append(f)
    if reports:
        from ..pipeline import load

        nlp = nlp or load(model, segmenter=segmenter)
        for doc_id, result, error, _ in annotate_to_directory(reports, None, nlp=nlp):
            if result is None:
                raise DataError("E055", id=doc_id, detail=error)
            result.id = str(doc_id)
            docs.append((result, Path(str(doc_id))))
    if not docs:
        raise DataError("E137", paths=", ".join(map(str, inputs)))
    return docs


def export_documents(inputs: Sequence[str | Path], output: str | Path, fmt: str, *, config: str | Path | None = None,
                     model=None, segmenter: str = "pkuseg", nlp=None, overwrite: bool = False) -> dict:
    """Write the units of annotated documents as Label Studio tasks (`fmt="label-studio"`, a JSON list, and
    the labeling config XML next to it or at `config`) or doccano text-classification JSONL
    (`fmt="doccano"`). An existing output is replaced only with `overwrite` (E139). Returns a summary."""
    if fmt not in FORMATS:
        raise DataError("E136", format=fmt)
    output = Path(output)
    if output.exists() and not overwrite:
        raise DataError("E139", path=output, detail="it exists (a file reviewers may have started from)")
    docs = [d for d, _ in read_documents(inputs, model=model, segmenter=segmenter, nlp=nlp)]
    labels: list[str] = []
    for d in docs:
        labels.extend(x for x in d.labels if x not in labels)
    summary = {"format": fmt, "output": str(output), "documents": len(docs),
               "models": sorted({f"{d.model.get('name')} {d.model.get('version')}" for d in docs}),
               "labels": labels}
    if fmt == "label-studio":
        tasks = to_label_studio(docs)
        atomic_write(output, json.dumps(tasks, ensure_ascii=False, indent=1))
        config = Path(config) if config is not None else output.with_suffix(".xml")
        atomic_write(config, label_studio_config(labels))
        summary.update(units=len(tasks), config=str(config))
    else:
        records = to_doccano(docs)
        atomic_write(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        summary.update(units=len(records), labels_to_create=labels)
    return summary


def read_reviews(exports: Sequence[str | Path]) -> list[tuple[Path, str, list[AnnotatedUnit]]]:
    """(file, format, reviewed units) of each Label Studio / doccano export; E138 if none holds any."""
    out = []
    for p in map(Path, exports):
        if not p.is_file():
            raise DataError("E039", path=p)
        fmt, units = read_review_file(p)
        out.append((p, fmt, units))
    if not any(units for _, _, units in out):
        raise DataError("E138", path=", ".join(map(str, exports)),
                        detail="no task has a submitted annotation (or the file holds no records)")
    return out


WHOLE_REPORT_MIN_UNITS = 20  # an import reviewing every unit of a report this long at once is refused (E122)


def import_reviews(exports: Sequence[str | Path], out_dir: str | Path, *, documents: Sequence[str | Path] = (),
                   seeds_dir: str | Path | None = None, overwrite: bool = False,
                   whole_reports: bool = False) -> dict:
    """Write the reviewed units of Label Studio / doccano exports into reviewer JSON files in `out_dir`, one
    per report. Each report is found among `documents` (the reviewer JSON files the tasks were exported from,
    or report files) by its text's SHA-256, or by name in `seeds_dir` and the packaged report folders. The
    reviewer JSON it came from is the base: its other units stay as the model left them; a file already in
    `out_dir` for the same text, whatever its name (the one `annotate -o DIR` wrote), is the base and the
    target instead (earlier reviews are kept, later exports win for the same unit); otherwise the file is
    `<report name>.json`, and one there holding another text is replaced only with `overwrite` (E139). An
    import that marks every content unit of a report of `WHOLE_REPORT_MIN_UNITS` or more reviewed at once
    (an edited unit file rather than a review) is refused (E122) unless `whole_reports`. Returns a summary
    with one row per file written."""
    from .shipped_data import document_dirs
    from .inputs import read_text

    out_dir = Path(out_dir)
    reviews = read_reviews(exports)
    bases: dict[str, AnnotatedDocument] = {}  # sha → document
    texts: dict[str, str] = {}  # name → text
    by_sha: dict[str, str] = {}  # sha → name
    for p in map(Path, documents):
        files = ([q for q in sorted(p.iterdir()) if q.suffix.lower() in (".json", ".txt")] if p.is_dir() else [p])
        for f in files:
            if f.suffix.lower() == ".txt":
                text = read_text(f)
                name, doc = f.name, None
            else:
                doc = read_documents([f])[0][0]
                text, name = doc.text, doc_name(doc, f.stem)
            sha = text_sha256(text)
            if doc is not None:
                bases[sha] = doc
            if sha not in by_sha:
                name = _distinct_name(name, doc, sha, texts)
                texts[name] = text
                by_sha[sha] = name
    doc_dirs = ([Path(seeds_dir)] if seeds_dir else []) + document_dirs()
    per_doc: dict[str, dict[tuple[int, int], AnnotatedUnit]] = {}
    for path, _, units in reviews:
        for u in units:
            name = resolve_document(u, texts, by_sha, doc_dirs, path)
            per_doc.setdefault(name, {})[(u.start, u.end)] = u
    summary = {"exports": [str(p) for p, _, _ in reviews], "formats": sorted({f for _, f, _ in reviews}),
               "files": [], "reviewed": 0}
    written = _reviewer_files(out_dir)
    merged = [_merged(name, units, texts[name], bases, out_dir, overwrite, written) for name, units in per_doc.items()]
    _check_targets(merged)
    if not whole_reports:
        for name, target, doc, counts in merged:
            content = [u for u in doc.units if u.kind != "boilerplate"]
            if len(content) >= WHOLE_REPORT_MIN_UNITS and counts["reviewed"] >= len(content):
                raise DataError("E122", doc=name, units=len(content))
    out_dir.mkdir(parents=True, exist_ok=True)  # every task was accepted: only now is anything written
    for name, target, doc, counts in merged:
        atomic_write(target, doc.to_json())
        summary["files"].append({"doc": name, "path": str(target), **counts})
        summary["reviewed"] += counts["reviewed"]
    return summary


def _distinct_name(name: str, doc: AnnotatedDocument | None, sha: str, texts: dict[str, str]) -> str:
    """`name`, or where another report of the documents given already goes by it (two `r.txt` of different
    folders), the document's own relative id (`2024/r.txt`), else the name with its text's SHA-256 prefix:
    the tasks are matched to it by that SHA-256, never to the other report."""
    if name not in texts:
        return name
    if doc is not None and doc.id and is_inner_path(str(doc.id)) and str(doc.id) not in texts:
        return str(doc.id)
    return f"{name}@{sha[:12]}"


def _check_targets(merged: list) -> None:
    """Refuse (E139) an import that would write two reports to the same file (`sub1/a.txt` and `sub2/a.txt`
    both to `a.json`), before anything is written."""
    seen: dict[Path, str] = {}
    for name, target, _, _ in merged:
        if target in seen:
            raise DataError("E139", path=target, detail=f"the reviews of two reports would be written to it "
                                                        f"({seen[target]} and {name}); import them into "
                                                        f"separate -o folders")
        seen[target] = name


def _reviewer_files(out_dir: Path) -> dict[str, Path]:
    """The reviewer JSON files already in `out_dir`, by the SHA-256 of their text (the first, by name, wins)."""
    found: dict[str, Path] = {}
    for path in sorted(out_dir.glob("*.json")) if out_dir.is_dir() else []:
        try:
            found.setdefault(text_sha256(AnnotatedDocument.from_json(path.read_text(encoding="utf-8-sig")).text),
                             path)
        except (ValueError, UnicodeDecodeError, DataError):
            continue
    return found


def _merged(name: str, units: dict, text: str, bases: dict, out_dir: Path, overwrite: bool,
            written: dict[str, Path]) -> tuple[str, Path, AnnotatedDocument, dict]:
    """(name, output file, reviewer JSON with the reviews applied, counts) of one report of an import."""
    sha = text_sha256(text)
    target = written.get(sha) or out_dir / f"{Path(name).stem if name.lower().endswith('.txt') else name}.json"
    seen = list(dict.fromkeys(label for u in units.values() for label in u.labels))
    base = bases.get(sha) or AnnotatedDocument(text=text, units=[], model={"labels": seen}, id=name)
    if target.exists():
        try:
            existing = AnnotatedDocument.from_json(target.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            existing = None
        if existing is not None and existing.text == text:
            base = existing
        elif not overwrite:
            raise DataError("E139", path=target, detail="it holds another report's reviewer JSON")
    _check_label_spelling(name, units.values(), base.labels)
    doc, counts = apply_reviews(base, units.values())
    return name, target, doc, counts


def _check_label_spelling(name: str, units, known: Sequence[str]) -> None:
    """A reviewed label the report's model does not know that looks like a misspelling of one it does is
    refused (E031), as in training data; a genuinely new label passes."""
    for u in units:
        for label in u.labels:
            typo = None if label in known else typo_of(label, known)
            if typo:
                raise DataError("E031", path=name, line=u.line, label=label, hint=f" (did you mean '{typo}'?)",
                                known=", ".join(known))
