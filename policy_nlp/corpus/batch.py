"""Annotating corpora: streaming, resumable, multi-process, with per-report summaries.

`annotate_corpus` reads `InputDocument`s, runs them through `nlp.pipe` (optionally with several
processes), and appends one reviewer-JSON record per document to a JSONL file (flushed line by line),
or to a JSONL journal that is converted to Parquet at the end. A rerun skips the ids already complete
in the output; a truncated last line left by a killed run is cut off first. A document that cannot be
read or annotated becomes a record with an `error` field, and the run goes on.
`annotate_dataset` does the same for a `datasets.Dataset` via `Dataset.map`.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from . import jsonio
from .annotation import BATCH_SIZE, MAX_CHARS as DEFAULT_MAX_CHARS, annotate_text, model_info
from .document import AnnotatedDocument, AnnotatedUnit, text_sha256
from ..errors import DataError, PolicyNLPError, error_text
from .formats import SUFFIXES
from .inputs import InputDocument, iter_ids, iter_inputs, list_sources
from ..atomic import atomic_write, replacing
from .outputs import OutLock
from .parallel import Annotated, annotate_batch, annotate_items
from .records import label_shares, load_record, pyarrow_module

MAX_ERRORS_KEPT = 100  # errors listed in a BatchSummary (all are in the output and counted in `failed`)


@dataclass
class BatchProgress:
    """Passed to `annotate_corpus(progress=...)` after each document written in this run."""
    done: int  # documents written in this run (annotated or failed)
    total: int | None  # documents this run has to write (inputs not yet in the output), if countable
    characters: int  # characters annotated in this run
    skipped: int  # documents found complete in the output so far
    failed: int


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
    warnings: dict[str, int] = field(default_factory=dict)  # warning code → documents carrying it
    not_read: list[dict] = field(default_factory=list)  # directory entries that are not report files: id, error

    def add(self, result: Annotated) -> None:
        """Count one document written."""
        self.documents += 1
        if result.error is not None:
            self.failed += 1
            if len(self.errors) < MAX_ERRORS_KEPT:
                self.errors.append({"id": result.id, "error": result.error})
            return
        self.units += result.units
        self.characters += result.characters
        for code in result.warnings:
            self.warnings[code] = self.warnings.get(code, 0) + 1
        for label, n in result.label_counts.items():
            self.label_counts[label] = self.label_counts.get(label, 0) + n

    @property
    def all_failed(self) -> bool:
        return self.documents > 0 and self.failed == self.documents

    def to_dict(self) -> dict:
        return {"documents": self.documents, "skipped_already_done": self.skipped, "failed": self.failed,
                "units": self.units, "characters": self.characters, "seconds": round(self.seconds, 3),
                "label_counts": self.label_counts, "errors": self.errors, "warnings": self.warnings,
                "not_read": self.not_read}


# -- output ---------------------------------------------------------------------------------------------
def completed_ids(jsonl: Path) -> set[str]:
    """Ids of the complete records of a JSONL output. A truncated last line (a run killed while writing)
    is cut off the file; a damaged line before the last one raises E058 rather than losing records."""
    done: set[str] = set()
    if not jsonl.exists():
        return done
    good_end = 0
    damaged: tuple[int, str] | None = None
    with open(jsonl, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if damaged is not None:
                if raw.strip():
                    raise DataError("E058", path=jsonl, line=damaged[0], detail=damaged[1])
                continue
            try:
                if not raw.endswith(b"\n"):
                    raise ValueError("no line end")
                rec = jsonio.loads(raw, jsonl)
                if not isinstance(rec, dict) or "id" not in rec:
                    raise ValueError("not a record with an id")
            except ValueError as exc:
                damaged = (number, str(exc))
                continue
            except DataError as exc:  # E118: nested too deep
                damaged = (number, exc.message.rstrip("."))
                continue
            done.add(str(rec["id"]))
            good_end += len(raw)
    if good_end != jsonl.stat().st_size:
        with open(jsonl, "r+b") as fh:
            fh.truncate(good_end)
    return done


def _model_key(model: dict | None) -> tuple:
    """What decides whether two records were made by the same model: name, version and the fingerprint of
    the model files and package version (`model.sha256`)."""
    model = model or {}
    return (model.get("name"), model.get("version"), model.get("sha256"))


def _text_hash(text: str | None) -> str | None:
    return None if text is None else text_sha256(text)


@dataclass
class Provenance:
    """What a finished record says about how it was made: its model key and the SHA-256 of its input text
    (both None for an error record)."""
    model: tuple | None
    text_sha256: str | None


def _provenance(rec: dict) -> Provenance:
    if rec.get("error") is not None and "units" not in rec:
        return Provenance(None, None)
    return Provenance(_model_key(rec.get("model")), _text_hash(rec.get("text")))


def scan_output(jsonl: Path) -> dict[str, Provenance]:
    """Id → provenance of the complete records of a JSONL output (repairing a truncated last line, as
    `completed_ids` does)."""
    found: dict[str, Provenance] = {}
    if not completed_ids(jsonl):
        return found
    with open(jsonl, encoding="utf-8") as src:
        for number, line in enumerate(src, 1):
            if line.strip():
                rec = load_record(line, jsonl, number)
                found[str(rec["id"])] = _provenance(rec)
    return found


def _parquet_scan(parquet: Path) -> dict[str, Provenance]:
    pq = pyarrow_module("Reading a Parquet output").parquet
    found: dict[str, Provenance] = {}
    for batch in pq.ParquetFile(parquet).iter_batches(columns=["id", "document"], batch_size=64):
        for row in batch.to_pylist():
            found[str(row["id"])] = (Provenance(None, None) if row["document"] is None
                                     else _provenance(load_record(row["document"], parquet, len(found) + 1)))
    return found


def _drop_jsonl(jsonl: Path, ids: set[str]) -> int:
    """Rewrite a JSONL output without the records of `ids`, atomically (a copy replaces it only when
    complete). Returns the number of records dropped."""
    if not ids or not jsonl.exists():
        return 0
    dropped = 0
    with _writing(jsonl), replacing(jsonl) as tmp:
        with open(jsonl, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8") as dst:
            for number, line in enumerate(src, 1):
                if line.strip() and str(load_record(line, jsonl, number)["id"]) in ids:
                    dropped += 1
                    continue
                dst.write(line)
            dst.flush()
            os.fsync(dst.fileno())
    return dropped


def _drop_parquet(parquet: Path, ids: set[str]) -> int:
    """Rewrite a Parquet output without the rows of `ids`, atomically. Returns the number of rows dropped."""
    if not ids or not parquet.exists():
        return 0
    pa = pyarrow_module("Rewriting a Parquet output")
    schema = _parquet_schema()
    dropped = 0
    with _writing(parquet), replacing(parquet) as tmp:
        with pa.parquet.ParquetWriter(tmp, schema) as writer:
            for batch in pa.parquet.ParquetFile(parquet).iter_batches(batch_size=256):
                table = pa.Table.from_batches([batch]).select([name for name, _ in PARQUET_COLUMNS]).cast(schema)
                keep = [str(v) not in ids for v in batch.column("id").to_pylist()]
                dropped += keep.count(False)
                writer.write_table(table.filter(pa.array(keep)))
    return dropped


class _writing:
    """Turns an OSError while writing `path` (disk full, read-only, no permission) into E103."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if isinstance(exc, OSError) and not isinstance(exc, PolicyNLPError):
            raise DataError("E103", path=self.path, detail=exc.strerror or str(exc)) from exc
        return False


def write_summary_csv(output: str | Path, summary_csv: str | Path, labels: Sequence[str], *,
                      roots: Sequence[str | Path] = (), metadata: str | Path | None = None) -> int:
    """One row per report of a JSONL/Parquet output: stable id, region, year and kind, unit counts and the
    share of units per label (`policy_nlp.corpus.tables.write_summary`: .csv, .xlsx or .parquet; `metadata`: a
    CSV that overrides the extracted metadata). Returns the number of rows; the file appears complete or not
    at all."""
    from .metadata import read_overrides
    from .tables import write_summary

    overrides = read_overrides(metadata) if metadata else None
    with _writing(Path(summary_csv)):
        return write_summary(output, summary_csv, labels, roots=roots, overrides=overrides)


PARQUET_COLUMNS = (("id", "string"), ("error", "string"), ("characters", "int64"), ("units", "int64"),
                   ("document", "string"))


def _parquet_schema():
    pa = pyarrow_module("Writing Parquet")

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in PARQUET_COLUMNS])


def jsonl_to_parquet(jsonl: Path | None, parquet: Path, *, keep_existing: bool = False, chunk: int = 256,
                     chunk_bytes: int = 64 << 20) -> int:
    """Write `parquet` from a JSONL output in chunks (flat memory): id, error, characters, units and the
    document JSON (null for error records). `keep_existing`: first copy the rows of the existing
    `parquet` and skip the JSONL records whose id it already holds. Returns the number of rows."""
    pa = pyarrow_module("Writing Parquet")
    pq = pa.parquet

    schema = _parquet_schema()
    kept: set[str] = set()
    rows = 0
    with _writing(parquet), replacing(parquet) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        if keep_existing and parquet.exists():
            for batch in pq.ParquetFile(parquet).iter_batches(batch_size=chunk):
                table = pa.Table.from_batches([batch]).select([name for name, _ in PARQUET_COLUMNS]).cast(schema)
                writer.write_table(table)
                kept.update(str(v) for v in batch.column("id").to_pylist())
                rows += batch.num_rows
        batch_rows: list[dict] = []
        size = 0
        if jsonl is not None and jsonl.exists():
            with open(jsonl, encoding="utf-8") as src:
                for number, line in enumerate(src, 1):
                    if not line.strip():
                        continue
                    rec = load_record(line, jsonl, number)
                    if str(rec.get("id")) in kept:
                        continue
                    batch_rows.append({"id": rec.get("id"), "error": rec.get("error"),
                                       "characters": len(rec.get("text") or ""),
                                       "units": len(rec.get("units") or []),
                                       "document": None if rec.get("error") else line.rstrip("\n")})
                    size += len(line)
                    if len(batch_rows) >= chunk or size >= chunk_bytes:
                        writer.write_table(pa.Table.from_pylist(batch_rows, schema=schema))
                        rows += len(batch_rows)
                        batch_rows, size = [], 0
        if batch_rows:
            writer.write_table(pa.Table.from_pylist(batch_rows, schema=schema))
            rows += len(batch_rows)
    return rows


# -- annotating a stream, robustly -------------------------------------------------------------------------
def _screen(docs: Iterable[InputDocument], done: set[str], max_chars: int,
            summary: BatchSummary) -> Iterator[tuple[InputDocument, str | None]]:
    for doc in docs:
        if doc.skipped:
            summary.not_read.append({"id": doc.id, "error": doc.error})
            continue
        if doc.id in done:
            summary.skipped += 1
            continue
        error = doc.error
        if error is None and not doc.text.strip():
            error = error_text("E056", id=doc.id)
        if error is None and len(doc.text) > max_chars:
            error = error_text("E022", size=len(doc.text), limit=max_chars)
        if error is not None:
            doc.text = None  # an enormous document is not kept while it waits for its turn
        yield doc, error


# -- the run ----------------------------------------------------------------------------------------------
def count_pending(paths: Sequence[str | Path], done: set[str], id_column: str | None = None) -> int | None:
    """How many input documents are not in `done` yet, or None if the inputs cannot be counted."""
    try:
        return sum(1 for doc_id in iter_ids(paths, id_column) if doc_id not in done)
    except Exception:
        return None


def check_provenance(output: Path, existing: dict[str, Provenance], info: dict, paths: Sequence[str | Path],
                     text_column: str, id_column: str | None) -> tuple[list[str], list[str]]:
    """Ids of the finished records that another model made, and of those whose input text changed (or can no
    longer be read). Error records are neither: they hold no annotation."""
    current = _model_key(info)
    other_model = [i for i, p in existing.items() if p.model is not None and p.model != current]
    changed: list[str] = []
    if any(p.text_sha256 is not None for p in existing.values()):
        for doc in iter_inputs(paths, text_column, id_column):
            known = existing.get(doc.id)
            if known is not None and known.text_sha256 is not None and _text_hash(doc.text) != known.text_sha256:
                changed.append(doc.id)
    return other_model, changed


def _describe(model: tuple | None) -> str:
    name, version, sha = model or (None, None, None)
    return f"{name} {version} (model hash {str(sha)[:12] if sha else 'not recorded'})"


def annotate_corpus(paths: Sequence[str | Path], output: str | Path, *, nlp=None, n_process: int = 1,
                    batch_size: int = 8, text_column: str = "text", id_column: str | None = None,
                    summary_csv: str | Path | None = None, max_chars: int = DEFAULT_MAX_CHARS,
                    refresh: bool = False, progress: Callable[[BatchProgress], None] | None = None,
                    metadata: str | Path | None = None,
                    engine: Callable[..., Iterator[Annotated]] = annotate_items, explain_top: int = 0) -> dict:
    """Annotate every input document into `output` (.jsonl or .parquet) and return the run's summary as a
    dict (documents, skipped_already_done, refreshed, failed, units, characters, seconds, label_counts,
    errors, all_failed, output).

    Streaming: one record per document is appended (and flushed) as soon as it is done, in input order.
    Resumable: ids already complete in the output are skipped; a truncated last line is repaired. A rerun
    first checks that the finished records were made by this model (name, version, hash of the model files
    and package version) from the same input texts: if not, E100 / E101, nothing written; with `refresh`,
    the records of another model, of a changed input and the error records are removed from the output
    (rewritten atomically) and those documents annotated again (appended at the end).
    Parquet output is written through a JSONL journal (`OUTPUT.partial.jsonl`) and merged with the rows
    an existing `output` holds; an interrupted or failed run leaves the journal (or, on an exception, the
    Parquet file with what was finished), and the same call finishes the rest.
    A full disk or another write failure raises E103 after keeping what was finished. The run holds a lock on
    `output` (`.NAME.lock` next to it): a second run on the same output raises E119 at once.
    `progress(BatchProgress)` is called after each document written. `summary_csv`: also the per-report
    table (`.csv`, `.xlsx` or `.parquet`, see `policy_nlp.corpus.tables`); `metadata`: a CSV whose region,
    year, kind … override the extracted ones in that table. `engine`: what annotates the stream of (id, text,
    error) items, called as `annotate_items` is (default: this machine's processes; `distributed.RayEngine`
    runs it on a Ray cluster). `explain_top` > 0: the records carry explanations with this many features
    per label (passed to every worker's `nlp.pipe`).
    """
    output = Path(output)
    if output.suffix.lower() not in (".jsonl", ".parquet"):
        raise DataError("E053", path=output)
    with OutLock(output, "E119"):  # a second run on the same output stops here instead of doubling records
        return _annotate_corpus(paths, output, nlp, n_process, batch_size, text_column, id_column, summary_csv,
                                max_chars, refresh, progress, metadata, engine, explain_top)


def _annotate_corpus(paths, output: Path, nlp, n_process, batch_size, text_column, id_column, summary_csv,
                     max_chars, refresh, progress, metadata, engine, explain_top) -> dict:
    """`annotate_corpus` holding the output's lock."""
    from ..pipeline import default_pipeline

    journal = _journal(output)
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    labels = info.get("labels", [])
    summary = BatchSummary(label_counts={label: 0 for label in labels})
    done, refreshed = _finished_ids(output, info, paths, text_column, id_column, refresh)
    total = count_pending(paths, done, id_column)
    with _writing(journal):
        journal.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    screened = _screen(iter_inputs(paths, text_column, id_column), done, max_chars, summary)
    if progress:
        progress(BatchProgress(0, total, 0, 0, 0))
    items = ((doc.id, doc.text, error, doc) for doc, error in screened)
    try:
        with _writing(journal), open(journal, "a", encoding="utf-8") as out:
            for result in engine(items, nlp, n_process=n_process, batch_size=batch_size, explain_top=explain_top):
                out.write(result.line + "\n")
                out.flush()
                summary.add(result)
                if progress:
                    progress(BatchProgress(summary.documents, total, summary.characters, summary.skipped,
                                           summary.failed))
    except BaseException:
        summary.seconds = time.perf_counter() - start
        try:  # a failed run keeps what it finished, in the output format asked for
            _finish_parquet(output)
        except Exception:
            pass  # the journal is still there: the next run finishes from it
        raise
    summary.seconds = time.perf_counter() - start
    _finish_parquet(output)
    if summary_csv:
        write_summary_csv(output, summary_csv, labels, roots=paths, metadata=metadata)
    result = summary.to_dict()
    result.update(refreshed=refreshed, all_failed=summary.all_failed, output=str(output))
    return result


def _journal(output: Path) -> Path:
    """The JSONL file a run appends to: the output itself, or the journal of a Parquet output."""
    return output if output.suffix.lower() == ".jsonl" else output.with_name(output.name + ".partial.jsonl")


def _finished_ids(output: Path, info: dict, paths, text_column: str, id_column: str | None,
                  refresh: bool) -> tuple[set[str], int]:
    """The ids finished in the output by this model from the same input texts, and how many records were
    dropped to be done again (`refresh`); without `refresh`, records of another model or a changed input
    are E100 / E101."""
    journal = _journal(output)
    with _writing(journal):
        existing = scan_output(journal)
    if output.suffix.lower() == ".parquet" and output.exists():
        existing.update(_parquet_scan(output))
    if not existing:
        return set(), 0
    other_model, changed = check_provenance(output, existing, info, paths, text_column, id_column)
    if not refresh:
        if other_model:
            first = other_model[0]
            raise DataError("E100", path=output, count=len(other_model), id=first,
                            found=_describe(existing[first].model), expected=_describe(_model_key(info)))
        if changed:
            raise DataError("E101", path=output, count=len(changed), id=changed[0])
        return set(existing), 0
    redo = set(other_model) | set(changed) | {i for i, p in existing.items() if p.model is None}
    refreshed = _drop_jsonl(journal, redo)
    if output.suffix.lower() == ".parquet":
        refreshed += _drop_parquet(output, redo)
    return set(existing) - redo, refreshed


def _finish_parquet(output: Path) -> None:
    """A Parquet output takes in what its journal holds; the journal goes."""
    journal = _journal(output)
    if output.suffix.lower() == ".parquet":
        if not output.exists() or (journal.exists() and journal.stat().st_size > 0):
            jsonl_to_parquet(journal, output, keep_existing=True)
        journal.unlink(missing_ok=True)


def reviewed_units_in(path: Path) -> int | None:
    """How many units of the reviewer JSON at `path` are marked reviewed (None if it is not readable JSON)."""
    try:
        data = jsonio.loads(path.read_text(encoding="utf-8-sig"), path)
    except (OSError, ValueError):
        return None
    units = data.get("units") if isinstance(data, dict) else None
    return sum(1 for u in units if isinstance(u, dict) and u.get("reviewed")) if isinstance(units, list) else 0


def write_guarded(target: Path, content: str, *, overwrite: bool = False, overwrite_reviewed: bool = False) -> str:
    """Write `content` to `target` (atomically) unless that would lose work. Returns `written`, `unchanged`
    (the file already holds exactly this), or raises: E130 if the file holds reviewed units (only
    `overwrite_reviewed` replaces it), E131 if it differs (only `overwrite` replaces it)."""
    if target.exists():
        try:
            if target.read_text(encoding="utf-8") == content:
                return "unchanged"
        except (OSError, UnicodeDecodeError):
            pass
        reviewed = reviewed_units_in(target)
        if reviewed and not overwrite_reviewed:
            raise DataError("E130", path=target, count=reviewed)
        if not (overwrite or overwrite_reviewed):
            raise DataError("E131", path=target)
    atomic_write(target, content)
    return "written"


def annotate_to_directory(paths: Sequence[str | Path], out_dir: str | Path | None, *, nlp=None,
                          text_column: str = "text", id_column: str | None = None,
                          max_chars: int = DEFAULT_MAX_CHARS, overwrite: bool = False,
                          overwrite_reviewed: bool = False, explain_top: int = 0, batch_size: int = BATCH_SIZE
                          ) -> Iterator[tuple[str, AnnotatedDocument | None, str | None, Path | None]]:
    """Annotate each input; with `out_dir`, write one `<name>.json` per input (`output_names`: from the
    input's path relative to its folder, so adding or removing inputs never renames another's output; two
    inputs claiming one name: the second gets E120). Yields (id, document or None, error or None, written
    path). A second run on the same `out_dir` stops with E119; a file that cannot be written stops the run
    with E103.

    Nothing a reviewer did is lost: an existing file that differs from the new output is replaced only with
    `overwrite` (else the input gets error E131), and one holding reviewed units only with
    `overwrite_reviewed` (else E130; `update_reviewed` refreshes such a file and keeps its reviews).
    `explain_top` > 0: with explanations, this many features per label. `batch_size`: documents a batch, within
    `BATCH_CHARS` characters (the API stream's batches; a caller that wants each result at once passes 1)."""
    if out_dir is None:
        yield from _annotate_each(paths, None, nlp, text_column, id_column, max_chars, overwrite, overwrite_reviewed,
                                  explain_top, batch_size)
        return
    out_dir = Path(out_dir)
    with OutLock(out_dir, "E119"):
        with _writing(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
        yield from _annotate_each(paths, out_dir, nlp, text_column, id_column, max_chars, overwrite,
                                  overwrite_reviewed, explain_top, batch_size)


def _annotate_each(paths, out_dir: Path | None, nlp, text_column, id_column, max_chars, overwrite,
                   overwrite_reviewed, explain_top, batch_size):
    """`annotate_to_directory` (holding the lock of `out_dir`, if any)."""
    from ..pipeline import default_pipeline

    nlp = nlp or default_pipeline()
    names = output_names(paths) if out_dir is not None else {}
    claimed: dict[str, str] = {}  # output name → the id that wrote it
    summary = BatchSummary()
    screened = _screen(iter_inputs(paths, text_column, id_column), set(), max_chars, summary)
    items = ((doc.id, doc.text, error, doc) for doc, error in screened)
    for result in annotate_items(items, nlp, batch_size=batch_size, explain_top=explain_top):
        yield from _not_read(summary)
        target = None
        annotated = None if result.error else result.document
        if annotated is not None and out_dir is not None:
            name = names.get(result.id) or _file_name(result.id)
            if claimed.setdefault(name, result.id) != result.id:
                clash = error_text("E120", id=result.id, other=claimed[name], name=f"{name}.json")
                yield result.id, None, clash, None
                continue
            target = out_dir / f"{name}.json"
            try:
                write_json_file(annotated, target, overwrite=overwrite, overwrite_reviewed=overwrite_reviewed)
            except DataError as exc:
                if exc.code == "E103":  # the disk, not this document: stop the run
                    raise
                yield result.id, None, f"[{exc.code}] {exc.message} Fix: {exc.fix}", None
                continue
        yield result.id, annotated, result.error, target
    yield from _not_read(summary)


def _not_read(summary: BatchSummary) -> Iterator[tuple[str, None, str, None]]:
    """The directory entries found so far that are not report files, as error results (E024 says what they are)."""
    while summary.not_read:
        entry = summary.not_read.pop(0)
        yield entry["id"], None, entry["error"], None


def write_json_file(doc: AnnotatedDocument, target: Path, *, overwrite: bool = False,
                    overwrite_reviewed: bool = False) -> Path:
    """Write one reviewer JSON file atomically, guarded by `write_guarded` (E130/E131); E103 if it cannot be
    written (a full disk, no permission)."""
    target = Path(target)
    with _writing(target):
        if target.parent != Path(""):
            target.parent.mkdir(parents=True, exist_ok=True)
        write_guarded(target, doc.to_json(), overwrite=overwrite, overwrite_reviewed=overwrite_reviewed)
    return target


def merge_reviewed(old: AnnotatedDocument, new: AnnotatedDocument) -> tuple[AnnotatedDocument, dict]:
    """`new` (a fresh annotation of `old.text`) with the reviewed units of `old` kept: a reviewed unit keeps
    its span, kind and labels and stays `reviewed: true` (it takes the new model's scores when the span is
    still a unit); new units overlapping a reviewed unit with another span give way to it. Returns the
    document and counts (`kept`, `refreshed`, `dropped`: new units that gave way)."""
    reviewed = [u for u in old.units if u.reviewed]
    units = [u for u in new.units
             if not any(r.start < u.end and u.start < r.end and (r.start, r.end) != (u.start, u.end)
                        for r in reviewed)]
    dropped = len(new.units) - len(units)
    keep = {(r.start, r.end): r for r in reviewed}
    out = []
    for u in units:
        r = keep.pop((u.start, u.end), None)
        if r is not None:
            u.labels, u.kind, u.reviewed = list(r.labels), r.kind, True
        out.append(u)
    for r in keep.values():  # reviewed spans the new segmentation does not have
        old_scores = dict(r.scores)
        out.append(AnnotatedUnit(r.start, r.end, r.text, r.kind, list(r.section), list(r.labels), old_scores,
                                 True, list(r.indicators)))
    out.sort(key=lambda u: u.start)
    new.units = out
    new.id = old.id if old.id is not None else new.id
    new.source = new.source or old.source  # the file the text was extracted from stays recorded
    counts = {"kept": len(reviewed), "refreshed": sum(1 for u in out if not u.reviewed), "dropped": dropped}
    return new, counts


def reviewer_files(paths: Sequence[str | Path]) -> list[Path]:
    """Reviewer JSON files as given; a directory stands for its *.json files (sorted by name)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() == ".json"))
        elif p.is_file():
            out.append(p)
        else:
            raise DataError("E039", path=p)
    if not out:
        raise DataError("E137", paths=", ".join(map(str, paths)))
    return out


def update_reviewed(paths: Sequence[str | Path], out_dir: str | Path | None = None, *, nlp=None
                    ) -> Iterator[tuple[Path, Path | None, dict | None, str | None]]:
    """Re-annotate reviewer JSON files with `nlp` (default: the shipped model), keeping their reviewed units
    (`merge_reviewed`), and write each back in place, or to `out_dir` under its file name (a file there that
    is not the one read is never replaced). Yields (source, written path or None, counts, error or None)."""
    from ..pipeline import default_pipeline

    nlp = nlp or default_pipeline()
    files = reviewer_files(paths)
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path in files:
        try:
            try:
                old = AnnotatedDocument.from_json(path.read_text(encoding="utf-8-sig"))
            except ValueError as exc:
                if isinstance(exc, DataError):
                    raise
                raise DataError("E040", path=path, detail=str(exc)) from None
            new, counts = merge_reviewed(old, annotate_text(old.text, nlp))
            target = path if out_dir is None else Path(out_dir) / path.name
            same = target.exists() and target.resolve() == path.resolve()
            with _writing(target):
                write_guarded(target, new.to_json(), overwrite=same, overwrite_reviewed=same)
        except DataError as exc:
            if exc.code == "E103":  # the disk, not this file: stop the run
                raise
            yield path, None, None, f"[{exc.code}] {exc.message} Fix: {exc.fix}"
            continue
        yield path, target, counts, None


def output_names(paths: Sequence[str | Path]) -> dict[str, str]:
    """The output file name (without `.json`) of each report file input, by id: its path relative to the
    folder it was found in (or its file name, given on its own), the report suffix (.txt, .html, .docx,
    .pdf …) dropped, folders joined with `__` (`reports/2023/a.txt` under `reports/` → `2023__a`). It depends
    on that path alone, never on which other inputs there are or their order."""
    names = {}
    for given in map(Path, paths):
        for shown, _, unread in list_sources([given]):
            if unread is not None:
                continue
            relative = Path(shown).relative_to(given) if given.is_dir() else Path(given.name)
            names[shown] = _file_name("__".join(relative.with_suffix("").parts)
                                      if relative.suffix.lower() in SUFFIXES else relative.as_posix())
    return names


def _file_name(doc_id: str) -> str:
    """`doc_id` made file-safe (table rows: their id)."""
    name = Path(doc_id).stem if Path(doc_id).suffix.lower() in SUFFIXES else doc_id
    return re.sub(r"[^\w.\-#]+", "_", name).strip("._") or "document"


# -- datasets ----------------------------------------------------------------------------------------------
_WORKER_NLP = {}


def _worker_pipeline(model: str | None, segmenter: str):
    """The pipeline of this (worker) process, loaded once per model and segmenter."""
    key = (model, segmenter)
    if key not in _WORKER_NLP:
        from ..pipeline import load

        _WORKER_NLP[key] = load(model, segmenter=segmenter)
    return _WORKER_NLP[key]


def _map_batch(batch: dict, text_column: str, id_column: str | None, model: str | None, segmenter: str) -> dict:
    nlp = _worker_pipeline(model, segmenter)
    info = model_info(nlp)
    labels = list(info.get("labels", []))
    ids = batch[id_column] if id_column else [None] * len(batch[text_column])
    items = []
    for text, doc_id in zip(batch[text_column], ids):
        doc_id = None if doc_id is None else str(doc_id)
        if not isinstance(text, str):
            items.append((doc_id, None, error_text("E059", column=text_column, id=doc_id, type=type(text).__name__)))
        elif not text.strip():
            items.append((doc_id, None, error_text("E056", id=doc_id)))
        else:
            items.append((doc_id, text, None))
    out: dict[str, list] = {"policy_nlp": [], "n_units": [], "policy_nlp_error": []}
    shares: dict[str, list[float]] = {label: [] for label in labels}
    for result in annotate_batch(nlp, info, items):
        rec = result.document.to_dict() if result.error is None else {}
        out["policy_nlp"].append(result.line if result.error is None else None)
        out["n_units"].append(result.units)
        out["policy_nlp_error"].append(result.error)
        for label, share in label_shares(rec, labels).items():
            shares[label].append(share)
    out.update({f"share_{label}": v for label, v in shares.items()})
    return out


def annotate_dataset(dataset, text_column: str = "text", *, id_column: str | None = None,
                     model: str | Path | None = None, segmenter: str = "pkuseg", num_proc: int | None = None,
                     batch_size: int = 16):
    """Add reviewer JSON (`policy_nlp`, a JSON string or None), `n_units`, `policy_nlp_error` (None or
    `[CODE] message`) and `share_<label>` (share of the non-boilerplate units; None for a failed row or one
    without content units) columns to a `datasets.Dataset`, with `Dataset.map(batched=True, num_proc=...)`.
    A bad row gets its error and the map goes on. `model`: a pipeline directory (default: the shipped model);
    each worker process loads it once. `id_column`: copied into the reviewer JSON's `id`. The new columns'
    types are given to `map`, so a batch of failed rows only (all None) does not fix a column's type."""
    from datasets import Features, Value

    for column in (text_column, id_column):
        if column is not None and column not in dataset.column_names:
            raise DataError("E051", path="dataset", column=column, columns=", ".join(dataset.column_names))
    model = None if model is None else str(model)
    labels = model_info(_worker_pipeline(model, segmenter)).get("labels", [])
    features = Features({**dataset.features, "policy_nlp": Value("string"), "n_units": Value("int64"),
                         "policy_nlp_error": Value("string"), **{f"share_{label}": Value("float64") for label in labels}})
    return dataset.map(_map_batch, batched=True, batch_size=batch_size, num_proc=num_proc, features=features,
                       fn_kwargs={"text_column": text_column, "id_column": id_column, "model": model,
                                  "segmenter": segmenter},
                       desc="policy_nlp")
