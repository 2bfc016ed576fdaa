"""What a report file is, by its bytes, and its text: plain text, HTML, Word (.docx) or PDF.

`sniff(data, suffix)` recognises a file by its magic bytes first and its name second, so that a PDF or an
image is never decoded as text whatever it is called; `sniff_file(path)` reads what `sniff` needs of a file and
decides the format of a file given by name and of a directory's entries alike. `extract(data, fmt, shown)`
returns an `Extracted`: the text the pipeline annotates (every output offset refers to it), the source's
metadata (title, publish date, pages) and the warnings the extraction has to report. The format readers live next to this module
(`html_input`, `docx_input`, `pdf_input`) and return an `extracted.Extracted`.
"""
from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from ..errors import DataError
from .decoding import decode_text
from .extracted import Extracted  # noqa: F401  (the readers' result, named here too)

FORMATS = ("text", "html", "docx", "pdf")
SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}
HEAD = 65536  # the bytes `sniff` looks at (a ZIP archive's directory aside)
ZIP_MAGIC = b"PK\x03\x04"
SUPPORTED = ".txt, .html/.htm, .docx, .pdf, and .jsonl/.csv/.parquet tables"

# (magic bytes, what the file is) for formats policy_nlp does not read
_OTHER_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls/.ppt, OLE2)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"), (b"Rar!\x1a\x07", "a RAR archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"), (b"\x7fELF", "an executable (ELF)"),
    (b"%!PS", "a PostScript file"), (b"SQLite format 3\x00", "an SQLite database"), (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg media file"), (b"\x1aE\xdf\xa3", "a Matroska/WebM video"), (b"\xfd7zXZ\x00", "an xz archive"),
)
_ZIP_KINDS = (("xl/", "an Excel workbook (.xlsx)"), ("ppt/", "a PowerPoint file (.pptx)"),
              ("content.xml", "an OpenDocument file (.odt/.ods)"))


def _zip_kind(source: BinaryIO, suffix: str) -> str:
    """What a ZIP archive (a seekable file or buffer) is: 'docx', or a description (a damaged one named .docx
    is 'docx', for the Word reader to refuse with E025)."""
    try:
        names = zipfile.ZipFile(source).namelist()
    except zipfile.BadZipFile:
        return "docx" if suffix.lower() == ".docx" else "a damaged ZIP archive"
    if "word/document.xml" in names:
        return "docx"
    for prefix, kind in _ZIP_KINDS:
        if any(name.startswith(prefix) for name in names):
            return kind
    return "a ZIP archive"


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or (head.startswith(b"<") and b"<body" in data[:HEAD].lower())


def sniff(data: bytes, suffix: str = "") -> str:
    """The format of a file's bytes: 'text', 'html', 'docx', 'pdf', or a description of what else it is
    (e.g. 'a PNG image'), which policy_nlp does not read. Magic bytes decide before the file name."""
    if data.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(BytesIO(data), suffix)
    if data[:12].startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        return "an ISO media file (MP4, MOV, HEIC)"
    for magic, kind in _OTHER_MAGIC:
        if data.startswith(magic):
            return kind
    by_name = SUFFIXES.get(suffix.lower())
    if by_name in ("docx", "pdf"):  # named so, but without its magic bytes
        return by_name
    if by_name == "html" or _looks_like_html(data):
        return "html"
    return "text"


def sniff_file(path: str | Path) -> str:
    """`sniff` of a file on disk, reading only what it looks at (the first 64 KiB, and a ZIP archive's
    directory): a directory's entries are sorted so without reading them whole; a file given by name is read
    whole anyway, and `sniff` of its bytes gives the same answer."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD)
        if head.startswith(ZIP_MAGIC):
            fh.seek(0)
            return _zip_kind(fh, path.suffix)
    return sniff(head, path.suffix)


def extract(data: bytes, fmt: str, shown: str) -> Extracted:
    """The text of a file's bytes in format `fmt` (from `sniff`); E024 for formats policy_nlp does not read,
    E025 for a damaged file, E023 for a scanned PDF, E028 when a file holds no text."""
    if fmt == "text":
        text, encoding = decode_text(data, shown)
        return Extracted(text, "text", {"encoding": encoding})
    if fmt == "html":
        from .html_input import extract_html

        return extract_html(data, shown)
    if fmt == "docx":
        from .docx_input import extract_docx

        return extract_docx(data, shown)
    if fmt == "pdf":
        from .pdf_input import extract_pdf

        return extract_pdf(data, shown)
    raise DataError("E024", path=shown, kind=fmt, supported=SUPPORTED)
