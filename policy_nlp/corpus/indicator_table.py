"""Indicator tables across reports: one row per (report, indicator) and a wide pivot (written by
`policy_nlp.corpus.tables.write_rows`).

The input is `AnnotatedDocument` objects whose units carry indicator records (`AnnotatedUnit.indicators`,
filled by `AnnotatedDocument.from_doc` when the pipeline ran `policy_nlp_indicators`, or read back from
reviewer JSON).
"""
from __future__ import annotations

from typing import Iterable

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


__all__ = ["COLUMNS", "indicator_rows", "pivot"]
