"""Reading input documents: text files (any common Chinese encoding), directories and tables.

`read_text` decodes UTF-8 (with or without BOM), UTF-16 (with BOM) and GB18030/GBK, and refuses what
decodes to nonsense rather than mangling it. `iter_inputs` yields `InputDocument`s from files,
directories (recursively, `*.txt`) and JSONL/CSV/Parquet tables (streamed through `datasets`).
"""
from __future__ import annotations

import codecs
import errno
import json
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import DataError, error_text

TABLE_SUFFIXES = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
TEXT_SUFFIXES = {".txt"}


@dataclass
class InputDocument:
    id: str
    text: str | None
    error: str | None = None
    encoding: str | None = None


def _plausible(text: str) -> bool:
    """Decoded text of a report is mostly CJK, ASCII and punctuation, with no control characters."""
    if not text:
        return True
    bad = 0
    for ch in text:
        cat = unicodedata.category(ch)
        if (cat in ("Cc", "Co", "Cn", "Cs") and ch not in "\n\r\t\f\v") or ch == "\ufffd":
            bad += 1
    return bad / len(text) < 0.001


class OtherEncoding(UnicodeError):
    """The bytes decode, but as text of another kind (e.g. Japanese Shift-JIS), not as a Chinese report."""

    def __init__(self, encoding: str):
        super().__init__(encoding)
        self.encoding = encoding


def _kana_share(text: str) -> float:
    """Share of Japanese kana (hiragana and full-width katakana) among the non-ASCII characters."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 0.0
    return sum("\u3041" <= ch <= "\u30ff" and ch not in "\u30fb\u30fc" for ch in wide) / len(wide)


def _checked_decode(data: bytes, encoding: str) -> str:
    text = data.decode(encoding)
    if not _plausible(text):  # e.g. UTF-32 without a BOM decodes as UTF-8 or UTF-16 full of NULs
        raise UnicodeDecodeError(encoding, data[:1], 0, 1, "decodes to control characters")
    return text


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding). Raises UnicodeDecodeError when nothing fits, and
    `OtherEncoding` for bytes that are Japanese Shift-JIS (GB18030 would decode them into wrong hanzi)."""
    if data.startswith(codecs.BOM_UTF8):
        return _checked_decode(data[len(codecs.BOM_UTF8):], "utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        return _checked_decode(data, "utf-32"), "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked_decode(data, "utf-16"), "utf-16"
    try:
        return _checked_decode(data, "utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc
    try:
        japanese = data.decode("cp932")
    except UnicodeDecodeError:
        pass
    else:
        if _kana_share(japanese) > 0.05:
            raise OtherEncoding("SHIFT_JIS")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise first_error from None
    if not _plausible(text):
        raise first_error
    return text, "gb18030"


def read_text(path: str | Path) -> str:
    """Read a report file, detecting UTF-8/UTF-16/UTF-32 (with BOM)/GB18030; a clear error if it is none
    of them (E021), if it is Japanese Shift-JIS (E108), or if it is not a regular file (E106, E107)."""
    path = Path(path)
    problem = special_file(path, str(path))
    if problem is not None:
        raise DataError(problem[0], **problem[1])
    try:
        return decode_bytes(path.read_bytes())[0]
    except OtherEncoding as exc:
        raise DataError("E108", path=path, encoding=exc.encoding) from None
    except UnicodeDecodeError:
        raise DataError("E021", path=path) from None


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


def _text_file(path: Path, shown: str) -> InputDocument:
    problem = special_file(path, shown)
    if problem is not None:
        return InputDocument(shown, None, error_text(problem[0], **problem[1]))
    try:
        text, encoding = decode_bytes(path.read_bytes())
    except OtherEncoding as exc:
        return InputDocument(shown, None, error_text("E108", path=shown, encoding=exc.encoding))
    except UnicodeDecodeError:
        return InputDocument(shown, None, error_text("E021", path=shown))
    except OSError as exc:
        return InputDocument(shown, None, error_text("E057", path=shown, detail=exc.strerror or exc))
    return InputDocument(shown, text, None, encoding)


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
                obj = json.loads(raw.decode("utf-8"))
                problem = None if isinstance(obj, dict) else f"a JSON {type(obj).__name__}"
            except UnicodeDecodeError as exc:
                obj, problem = None, f"not UTF-8: {exc.reason}"
            except json.JSONDecodeError as exc:
                obj, problem = None, exc.msg
            except RecursionError:
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
    """Every non-directory `*.txt` entry below `root` (file, link, FIFO …), sorted, and every folder that
    could not be listed (an error record, E121); linked directories are not followed, so a link loop cannot
    recurse."""
    found, unlisted = [], []
    for folder, _dirs, files in os.walk(root, followlinks=False, onerror=unlisted.append):
        found += [Path(folder) / name for name in files if Path(name).suffix.lower() in TEXT_SUFFIXES]
    return sorted(found + [Path(exc.filename) for exc in unlisted])


def list_sources(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """Expand the given paths into (shown id, file) pairs: directories → their *.txt entries, sorted. Links
    that dangle or loop, FIFOs and other special files are listed too: reading them gives an error record
    (E106, E107) instead of a silent skip or a hang."""
    out = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for f in _directory_files(path):
                out.append((str(Path(given) / f.relative_to(path)), f))
        else:
            out.append((str(given), path))
    return out


def iter_inputs(paths: Sequence[str | Path], text_column: str = "text",
                id_column: str | None = None) -> Iterator[InputDocument]:
    """Every input document, in order; unreadable ones come with their error instead of text."""
    sources = list_sources(paths)
    if not sources:
        raise DataError("E050", paths=", ".join(map(str, paths)))
    unique = _Unique()
    for shown, path in sources:
        problem = ("E121", {"path": shown, "detail": _unlisted(path)}) if path.is_dir() else special_file(path, shown)
        if problem is not None:
            if problem[0] == "E057" and not os.path.lexists(path):
                problem = ("E057", {"path": shown, "detail": "no such file"})
            docs: Iterable[InputDocument] = [InputDocument(shown, None, error_text(problem[0], **problem[1]))]
        elif path.suffix.lower() in TABLE_SUFFIXES:
            docs = _table_rows(path, shown, text_column, id_column)
        else:
            docs = [_text_file(path, shown)]
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
    for shown, path in list_sources(paths):
        if path.suffix.lower() in TABLE_SUFFIXES and special_file(path, shown) is None:
            for doc_id in _table_ids(path, shown, id_column):
                yield unique(doc_id)
        else:
            yield unique(shown)
