"""Reading an annotated corpus's records back (JSONL or Parquet, one at a time) and the per-report counts a
summary row holds."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Sequence

from . import jsonio
from ..errors import DataError
from .document import SCHEMA_ID


def pyarrow_module(what: str):
    """The pyarrow module (with pyarrow.parquet); E112 when it is not installed, saying `what` needs it."""
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise DataError("E112", what=what, package="pyarrow") from None
    return pyarrow


def iter_records(output: str | Path) -> Iterator[dict]:
    """The records of a JSONL or Parquet output, one at a time (flat memory)."""
    output = Path(output)
    if output.suffix.lower() == ".parquet":
        pq = pyarrow_module("Reading a Parquet output").parquet

        rows = (row for batch in pq.ParquetFile(output).iter_batches(columns=["id", "error", "document"],
                                                                     batch_size=64) for row in batch.to_pylist())
        for number, row in enumerate(rows, 1):
            if row["document"] is not None:
                yield load_record(row["document"], output, number)
            else:
                yield {"schema": SCHEMA_ID, "id": row["id"], "error": row["error"]}
        return
    with open(output, encoding="utf-8") as src:
        for number, line in enumerate(src, 1):
            if line.strip():
                yield load_record(line, output, number)


def load_record(line: str, path: Path, number: int):
    """One record of an output (a JSONL line, a Parquet row's document): E030 naming the line when it is not
    JSON (an integer longer than `int()` converts included), E118 when it nests too deep."""
    try:
        return jsonio.loads(line, path)
    except json.JSONDecodeError as exc:
        raise DataError("E030", path=path, line=number, detail=exc.msg) from None


def _content_units(rec: dict) -> list[dict]:
    return [u for u in rec.get("units") or [] if u["kind"] != "boilerplate"]


def summary_row(rec: dict, labels: Sequence[str]) -> dict:
    """A summary CSV row: counts of units, and per label its units and share of the content units
    (all units but boilerplate); no share (an empty cell) for a failed document or one without content
    units, which would pull averages down as zeros."""
    row = {"id": rec.get("id"), "error": rec.get("error") or ""}
    units = rec.get("units") or []
    content = _content_units(rec)
    row.update({"characters": len(rec.get("text") or ""), "units": len(units), "content_units": len(content),
                "headings": sum(u["kind"] == "heading" for u in units),
                "warnings": " ".join(w["code"] for w in rec.get("warnings") or [])})
    for label, share in label_shares(rec, labels).items():
        row[f"{label}_units"] = sum(label in u["labels"] for u in content)
        row[f"{label}_share"] = None if share is None else round(share, 4)
    return row


def label_shares(rec: dict, labels: Sequence[str]) -> dict[str, float | None]:
    """Per label, its share of the content units (all units but boilerplate) of an output record; None when
    it has none (an error record, a page of boilerplate only): no share to average."""
    content = _content_units(rec)
    return {label: sum(label in u["labels"] for u in content) / len(content) if content else None
            for label in labels}
