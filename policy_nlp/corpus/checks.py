"""Warnings about an annotated document that would otherwise pass in silence (codes W001–W005 of the
catalogue, `errors.warning` records): no content units; boilerplate over most of the text; a long report in
which no plans part was found (every annual report ends with next year's arrangements); text that looks like
markup or like binary data."""
from __future__ import annotations

import re
from typing import Sequence

from ..errors import warning

BOILERPLATE_SHARE = 0.5  # boilerplate over this share of the text's visible characters: W002
LONG_REPORT = 3000  # characters: a report this long has a plans part (W003 if none was found)
PART_LABEL = "plans"
MARKUP_TAGS = 10  # HTML/XML tags in the text: W004
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,200})?/?>")
_PDF_SYNTAX = re.compile(r"%PDF-\d|\bendobj\b|\bendstream\b|\bxref\b|/Type\s*/\w+")
_PDF_WORDS = ("%PDF-", "endobj", "endstream", "xref", "/Type")  # one of them is in every match of _PDF_SYNTAX
BINARY_SHARE = 0.001  # control characters and U+FFFD over this share: W005


_ODD = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # control characters (not line ends, tabs) and U+FFFD


def _visible(text: str) -> int:
    return sum(map(len, text.split()))


def _binary_detail(text: str) -> str | None:
    syntax = len(_PDF_SYNTAX.findall(text)) if any(word in text for word in _PDF_WORDS) else 0
    if syntax >= 3:
        return f"{syntax} pieces of PDF syntax such as endobj"
    odd = len(_ODD.findall(text))
    if text and odd / len(text) > BINARY_SHARE:
        return f"{odd} control or replacement characters"
    return None


def document_warnings(text: str, units: Sequence, labels: Sequence[str]) -> list[dict]:
    """The warnings an annotation of `text` into `units` (AnnotatedUnit-like: start, end, kind, labels)
    calls for; `labels`: the model's labels (W003 only when it has the plans label)."""
    out = []
    content = [u for u in units if u.kind != "boilerplate"]
    if not content:
        out.append(warning("W001"))
    else:
        chrome = sum(_visible(text[u.start:u.end]) for u in units if u.kind == "boilerplate")
        share = chrome / max(1, _visible(text))
        if share > BOILERPLATE_SHARE:
            out.append(warning("W002", share=share))
        if len(text) >= LONG_REPORT and PART_LABEL in labels and not any(PART_LABEL in u.labels for u in content):
            out.append(warning("W003", size=len(text)))
    tags = len(_TAG.findall(text))
    if tags >= MARKUP_TAGS:
        out.append(warning("W004", count=tags))
    detail = _binary_detail(text)
    if detail:
        out.append(warning("W005", detail=detail))
    return out
