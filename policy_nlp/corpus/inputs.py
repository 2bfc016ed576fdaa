"""Reading input documents: report files (text in any common Chinese encoding, HTML, Word, PDF), directories
and tables.

`read_document` reads a report file of any supported format, recognised by its bytes (`formats`; text is
decoded by `decoding`, which refuses what decodes to nonsense rather than mangling it); `read_text` gives its
text. `iter_inputs` yields `InputDocument`s from files, directories (recursively; entries that are not
report files are listed as skipped, with what they are) and JSONL/CSV/Parquet tables (streamed through
`datasets`).
"""
from __future__ import annotations

import codecs
import errno
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import DataError, error_text
from . import jsonio
from .formats import FORMATS, SUFFIXES, SUPPORTED, Extracted, extract, sniff, sniff_file

TABLE_SUFFIXES = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


@dataclass
class InputDocument:
    id: str
    text: str | None
    error: str | None = None
    encoding: str | None = None
    source: dict | None = None  # file, format, and what the file says (title, published, pages …)
    warnings: list[dict] = field(default_factory=list)  # extraction warnings (W…)
    skipped: bool = False  # a directory entry not read (its error says why); not an input document


def read_document(path: str | Path, fmt: str | None = None) -> Extracted:
    """Read a report file of any supported format (text, HTML, Word, PDF: recognised by its bytes, then its
    name; `fmt` forces one): its text, source metadata and extraction warnings. Errors: E021/E108 (text that
    decodes to nothing sensible), E023 (a scanned PDF), E024 (a format not read, e.g. an image), E025 (a
    damaged file), E106/E107 (not a regular file)."""
    path = Path(path)
    problem = special_file(path, str(path))
    if problem is not None:
        raise DataError(problem[0], **problem[1])
    data = path.read_bytes()  # `sniff` of the bytes read decides as `sniff_file` does, without a second open
    return extract(data, fmt or sniff(data, path.suffix), str(path))


def read_text(path: str | Path) -> str:
    """The text of a report file: UTF-8/UTF-16/UTF-32 (with BOM)/GB18030 text, or the text extracted from an
    HTML, Word or PDF file (`read_document`); a clear, coded error for anything else."""
    return read_document(path).text


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"))


def special_file(path: Path, shown: str) -> tuple[str, dict] | None:
    """(code, fields) when `path` cannot be read as a text file without blocking or failing: a dangling
    link or a link loop (E107), a FIFO, socket, device or directory (E106), a missing file (E057)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path):
            detail = "is part of a loop" if exc.errno == errno.ELOOP else "points to a missing file"
            return "E107", {"path": shown, "detail": detail}
        if exc.errno == errno.ELOOP:
            return "E107", {"path": shown, "detail": "is part of a loop"}
        return "E057", {"path": shown, "detail": exc.strerror or str(exc)}
    for test, kind in _KINDS:
        if test(mode):
            return "E106", {"path": shown, "kind": kind}
    return None


def _file_document(path: Path, shown: str) -> InputDocument:
    """A report file as an input document: its extracted text and source, or its error."""
    try:
        extracted = read_document(path)
    except DataError as exc:
        return InputDocument(shown, None, f"[{exc.code}] {exc.message}")
    except OSError as exc:
        return InputDocument(shown, None, error_text("E057", path=shown, detail=exc.strerror or exc))
    source = {"file": shown, "format": extracted.format, **extracted.metadata}
    return InputDocument(shown, extracted.text, None, extracted.metadata.get("encoding"), source,
                         list(extracted.warnings))


def _load_table(path: Path, columns: Sequence[str] | None = None):
    try:
        import datasets
    except ImportError:
        raise DataError("E112", what=f"Reading {path.suffix} tables", package="datasets") from None

    kind = TABLE_SUFFIXES[path.suffix.lower()]
    ds = datasets.load_dataset(kind, data_files=str(path), split="train", streaming=True)
    if columns is not None and ds.features:
        present = [c for c in columns if c in ds.features]
        if present:
            ds = ds.select_columns(present)
    return ds


def _check_columns(path: Path | str, found: Sequence[str], text_column: str | None, id_column: str | None) -> None:
    for col in (text_column, id_column):
        if col is not None and col not in found:
            raise DataError("E051", path=path, column=col, columns=", ".join(found))


def _row_id(shown: str, i: int, row: dict, id_column: str | None) -> str:
    """The id of a table row: the id column's value, or `FILE#ROW` (the same on every rerun)."""
    if id_column:
        value = row.get(id_column)
        if value is not None and str(value).strip():
            return str(value)
    return f"{shown}#{i}"


def _jsonl_rows(path: Path, shown: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(row, object or None, problem or None) for each non-blank line of a JSONL table, streamed: a bad line
    is one row with its problem, and the rows before and after it are read as usual."""
    row = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if row == 0 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if not raw.strip():
                continue
            try:
                obj = jsonio.loads(raw.decode("utf-8"), shown)
                problem = None if isinstance(obj, dict) else f"a JSON {type(obj).__name__}"
            except UnicodeDecodeError as exc:
                obj, problem = None, f"not UTF-8: {exc.reason}"
            except json.JSONDecodeError as exc:
                obj, problem = None, exc.msg
            except DataError:  # E118
                obj, problem = None, "JSON nested too deep to read"
            yield row, (obj if problem is None else None), problem
            row += 1


def _jsonl_table(path: Path, shown: str, text_column: str, id_column: str | None) -> Iterator[InputDocument]:
    checked = False
    for i, row, problem in _jsonl_rows(path, shown):
        if problem is not None:
            yield InputDocument(f"{shown}#{i}", None, error_text("E111", path=shown, row=i, detail=problem))
            continue
        if not checked:
            _check_columns(shown, list(row), text_column, id_column)
            checked = True
        yield _row_document(shown, i, row, text_column, id_column)


def _row_document(shown: str, i: int, row: dict, text_column: str, id_column: str | None) -> InputDocument:
    """One table row as a document, or as an error document (E059) when its text column holds no text."""
    doc_id = _row_id(shown, i, row, id_column)
    text = row.get(text_column)
    if not isinstance(text, str):
        return InputDocument(doc_id, None, error_text("E059", column=text_column, id=doc_id,
                                                      type=type(text).__name__))
    return InputDocument(doc_id, text)


def _table_rows(path: Path, shown: str, text_column: str, id_column: str | None) -> Iterator[InputDocument]:
    """The rows of a JSONL/CSV/Parquet table, streamed. A wrong column name raises E051. A JSONL line that
    is not a JSON object is one error record (E111) and the table goes on; for CSV/Parquet, rows that
    cannot be parsed end the table with one error document (id `FILE#ROW` of the first row lost)."""
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_table(path, shown, text_column, id_column)
        return
    ds = _load_table(path)
    if ds.features:
        _check_columns(shown, list(ds.features), text_column, id_column)
    i = 0
    rows = iter(ds)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a malformed line or file: record it and go on with the next input
            yield InputDocument(f"{shown}#{i}", None, error_text(
                "E054", path=shown, row=i, detail=f"{type(exc).__name__}: {exc}"))
            return
        if i == 0 and not ds.features:
            _check_columns(shown, list(row), text_column, id_column)
        yield _row_document(shown, i, row, text_column, id_column)
        i += 1


def _table_ids(path: Path, shown: str, id_column: str | None) -> Iterator[str]:
    """The ids `_table_rows` will give, reading only the id column where the format allows it."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DataError("E112", what="Reading .parquet tables", package="pyarrow") from None

        pf = pq.ParquetFile(path)
        if not id_column or id_column not in pf.schema_arrow.names:
            for i in range(pf.metadata.num_rows):
                yield f"{shown}#{i}"
            return
        i = 0
        for batch in pf.iter_batches(columns=[id_column], batch_size=65536):
            for value in batch.column(0).to_pylist():
                yield _row_id(shown, i, {id_column: value}, id_column)
                i += 1
        return
    if path.suffix.lower() == ".jsonl":
        for i, row, problem in _jsonl_rows(path, shown):
            yield f"{shown}#{i}" if problem is not None else _row_id(shown, i, row, id_column)
        return
    ds = _load_table(path, [id_column] if id_column else None)
    for i, row in enumerate(ds):
        yield _row_id(shown, i, row, id_column)


def _unlisted(folder: Path) -> str:
    """Why `folder` cannot be listed."""
    try:
        with os.scandir(folder):
            return "it could not be listed while the inputs were collected"
    except OSError as exc:
        return exc.strerror or str(exc)


def _directory_files(root: Path) -> list[Path]:
    """Every non-directory entry below `root` (file, link, FIFO …), sorted, and every folder that could not be
    listed (an error record, E121); linked directories are not followed, so a link loop cannot recurse."""
    found, unlisted = [], []
    for folder, _dirs, files in os.walk(root, followlinks=False, onerror=unlisted.append):
        found += [Path(folder) / name for name in files]
    return sorted(found + [Path(exc.filename) for exc in unlisted])


def _unread_kind(path: Path) -> str | None:
    """Why a directory entry is not read (None: it is read, or a folder that could not be listed, or a file
    whose reading gives an error record): what it is. Its format is decided as a file given by name has its
    format decided (`sniff_file`: the bytes, then the name), so an HTML or Word file called `.doc` is read and
    an image called `.txt` is not. Not read either: tables, and files whose bytes show no format unless named
    as text (`.txt`): a folder's notes, scripts and `.DS_Store` are no reports."""
    if path.is_dir():
        return None
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return f"a {suffix} table (tables are read only when given by name)"
    named = f"a '{suffix}' file" if suffix else "a file without a suffix"
    if special_file(path, str(path)) is not None:  # with a report file's name: its error record (E106, E107)
        return None if suffix in SUFFIXES else named
    try:
        kind = sniff_file(path)
    except OSError:
        return None  # reading it gives the error record
    if kind == "text" and suffix not in SUFFIXES:
        return named
    return None if kind in FORMATS else kind


def list_sources(paths: Sequence[str | Path]) -> list[tuple[str, Path, str | None]]:
    """Expand the given paths into (shown id, file, why not read) triples: directories → every entry below
    them, sorted; report files (.txt, .html/.htm, .docx, .pdf) are read, any other entry is listed with
    what it is (e.g. 'a PNG image') so that a run can say what it skipped. Links that dangle or loop, FIFOs
    and other special files are listed too: reading them gives an error record (E106, E107) instead of a
    silent skip or a hang."""
    out = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for f in _directory_files(path):
                out.append((str(Path(given) / f.relative_to(path)), f, _unread_kind(f)))
        else:
            out.append((str(given), path, None))
    return out


def iter_inputs(paths: Sequence[str | Path], text_column: str = "text",
                id_column: str | None = None) -> Iterator[InputDocument]:
    """Every input document, in order; unreadable ones come with their error instead of text, and directory
    entries that are not report files with `skipped` set and an E024 error saying what they are."""
    sources = list_sources(paths)
    if not any(unread is None for _, _, unread in sources):
        raise DataError("E050", paths=", ".join(map(str, paths)))
    unique = _Unique()
    for shown, path, unread in sources:
        if unread is not None:
            yield InputDocument(shown, None, error_text("E024", path=shown, kind=unread, supported=SUPPORTED),
                                skipped=True)
            continue
        problem = ("E121", {"path": shown, "detail": _unlisted(path)}) if path.is_dir() else special_file(path, shown)
        if problem is not None:
            if problem[0] == "E057" and not os.path.lexists(path):
                problem = ("E057", {"path": shown, "detail": "no such file"})
            docs: Iterable[InputDocument] = [InputDocument(shown, None, error_text(problem[0], **problem[1]))]
        elif path.suffix.lower() in TABLE_SUFFIXES:
            docs = _table_rows(path, shown, text_column, id_column)
        else:
            docs = [_file_document(path, shown)]
        for doc in docs:
            doc.id = unique(doc.id)
            yield doc


class _Unique:
    """Makes ids unique in input order: the second 'x' becomes 'x#2', the third 'x#3' (stable on rerun)."""

    def __init__(self):
        self.seen: dict[str, int] = {}

    def __call__(self, doc_id: str) -> str:
        n = self.seen.get(doc_id, 0) + 1
        self.seen[doc_id] = n
        if n == 1:
            return doc_id
        candidate = f"{doc_id}#{n}"
        while candidate in self.seen:
            n += 1
            candidate = f"{doc_id}#{n}"
        self.seen[candidate] = 1
        return candidate


def iter_ids(paths: Sequence[str | Path], id_column: str | None = None) -> Iterator[str]:
    """The ids of every input document, in order, without reading the texts of text files (tables are
    read for their ids or row count). Used to count the work ahead for progress and resume."""
    unique = _Unique()
    for shown, path, unread in list_sources(paths):
        if unread is not None:
            continue
        if path.suffix.lower() in TABLE_SUFFIXES and special_file(path, shown) is None:
            for doc_id in _table_ids(path, shown, id_column):
                yield unique(doc_id)
        else:
            yield unique(shown)
