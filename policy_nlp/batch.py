"""Annotating corpora: streaming, resumable, multi-process, with per-report summaries.

`annotate_corpus` reads `InputDocument`s, runs them through `nlp.pipe` (optionally with several
processes), and appends one reviewer-JSON record per document to a JSONL file (flushed line by line),
or to a JSONL journal that is converted to Parquet at the end. A rerun skips the ids already complete
in the output; a truncated last line left by a killed run is cut off first. A document that cannot be
read or annotated becomes a record with an `error` field, and the run goes on.
`annotate_dataset` does the same for a `datasets.Dataset` via `Dataset.map`.
"""
from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .document import AnnotatedDocument
from .errors import DataError
from .inputs import InputDocument, iter_inputs, list_sources

DEFAULT_MAX_CHARS = 20_000_000


@dataclass
class BatchSummary:
    documents: int = 0
    skipped: int = 0
    failed: int = 0
    units: int = 0
    characters: int = 0
    seconds: float = 0.0
    label_counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    @property
    def all_failed(self) -> bool:
        return self.documents > 0 and self.failed == self.documents

    def to_dict(self) -> dict:
        return {"documents": self.documents, "skipped_already_done": self.skipped, "failed": self.failed,
                "units": self.units, "characters": self.characters, "seconds": round(self.seconds, 3),
                "label_counts": self.label_counts, "errors": self.errors}


# -- output ---------------------------------------------------------------------------------------------
def completed_ids(jsonl: Path) -> set[str]:
    """Ids of the complete records of a JSONL output; a truncated last line is cut off the file."""
    done: set[str] = set()
    if not jsonl.exists():
        return done
    good_end = 0
    with open(jsonl, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                rec = json.loads(raw)
            except ValueError:
                break
            done.add(str(rec.get("id")))
            good_end += len(raw)
    if good_end != jsonl.stat().st_size:
        with open(jsonl, "r+b") as fh:
            fh.truncate(good_end)
    return done


def _record(doc: InputDocument, annotated: AnnotatedDocument | None, error: str | None) -> dict:
    if annotated is not None:
        annotated.id = doc.id
        return annotated.to_dict()
    return {"schema": "policy_nlp.document/v1", "id": doc.id, "error": error}


def _summary_row(rec: dict, labels: Sequence[str]) -> dict:
    row = {"id": rec.get("id"), "error": rec.get("error") or ""}
    units = rec.get("units") or []
    content = [u for u in units if u["kind"] != "boilerplate"]
    row.update({"characters": len(rec.get("text") or ""), "units": len(units), "content_units": len(content),
                "headings": sum(u["kind"] == "heading" for u in units)})
    for label in labels:
        n = sum(label in u["labels"] for u in content)
        row[f"{label}_units"] = n
        row[f"{label}_share"] = round(n / len(content), 4) if content else 0.0
    return row


def write_summary_csv(output_jsonl: Path, summary_csv: Path, labels: Sequence[str]) -> int:
    """One row per report of a JSONL output: unit counts and the share of units per label."""
    rows = 0
    tmp = summary_csv.with_name(summary_csv.name + ".tmp")
    fields = ["id", "error", "characters", "units", "content_units", "headings"]
    fields += [f"{label}_{kind}" for label in labels for kind in ("units", "share")]
    with open(output_jsonl, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8", newline="") as dst:
        writer = csv.DictWriter(dst, fieldnames=fields)
        writer.writeheader()
        for line in src:
            writer.writerow(_summary_row(json.loads(line), labels))
            rows += 1
    os.replace(tmp, summary_csv)
    return rows


def jsonl_to_parquet(jsonl: Path, parquet: Path, chunk: int = 256) -> None:
    """Convert a JSONL output to Parquet in chunks (flat memory): id, error, counts, the document JSON."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("error", pa.string()), ("characters", pa.int64()),
                        ("units", pa.int64()), ("document", pa.string())])
    tmp = parquet.with_name(parquet.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer, open(jsonl, encoding="utf-8") as src:
        batch: list[dict] = []

        def flush():
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch.clear()

        for line in src:
            rec = json.loads(line)
            batch.append({"id": rec.get("id"), "error": rec.get("error"), "characters": len(rec.get("text") or ""),
                          "units": len(rec.get("units") or []),
                          "document": None if rec.get("error") else line.rstrip("\n")})
            if len(batch) >= chunk:
                flush()
        flush()
    os.replace(tmp, parquet)


# -- the run ----------------------------------------------------------------------------------------------
def _screen(docs: Iterable[InputDocument], done: set[str], max_chars: int,
            summary: BatchSummary) -> Iterator[tuple[InputDocument, str | None]]:
    for doc in docs:
        if doc.id in done:
            summary.skipped += 1
            continue
        error = doc.error
        if error is None and not doc.text.strip():
            error = "empty document: nothing to annotate"
        if error is None and len(doc.text) > max_chars:
            error = DataError("E022", size=len(doc.text), limit=max_chars).message
        yield doc, error


def annotate_corpus(paths: Sequence[str | Path], output: str | Path, *, nlp=None, n_process: int = 1,
                    batch_size: int = 8, text_column: str = "text", id_column: str | None = None,
                    summary_csv: str | Path | None = None, max_chars: int = DEFAULT_MAX_CHARS,
                    progress: Callable[[int, int, int | None], None] | None = None) -> BatchSummary:
    """Annotate every input document into `output` (.jsonl or .parquet); resumable; returns a summary.

    `progress(documents_done, characters_done, documents_total_or_None)` is called after each document.
    """
    from .api import model_info
    from .pipeline import default_pipeline

    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".jsonl", ".parquet"):
        raise DataError("E053", path=output)
    journal = output if suffix == ".jsonl" else output.with_name(output.name + ".partial.jsonl")
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    labels = info.get("labels", [])
    summary = BatchSummary(label_counts={label: 0 for label in labels})
    sources = list_sources(paths)
    total = None if any(p.suffix.lower() in (".jsonl", ".csv", ".parquet", ".json") for _, p in sources) \
        else len(sources)
    done = completed_ids(journal)
    journal.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    screened = _screen(iter_inputs(paths, text_column, id_column), done, max_chars, summary)
    pending: list[tuple[InputDocument, str]] = []  # failed documents wait for their turn to keep order

    def good_inputs() -> Iterator[tuple[str, InputDocument]]:
        for doc, error in screened:
            if error is None:
                yield doc.text, doc
            else:
                pending.append((doc, error))

    with open(journal, "a", encoding="utf-8") as out:
        def write(rec: dict) -> None:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            out.flush()
            summary.documents += 1
            if progress:
                progress(summary.documents + summary.skipped, summary.characters, total)

        def drain() -> None:
            while pending:
                doc, error = pending.pop(0)
                summary.failed += 1
                summary.errors.append({"id": doc.id, "error": error})
                write(_record(doc, None, error))

        for spacy_doc, doc in nlp.pipe(good_inputs(), as_tuples=True, n_process=n_process, batch_size=batch_size):
            drain()
            annotated = AnnotatedDocument.from_doc(spacy_doc, info)
            summary.units += len(annotated.units)
            summary.characters += len(doc.text)
            for label, n in annotated.label_counts().items():
                summary.label_counts[label] = summary.label_counts.get(label, 0) + n
            write(_record(doc, annotated, None))
        drain()
    summary.seconds = time.perf_counter() - start
    if suffix == ".parquet":
        jsonl_to_parquet(journal, output)
    if summary_csv:
        write_summary_csv(journal, Path(summary_csv), labels)
    if suffix == ".parquet":
        journal.unlink()
    return summary


# -- datasets ----------------------------------------------------------------------------------------------
_WORKER_NLP = {}


def _worker_pipeline(model: str | None, segmenter: str):
    key = (model, segmenter)
    if key not in _WORKER_NLP:
        from .pipeline import load

        _WORKER_NLP[key] = load(model, segmenter=segmenter)
    return _WORKER_NLP[key]


def _map_batch(batch: dict, text_column: str, model: str | None, segmenter: str) -> dict:
    from .api import annotate

    nlp = _worker_pipeline(model, segmenter)
    out = {"policy_nlp": [], "n_units": [], "policy_nlp_error": []}
    labels = list(nlp.get_pipe("policy_nlp_themes").labels)
    shares = {label: [] for label in labels}
    for text in batch[text_column]:
        if not isinstance(text, str) or not text.strip():
            out["policy_nlp"].append(None)
            out["n_units"].append(0)
            out["policy_nlp_error"].append("empty document" if isinstance(text, str) else "not text")
            for label in labels:
                shares[label].append(0.0)
            continue
        doc = annotate(text, nlp=nlp)
        out["policy_nlp"].append(doc.to_json(indent=None))
        out["n_units"].append(len(doc.units))
        out["policy_nlp_error"].append(None)
        content = [u for u in doc.units if u.kind != "boilerplate"]
        for label in labels:
            shares[label].append(sum(label in u.labels for u in content) / len(content) if content else 0.0)
    out.update({f"share_{label}": v for label, v in shares.items()})
    return out


def annotate_dataset(dataset, text_column: str = "text", *, model: str | None = None, segmenter: str = "pkuseg",
                     num_proc: int | None = None, batch_size: int = 16):
    """Add reviewer JSON (`policy_nlp`), `n_units`, `policy_nlp_error` and `share_<label>` columns to a
    `datasets.Dataset`, with `Dataset.map(batched=True, num_proc=...)`. `model`: a pipeline directory
    (default: the shipped model); each worker process loads it once."""
    if text_column not in dataset.column_names:
        raise DataError("E051", path="dataset", column=text_column, columns=", ".join(dataset.column_names))
    return dataset.map(_map_batch, batched=True, batch_size=batch_size, num_proc=num_proc,
                       fn_kwargs={"text_column": text_column, "model": model, "segmenter": segmenter},
                       desc="policy_nlp")
