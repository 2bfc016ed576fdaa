"""The text of a PDF (pypdf): page text with the layout's line breaks inside a sentence rejoined, page numbers
and running headers and footers taken out.

A line continues on the next when it is as wide as the page's text (wrapped by the layout) or ends in a
comma, and does not end a sentence; a heading or a paragraph's last line is shorter and keeps its break. A
line at the top or bottom of a page is a running header or footer when it recurs there (digits aside) on at
least half the pages, and a page number when it is one (`3`, `- 3 -`, `第3页`, `3/10`, `第 3 页 共 10 页`);
their number goes to the metadata (`page_chrome_lines`). Text is read in pypdf's layout mode, which puts glyphs
placed one by one on their line; the spaces it leaves between two Chinese characters are removed. A PDF without any text is a scan (E023); pages
without text that draw an image, in a PDF that has some text, are a warning (W006); a blank page is no loss.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from io import BytesIO

from ..errors import DataError, warning
from .extracted import Extracted

EDGE = 2  # lines at the top and at the bottom of a page that may be headers, footers or page numbers
PAGE_NUMBER = re.compile(r"^[-—–_\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:(?:[/／]|共)\s*\d{1,4}\s*页?)?[-—–_\s]*$")
SENTENCE_END = tuple("。！？；：!?;:…")
CONTINUES = tuple("，、,（(“《—-")
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")  # the layout's gap between two Chinese characters
# a title the writing program filled in, not the author: reportlab's "untitled", Word's "Microsoft Word - FILE.doc"
PLACEHOLDER_TITLE = re.compile(
    r"^(?:untitled\b|microsoft (?:word|excel|powerpoint) - |无标题|新建\s*(?:microsoft\s*)?word\s*文档)", re.I)
FULL_WIDTH = 0.8  # a line at least this share of the widest lines' width was wrapped by the layout


def _width(line: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in line)


def _has_images(page) -> bool:
    """Whether a page draws an image (in its own resources, a form's or inline): a page without text that does is
    a scanned page, one that does not is blank."""
    try:
        return len(page.images) > 0
    except Exception:  # pypdf raises many kinds for damaged resources: count the page as scanned
        return True


def _title(info) -> str:
    """The document's title in its metadata, "" when it has none or a program's placeholder (`untitled`)."""
    title = (info.title or "").strip() if info is not None else ""
    return "" if PLACEHOLDER_TITLE.match(title) else title


def _pages(data: bytes, shown: str) -> tuple[list[list[str]], list[int], dict]:
    """The lines of each page, the numbers of the pages without text that draw images (scanned pages), and the
    document's title and creation date where its metadata has them."""
    import pypdf

    try:
        reader = pypdf.PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DataError("E029", path=shown)
        texts = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
        scanned = [k + 1 for k, (page, text) in enumerate(zip(reader.pages, texts))
                   if not text.strip() and _has_images(page)]
        info = reader.metadata
        created = info.creation_date if info is not None else None
        metadata = {"title": _title(info),
                    "created": created.date().isoformat() if created else ""}
    except DataError:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged files
        raise DataError("E025", path=shown, format="PDF", detail=f"{type(exc).__name__}: {exc}") from None
    lines = [[_CJK_GAP.sub("", " ".join(line.split())) for line in text.splitlines() if line.strip()]
             for text in texts]
    return lines, scanned, {k: v for k, v in metadata.items() if v}


def _chrome_keys(pages: list[list[str]]) -> set[str]:
    """Lines (digits folded) that recur at a page's top or bottom on at least half the pages."""
    if len(pages) < 2:
        return set()
    seen = Counter()
    for lines in pages:
        seen.update({re.sub(r"\d+", "0", line) for line in lines[:EDGE] + lines[-EDGE:]})
    need = max(2, math.ceil(len(pages) / 2))
    return {key for key, n in seen.items() if n >= need}


def _body(lines: list[str], keys: set[str]) -> list[str]:
    """A page's lines without its page number and running header/footer lines (only at its edges)."""
    def chrome(k: int) -> bool:
        at_edge = k < EDGE or k >= len(lines) - EDGE
        return at_edge and (PAGE_NUMBER.match(lines[k]) is not None or re.sub(r"\d+", "0", lines[k]) in keys)
    return [line for k, line in enumerate(lines) if not chrome(k)]


def rejoin(lines: list[str]) -> list[str]:
    """Join lines the layout wrapped inside a sentence."""
    if not lines:
        return []
    widths = sorted(_width(line) for line in lines)
    full = widths[round(0.9 * (len(widths) - 1))]  # the width of a full line: the 90th percentile
    out = [lines[0]]
    for prev, line in zip(lines, lines[1:]):
        wrapped = _width(prev) >= FULL_WIDTH * full or prev.endswith(CONTINUES)
        if wrapped and not prev.endswith(SENTENCE_END):
            glue = " " if prev[-1:].isascii() and prev[-1:].isalnum() and line[:1].isascii() and line[:1].isalnum() else ""
            out[-1] += glue + line
        else:
            out.append(line)
    return out


def extract_pdf(data: bytes, shown: str) -> Extracted:
    """The text of a PDF's pages; E023 for a scan (no text layer), E029 if encrypted, E025 if damaged."""
    pages, scanned, described = _pages(data, shown)
    if not any(pages):
        raise DataError("E023", path=shown, pages=len(pages))
    keys = _chrome_keys(pages)
    body = [line for lines in pages for line in _body(lines, keys)]
    removed = sum(map(len, pages)) - len(body)
    metadata = {**described, "pages": len(pages), "page_chrome_lines": removed}
    warnings = [warning("W006", count=len(scanned), pages=len(pages), first=scanned[0])] if scanned else []
    return Extracted("\n".join(rejoin(body)), "pdf", metadata, warnings)
