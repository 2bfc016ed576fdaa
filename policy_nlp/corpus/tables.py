"""Tables researchers open: per report (summary), per indicator and per unit (long), with stable ids and the
report's region, year and kind, written as CSV (UTF-8 with BOM), Excel `.xlsx` or Parquet.

The `id` of a table is stable: the report's path relative to the input folder it was found in (`roots`, the
folders given to `annotate`), or else relative to the deepest folder all the path-like ids share, or else (no
shared folder) its file name when the file names differ — never the path as typed, which changes with the
working directory. `path` keeps the id as recorded. Region, year, kind,
title and issuer come from the document's `metadata` (`policy_nlp.corpus.metadata`), replaced by the user's CSV
where it has a value; `metadata_sources` says where each came from.
"""
from __future__ import annotations

import csv
import json
import posixpath
import re
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..atomic import replacing
from ..errors import DataError
from . import jsonio
from .metadata import document_metadata
from .records import iter_records, summary_row

REPORT_COLUMNS = ("id", "path", "region", "year", "kind", "title", "issuer")
UNIT_COLUMNS = ("id", "region", "year", "kind", "unit", "start", "end", "unit_kind", "section", "text", "labels")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
_FORMULA_START = re.compile(r"^[=+@\t\r]|^-(?![\d.])")


def _posix(doc_id: str) -> str:
    return str(doc_id).replace("\\", "/")


def stable_ids(ids: Sequence[str], roots: Sequence[str | Path] = ()) -> dict[str, str]:
    """Each id → its stable form (see the module doc). Ids that are not paths (`TABLE#ROW` keeps its row, an
    id column's values stay as they are) are only cut like the paths around them; clashes keep the id."""
    ids = [str(i) for i in ids]
    folders = [_posix(str(r)).rstrip("/") + "/" for r in roots if Path(r).is_dir()]
    out: dict[str, str] = {}
    rest = []
    for doc_id in ids:
        root = next((f for f in folders if _posix(doc_id).startswith(f)), None)
        if root is not None:
            out[doc_id] = _posix(doc_id)[len(root):]
        else:
            rest.append(doc_id)
    paths = [_posix(i) for i in rest if "/" in _posix(i)]
    try:
        common = posixpath.commonpath([posixpath.dirname(p) for p in paths]) if paths and len(paths) == len(rest) else ""
    except ValueError:  # absolute and relative paths mixed
        common = ""
    names = [posixpath.basename(_posix(i)) for i in rest]
    by_name = len(set(names)) == len(names)  # no shared folder: file names, when they tell the reports apart
    for doc_id in rest:
        p = _posix(doc_id)
        if common and p.startswith(common + "/"):
            out[doc_id] = p[len(common) + 1:]
        elif "/" in p and by_name:
            out[doc_id] = posixpath.basename(p)
        else:
            out[doc_id] = p
    seen: dict[str, int] = {}
    for v in out.values():
        seen[v] = seen.get(v, 0) + 1
    return {k: (v if seen[v] == 1 else k) for k, v in out.items()}


def report_columns(rec: dict, stable_id: str, overrides: dict | None = None) -> dict:
    """`REPORT_COLUMNS` and `metadata_sources` of one reviewer-JSON record (or error record)."""
    meta = document_metadata(rec, overrides=overrides)
    values = meta.values()
    row = {"id": stable_id, "path": rec.get("id")}
    row.update({k: values[k] for k in REPORT_COLUMNS[2:]})
    row["metadata_sources"] = " ".join(f"{k}:{f.source}" for k, f in meta.fields.items())
    return row


def iter_annotated(paths: Sequence[str | Path]) -> Iterator[dict]:
    """Reviewer-JSON records (dicts) from `.json` files, directories of them (recursively, sorted), and
    annotated corpora (`.jsonl`, `.parquet`); error records are yielded too (they have `error`). Anything
    else — a missing file, a table of texts not yet annotated — raises E175."""
    from .document import SCHEMA_ID, non_finite

    for given in paths:
        path = Path(given)
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".jsonl", ".parquet")
                       and p.is_file()) if path.is_dir() else [path]
        for f in files:
            suffix = f.suffix.lower()
            try:
                if suffix == ".json":
                    rec = jsonio.loads(f.read_text(encoding="utf-8-sig"), f)
                    if isinstance(rec, dict) and rec.get("units") is not None:
                        rec.setdefault("id", _posix(str(f)))
                    records: Iterable = [rec]
                elif suffix in (".jsonl", ".parquet"):
                    records = iter_records(f)
                else:
                    raise DataError("E175", path=f, detail="not a .json, .jsonl or .parquet file")
                for rec in records:
                    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA_ID:
                        raise DataError("E175", path=f, detail=f"a record is not {SCHEMA_ID} reviewer JSON")
                    nan = non_finite(rec)
                    if nan:
                        raise DataError("E043", where=f, detail=f"the number at {nan[:80]} is not finite")
                    yield rec
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError) as exc:
                raise DataError("E175", path=f, detail=str(exc)) from None


def labels_of(records: Iterable[dict]) -> list[str]:
    """The labels of the records' models, in model order, first seen first."""
    labels: list[str] = []
    for rec in records:
        for label in (rec.get("model") or {}).get("labels", []):
            if label not in labels:
                labels.append(label)
    return labels


def _ids(records, ids: dict[str, str] | None, roots) -> dict[str, str]:
    return ids if ids is not None else stable_ids([str(r.get("id")) for r in records], roots)


def summary_rows(records: Iterable[dict], labels: Sequence[str], *, roots: Sequence[str | Path] = (),
                 overrides: dict | None = None, ids: dict[str, str] | None = None) -> Iterator[dict]:
    """One row per report: `REPORT_COLUMNS`, then the batch summary's counts and shares per label, then
    `metadata_sources`. `ids`: the stable ids (`stable_ids`) when `records` is a stream, not a list."""
    ids = _ids(records, ids, roots)
    for rec in records:
        row = report_columns(rec, ids[str(rec.get("id"))], overrides)
        sources = row.pop("metadata_sources")
        row.update({k: v for k, v in summary_row(rec, labels).items() if k != "id"})
        row["metadata_sources"] = sources
        yield row


def unit_rows(records: Iterable[dict], labels: Sequence[str], *, roots: Sequence[str | Path] = (),
              overrides: dict | None = None, ids: dict[str, str] | None = None) -> Iterator[dict]:
    """The long table: one row per unit of every report (error records have none): `UNIT_COLUMNS` and a
    `<label>_score` per label; `section` joins the headings above the unit with ' > ', `labels` with ';'."""
    ids = _ids(records, ids, roots)
    for rec in records:
        report = report_columns(rec, ids[str(rec.get("id"))], overrides)
        for i, unit in enumerate(rec.get("units") or []):
            row = {"id": report["id"], "region": report["region"], "year": report["year"], "kind": report["kind"],
                   "unit": i, "start": unit["start"], "end": unit["end"], "unit_kind": unit["kind"],
                   "section": " > ".join(unit.get("section") or []), "text": unit["text"],
                   "labels": ";".join(unit.get("labels") or [])}
            scores = unit.get("scores") or {}
            row.update({f"{label}_score": scores.get(label) for label in labels})
            yield row


def with_report_columns(rows: Iterable[dict], records: Sequence[dict], *, roots: Sequence[str | Path] = (),
                        overrides: dict | None = None, ids: dict[str, str] | None = None) -> list[dict]:
    """Rows keyed by a report's recorded `id` (the indicator table and its pivot) with the stable id and the
    report's region, year (the metadata's, else the row's own) and kind put in front."""
    ids = _ids(records, ids, roots)
    by_id = {str(r.get("id")): report_columns(r, ids[str(r.get("id"))], overrides) for r in records}
    out = []
    for row in rows:
        report = by_id.get(str(row.get("id")), {})
        front = {"id": report.get("id", row.get("id")), "region": report.get("region"),
                 "year": report.get("year") or row.get("year"), "kind": report.get("kind")}
        out.append({**front, **{k: v for k, v in row.items() if k not in front}})
    return out


def write_rows(rows: Iterable[dict], path: str | Path, columns: Sequence[str] | None = None) -> int:
    """Write rows to `.csv` (UTF-8 with BOM, so Excel reads the Chinese; a text cell that Excel would take as
    a formula — starting with = + - @ — gets a leading '), `.xlsx` (XlsxWriter; text always stored as text,
    never as a formula or a number) or `.parquet`. Columns: `columns`, else the first row's keys. The file
    appears complete or not at all. Returns the number of rows. Other suffixes raise E173; a failed write
    raises the OSError."""
    path = Path(path)
    suffix = path.suffix.lower()
    writer = {".csv": _write_csv, ".xlsx": _write_xlsx, ".parquet": _write_parquet}.get(suffix)
    if writer is None:
        raise DataError("E173", path=str(path), detail=f"unknown suffix '{path.suffix}'")
    rows = iter(rows)
    first = next(rows, None)
    columns = list(columns or (first.keys() if first else ()))
    everything = ([first] if first is not None else [])
    with replacing(path) as tmp:
        return writer(_chain(everything, rows), tmp, columns)


def _chain(first: list, rest: Iterator) -> Iterator[dict]:
    yield from first
    yield from rest


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def _write_csv(rows: Iterator[dict], path: Path, columns: list[str]) -> int:
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
            n += 1
    return n


def _write_xlsx(rows: Iterator[dict], path: Path, columns: list[str]) -> int:
    try:
        import xlsxwriter
    except ImportError:
        raise DataError("E172", what="Writing .xlsx", package="XlsxWriter") from None
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("table")
    bold = book.add_format({"bold": True})
    for j, c in enumerate(columns):
        sheet.write_string(0, j, c, bold)
    n = 0
    for n, row in enumerate(rows, start=1):
        if n > XLSX_MAX_ROWS:
            book.close()
            raise DataError("E173", path=str(path), detail=f"more than {XLSX_MAX_ROWS} rows, Excel's limit; "
                                                          "write .csv or .parquet")
        for j, c in enumerate(columns):
            value = row.get(c)
            if isinstance(value, bool) or value is None:
                sheet.write_string(n, j, "" if value is None else str(value))
            elif isinstance(value, (int, float)):
                sheet.write_number(n, j, value)
            else:
                sheet.write_string(n, j, str(value))
    sheet.freeze_panes(1, 0)
    book.close()
    return n


def _write_parquet(rows: Iterator[dict], path: Path, columns: list[str]) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("E172", what="Writing .parquet", package="pyarrow") from None
    rows = list(rows)
    arrays = {}
    for c in columns:
        values = [row.get(c) for row in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            if any(isinstance(v, float) for v in present):
                values = [None if v is None else float(v) for v in values]
            arrays[c] = pa.array(values)
        elif present and all(isinstance(v, bool) for v in present):
            arrays[c] = pa.array(values, type=pa.bool_())
        else:
            arrays[c] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    pq.write_table(pa.table(arrays) if columns else pa.table({}), path)
    return len(rows)


def write_summary(output: str | Path, summary_path: str | Path, labels: Sequence[str], *,
                  roots: Sequence[str | Path] = (), overrides: dict | None = None) -> int:
    """The summary table of a JSONL/Parquet output of `annotate` (`--summary`); returns the number of rows."""
    ids = stable_ids([str(rec.get("id")) for rec in iter_records(output)], roots)  # two passes: flat memory
    return write_rows(summary_rows(iter_records(output), labels, overrides=overrides, ids=ids), summary_path)


def write_tables(inputs: Sequence[str | Path], *, summary=None, units=None, indicators=None, pivot=None,
                 metadata: str | Path | None = None) -> dict[str, int]:
    """`policy-nlp tables`: the summary, long unit, indicator and pivot tables of annotated reports (reviewer
    JSON files or folders, `.jsonl`/`.parquet` corpora) into the paths given. Ids are relative to the folders
    among `inputs`. Returns {path: rows}. No annotated report raises E174."""
    from .document import AnnotatedDocument
    from .indicator_table import indicator_rows, pivot as pivot_rows
    from .metadata import read_overrides

    overrides = read_overrides(metadata) if metadata else None
    records = list(iter_annotated(inputs))
    if not any(rec.get("units") is not None for rec in records):
        raise DataError("E174", paths=", ".join(map(str, inputs)))
    labels = labels_of(records)
    ids = stable_ids([str(r.get("id")) for r in records], roots=inputs)
    written: dict[str, int] = {}
    if summary:
        written[str(summary)] = write_rows(summary_rows(records, labels, overrides=overrides, ids=ids), summary)
    if units:
        written[str(units)] = write_rows(unit_rows(records, labels, overrides=overrides, ids=ids), units)
    if indicators or pivot:
        done = [r for r in records if r.get("units") is not None]
        rows = indicator_rows(AnnotatedDocument.from_dict(r) for r in done)
        for path, table in ((indicators, rows), (pivot, pivot_rows(rows) if pivot else [])):
            if path:
                written[str(path)] = write_rows(with_report_columns(table, done, overrides=overrides, ids=ids), path)
    return written


__all__ = ["REPORT_COLUMNS", "UNIT_COLUMNS", "stable_ids", "report_columns", "iter_annotated", "labels_of",
           "summary_rows", "unit_rows", "with_report_columns", "write_rows", "write_summary", "write_tables"]
