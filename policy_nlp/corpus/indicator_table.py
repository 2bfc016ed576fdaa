"""Indicator tables across reports: one row per (report, indicator), a wide pivot, CSV/Parquet output.

The input is `AnnotatedDocument` objects whose units carry indicator records (`AnnotatedUnit.indicators`,
filled by `AnnotatedDocument.from_doc` when the pipeline ran `policy_nlp_indicators`, or read back from
reviewer JSON).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from ..errors import DataError

COLUMNS = ("id", "year", "theme", "canonical", "phrase", "value", "value_max", "qualifier", "unit", "value_written",
           "unit_written", "measure", "role", "status", "change_direction", "change_value", "change_unit",
           "change_basis", "start", "end", "unit_start", "unit_end", "text")


def indicator_rows(documents: Iterable) -> list[dict]:
    """One row per (report, indicator record), columns `COLUMNS`, in document then offset order. A document
    without an id gets its position (`doc0`, `doc1`, …)."""
    from ..model.features import report_year_of

    rows: list[dict] = []
    for k, doc in enumerate(documents):
        doc_id = doc.id if doc.id is not None else f"doc{k}"
        fallback_year = None
        for unit in doc.units:
            for rec in unit.indicators:
                year = rec.get("year")
                if year is None:
                    if fallback_year is None:
                        fallback_year = report_year_of(doc.text) or 0
                    year = fallback_year or None
                change = rec.get("change") or {}
                rows.append({
                    "id": doc_id, "year": year, "theme": rec.get("theme"), "canonical": rec.get("canonical"),
                    "phrase": rec.get("phrase"), "value": rec.get("value"), "value_max": rec.get("value_max"),
                    "qualifier": rec.get("qualifier"), "unit": rec.get("unit"),
                    "value_written": rec.get("value_written"), "unit_written": rec.get("unit_written"),
                    "measure": rec.get("measure"), "role": rec.get("role"), "status": rec.get("status"),
                    "change_direction": change.get("direction"), "change_value": change.get("value"),
                    "change_unit": change.get("unit"), "change_basis": change.get("basis"),
                    "start": rec.get("start"), "end": rec.get("end"), "unit_start": unit.start,
                    "unit_end": unit.end, "text": rec.get("text"),
                })
    return rows


def pivot(rows: Iterable[dict]) -> list[dict]:
    """One row per report id: `id`, `year`, and one column per canonical name holding the value of the
    report's first `level` record of that indicator that is not a target (reports in first-seen order, columns
    sorted): a threshold passed (`突破4000亿元`) and next year's target (`增长8.5%左右`) are no headline."""
    by_id: dict[str, dict] = {}
    names: set[str] = set()
    for row in rows:
        out = by_id.setdefault(row["id"], {"id": row["id"], "year": row.get("year")})
        if out["year"] is None and row.get("year") is not None:
            out["year"] = row["year"]
        name = row.get("canonical")
        if not name or row.get("role") != "level" or row.get("status") == "target":
            continue
        names.add(name)
        out.setdefault(name, row.get("value"))
    columns = sorted(names)
    return [{"id": r["id"], "year": r["year"], **{n: r.get(n) for n in columns}} for r in by_id.values()]


def write_table(rows: list[dict], path: str | Path) -> Path:
    """Write rows to `.csv` (UTF-8, header from the first row's keys, or `COLUMNS` when empty) or `.parquet`
    (needs pyarrow). Any other suffix raises E092."""
    path = Path(path)
    rows = list(rows)
    columns = list(rows[0].keys()) if rows else list(COLUMNS)
    for row in rows[1:]:  # a pivot's rows share keys; keep any extra key of a later row too
        for key in row:
            if key not in columns:
                columns.append(key)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
        return path
    if suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise DataError("E092", path=str(path), detail=f"pyarrow is not installed ({exc})") from None
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {c: _column([row.get(c) for row in rows]) for c in columns}
        arrays = {}
        for c, v in data.items():
            if c in _FLOAT_COLUMNS or (c not in COLUMNS and c not in ("id", "year")):  # values (pivot columns too)
                arrays[c] = pa.array([None if x is None else float(x) for x in v], type=pa.float64())
            elif any(x is not None for x in v):
                arrays[c] = pa.array(v)
            else:
                arrays[c] = pa.array(v, type=pa.string())
        table = pa.table(arrays)
        pq.write_table(table, path)
        return path
    raise DataError("E092", path=str(path), detail=f"unknown suffix '{path.suffix}'")


_FLOAT_COLUMNS = ("value", "value_max", "value_written", "change_value")


def _column(values: list) -> list:
    """A column where ints and floats mix (`value`: 319 and 3.5) becomes all floats, so Arrow can type it."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if any(isinstance(v, float) for v in numbers):
        return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values]
    return values


__all__ = ["COLUMNS", "indicator_rows", "pivot", "write_table"]
