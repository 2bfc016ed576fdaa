"""Reading input documents: text files (any common Chinese encoding), directories and tables.

`read_text` decodes UTF-8 (with or without BOM), UTF-16 (with BOM) and GB18030/GBK, and refuses what
decodes to nonsense rather than mangling it. `iter_inputs` yields `InputDocument`s from files,
directories (recursively, `*.txt`) and JSONL/CSV/Parquet tables (streamed through `datasets`).
"""
from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from .errors import DataError

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


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding). Raises UnicodeDecodeError when nothing fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_error = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise first_error from None
    if not _plausible(text):
        raise first_error
    return text, "gb18030"


def read_text(path: str | Path) -> str:
    """Read a report file, detecting UTF-8/UTF-16/GB18030; a clear error if it is none of them."""
    path = Path(path)
    try:
        return decode_bytes(path.read_bytes())[0]
    except UnicodeDecodeError:
        raise DataError("E021", path=path) from None


def _text_file(path: Path, shown: str) -> InputDocument:
    try:
        text, encoding = decode_bytes(path.read_bytes())
    except UnicodeDecodeError:
        return InputDocument(shown, None, DataError("E021", path=shown).message)
    except OSError as exc:
        return InputDocument(shown, None, f"cannot read {shown}: {exc.strerror}")
    return InputDocument(shown, text, None, encoding)


def _table_rows(path: Path, text_column: str, id_column: str | None) -> Iterator[InputDocument]:
    import datasets

    kind = TABLE_SUFFIXES[path.suffix.lower()]
    ds = datasets.load_dataset(kind, data_files=str(path), split="train", streaming=True)
    columns = list(ds.features) if ds.features else None
    if columns is not None:
        for col in (text_column, id_column):
            if col is not None and col not in columns:
                raise DataError("E051", path=path, column=col, columns=", ".join(columns))
    for i, row in enumerate(ds):
        if columns is None and text_column not in row:
            raise DataError("E051", path=path, column=text_column, columns=", ".join(row))
        doc_id = str(row[id_column]) if id_column else f"{path}#{i}"
        text = row.get(text_column)
        if not isinstance(text, str):
            yield InputDocument(doc_id, None, f"column '{text_column}' holds {type(text).__name__}, not text")
        else:
            yield InputDocument(doc_id, text)


def list_sources(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """Expand the given paths into (shown id, file) pairs: directories → their *.txt files, sorted."""
    out = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES:
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
    for shown, path in sources:
        if not path.exists():
            yield InputDocument(shown, None, f"no such file: {shown}")
        elif path.suffix.lower() in TABLE_SUFFIXES:
            yield from _table_rows(path, text_column, id_column)
        else:
            yield _text_file(path, shown)
