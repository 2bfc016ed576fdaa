"""Warnings about an annotated document that would otherwise pass in silence (codes W001–W005, W008, W009 of
the catalogue, `errors.warning` records): no content units; boilerplate over most of the text; a long report in
which no plans part was found (every annual report ends with next year's arrangements); text that looks like
markup or like binary data; content units too short for a report (an error page, a deleted notice); a text
that is a file's name rather than its text. Visible characters are all but white space and zero-width
characters (`normalize.ZERO_WIDTH`), which the pipeline reads as white space too."""
from __future__ import annotations

import functools
import os
import re
from typing import Sequence

import numpy as np

from ..components.normalize import ZERO_WIDTH
from ..components.units import _every_character
from ..errors import warning

BOILERPLATE_SHARE = 0.5  # boilerplate over this share of the text's visible characters: W002
LONG_REPORT = 3000  # characters: a report this long has a plans part (W003 if none was found)
PART_LABEL = "plans"
MARKUP_TAGS = 10  # HTML/XML tags in the text: W004
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,200})?/?>")
_PDF_SYNTAX = re.compile(r"%PDF-\d|\bendobj\b|\bendstream\b|\bxref\b|/Type\s*/\w+")
_PDF_WORDS = ("%PDF-", "endobj", "endstream", "xref", "/Type")  # one of them is in every match of _PDF_SYNTAX
BINARY_SHARE = 0.001  # control characters and U+FFFD over this share: W005
# Visible characters outside boilerplate units below which a text is no report: W008. The shortest real report
# of the seeds, `training/corpus/` and `../shared/corpus/` holds 2,737 (seed 001); an error page, a deleted
# notice or an access check holds under 50.
MIN_REPORT_CHARS = 300
FILE_SUFFIXES = (".txt", ".html", ".htm", ".docx", ".doc", ".pdf")  # a text ending so may be a path: W009
_PATH_MAX = 4096  # characters: a longer text is not checked for being a path
_CJK_SENTENCE = re.compile(r"[\u4e00-\u9fff][，。！？；]")  # a Chinese sentence's punctuation, never in a file name


_ODD = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # control characters (not line ends, tabs) and U+FFFD
# `_char_flags`' bits: a character of `_ODD`, one of `_PDF_MARKS`, white space (`str.isspace`, what `split` cuts at).
_ODD_BIT, _PDF_BIT, _SPACE_BIT = 1, 2, 4
_PDF_MARKS = "Fjmxy"  # one letter of each of `_PDF_WORDS`, rare in report text: without them, none of the words
_FLAGS_FROM = 384  # characters: a shorter text is scanned (the gather's fixed cost, ≈ 2.5 µs, is more there)


def _visible(text: str) -> int:
    """The characters of `text` but white space and zero-width characters."""
    return sum(map(len, text.split())) - sum(map(text.count, ZERO_WIDTH))


@functools.lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """`_char_flags`' bits by code point, found by the pattern and `\\s` (the characters `str.isspace` and so
    `split` take for white space) over every character of the Basic Multilingual Plane; the last entry (0)
    stands for the characters above it, none of which is in either class."""
    every = _every_character()[:0x10000]
    table = np.zeros(0x10001, dtype=np.uint8)
    table[[m.start() for m in _ODD.finditer(every)]] |= _ODD_BIT
    table[[ord(c) for c in _PDF_MARKS]] |= _PDF_BIT
    table[[m.start() for m in re.finditer(r"\s", every)]] |= _SPACE_BIT
    table[[ord(c) for c in ZERO_WIDTH]] |= _SPACE_BIT  # not visible either
    return table


def _char_flags(text: str) -> np.ndarray:
    """Per character of `text`, its `_char_table` bits: one gather over the code points answers what three
    scans of the whole text asked (the odd characters' regex, five `in` scans for the PDF words, `split`),
    at a third of their cost on a report."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _char_table().take(codes, mode="clip")


def _visible_chars(text: str, flags: np.ndarray | None) -> int:
    """`_visible(text)`: all its characters but the white space, counted in `flags` (its `_char_flags`) when
    given."""
    return _visible(text) if flags is None else len(text) - np.count_nonzero(flags & _SPACE_BIT)


def _binary_detail(text: str, flags: np.ndarray | None = None) -> str | None:
    """What makes `text` look like binary data (PDF syntax, control characters), or None. `flags`: its
    `_char_flags`, when at hand (the PDF words are then looked for only in a text holding one of
    `_PDF_MARKS`); else the text is scanned."""
    pdf = (flags is None or np.count_nonzero(flags & _PDF_BIT)) and any(word in text for word in _PDF_WORDS)
    syntax = len(_PDF_SYNTAX.findall(text)) if pdf else 0
    if syntax >= 3:
        return f"{syntax} pieces of PDF syntax such as endobj"
    odd = len(_ODD.findall(text)) if flags is None else np.count_nonzero(flags & _ODD_BIT)
    if text and odd / len(text) > BINARY_SHARE:
        return f"{odd} control or replacement characters"
    return None


def document_warnings(text: str, units: Sequence, labels: Sequence[str]) -> list[dict]:
    """The warnings an annotation of `text` into `units` (AnnotatedUnit-like: start, end, kind, labels)
    calls for; `labels`: the model's labels (W003 only when it has the plans label)."""
    out = []
    flags = _char_flags(text) if len(text) >= _FLAGS_FROM else None
    content = [u for u in units if u.kind != "boilerplate"]
    if not content:
        out.append(warning("W001"))
    else:
        chrome = sum(_visible(text[u.start:u.end]) for u in units if u.kind == "boilerplate")
        visible = _visible_chars(text, flags)  # all but white space and zero-width characters (`_visible`)
        share = chrome / max(1, visible) if chrome else 0
        if share > BOILERPLATE_SHARE:
            out.append(warning("W002", share=share))
        if visible - chrome < MIN_REPORT_CHARS:
            out.append(warning("W008", count=visible - chrome, minimum=MIN_REPORT_CHARS))
        if len(text) >= LONG_REPORT and PART_LABEL in labels and not any(PART_LABEL in u.labels for u in content):
            out.append(warning("W003", size=len(text)))
    tags = len(_TAG.findall(text))
    if tags >= MARKUP_TAGS:
        out.append(warning("W004", count=tags))
    detail = _binary_detail(text, flags)
    if detail:
        out.append(warning("W005", detail=detail))
    name = _file_name(text)
    if name is not None:
        out.append(warning("W009", name=name))
    return out


def _file_name(text: str) -> str | None:
    """The text itself, stripped, when it is a single line that names an existing file, or that ends in a
    file suffix (`FILE_SUFFIXES`) and holds no Chinese sentence: a path passed where its text was meant."""
    if len(text) > _PATH_MAX:
        return None
    name = text.strip()
    if not name or "\n" in name or "\r" in name:
        return None
    if name.lower().endswith(FILE_SUFFIXES) and not _CJK_SENTENCE.search(name):
        return name
    try:
        return name if os.path.isfile(name) else None
    except (OSError, ValueError):  # a name too long or holding NUL
        return None
