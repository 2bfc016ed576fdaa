"""The text of a Word file (.docx, opened with python-docx): the body's paragraphs and tables in document order.

The body is walked in its XML order, through block content controls (`w:sdt`), custom XML and tracked
insertions (`w:ins`, which are part of the text until rejected) at any depth; tracked deletions (`w:del`,
`w:moveFrom`) stay out. A paragraph is one line, and a soft line break (`w:br`, Shift-Enter) or carriage return
(`w:cr`) inside it starts a new line; the text of hyperlinks, smart tags, fields' results and inline content
controls is kept (a content control still showing its prompt, 单击此处输入文字, is left out). A table gives one
line per row, its cells separated by a tab (a cell's own paragraphs joined by a space). Text boxes, page headers
and footers are not body text and are left out; when the body's XML holds clearly more text than was read (text
boxes, a structure the walk does not know), W010 says how much. The core properties' title and creation date go
to the metadata (`title`, `created`: when the file was made, which need not be when the report was published).
"""
from __future__ import annotations

from io import BytesIO
from typing import Iterator

from ..errors import DataError, warning
from .extracted import Extracted, no_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
P, TBL, TR, TC, T = _W + "p", _W + "tbl", _W + "tr", _W + "tc", _W + "t"
RUN_TEXT = {T: None, _W + "tab": " ", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
# never counted: deleted text, properties, ruby text, the fallback copy of a drawing (its text is in mc:Choice)
UNCOUNTED = {_W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr", _W + "tblPr", _W + "trPr", _W + "tcPr",
             _W + "sdtPr", _W + "rt", _MC + "Fallback"}
TEXT_BOX, SDT = _W + "txbxContent", _W + "sdt"
PROMPT = f"{_W}sdtPr/{_W}showingPlcHdr"  # a content control showing its prompt (单击此处输入文字), not content
MISSED_SHARE = 0.1  # W010 when the body's XML holds more than this share of text beyond what was read …
MISSED_MIN = 100  # … and at least this many characters


def _uncounted(element) -> bool:
    return element.tag in UNCOUNTED or (element.tag == SDT and element.find(PROMPT) is not None)


def _skipped(element) -> bool:
    """Not read: deleted text, properties, a content control's prompt, text boxes …"""
    return element.tag == TEXT_BOX or _uncounted(element)


def _inline(element) -> Iterator[str]:
    """The text of a paragraph's content, in order: runs, and runs inside hyperlinks, smart tags, fields,
    content controls and insertions; a soft break is a newline."""
    for child in element:
        if child.tag in RUN_TEXT:
            yield (child.text or "") if RUN_TEXT[child.tag] is None else RUN_TEXT[child.tag]
        elif not _skipped(child):
            yield from _inline(child)


def _paragraph(p) -> list[str]:
    """The lines of a paragraph (several where soft breaks divide it), white space collapsed."""
    return [" ".join(line.split()) for line in "".join(_inline(p)).splitlines() if line.strip()]


def _row(tr) -> str:
    """A table row: its non-empty cells' text separated by tabs (a continued vertical merge is empty)."""
    cells = [" ".join(_lines(tc)) for tc in _children(tr, TC)]
    return "\t".join(cell for cell in cells if cell)


def _children(element, tag: str) -> Iterator:
    """`element`'s `tag` children, also those wrapped in content controls, custom XML or insertions."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag not in (P, TBL) and not _skipped(child):
            yield from _children(child, tag)


def _lines(element) -> list[str]:
    """The lines of a body, a cell or a content control: paragraphs and tables in document order, at any
    depth inside block content controls."""
    lines: list[str] = []
    for child in element:
        if child.tag == P:
            lines += _paragraph(child)
        elif child.tag == TBL:
            lines += [row for row in map(_row, _children(child, TR)) if row]
        elif not _skipped(child):
            lines += _lines(child)
    return lines


def _all_text(element) -> int:
    """Characters (not white space) of the text elements below `element`, text boxes included: what the
    body's XML holds."""
    if _uncounted(element):
        return 0
    own = len("".join((element.text or "").split())) if element.tag == T else 0
    return own + sum(_all_text(child) for child in element)


def _missed(body, text: str) -> list[dict]:
    """W010 when the body's XML holds clearly more text than `text`."""
    total, read = _all_text(body), len("".join(text.split()))
    if total - read >= max(MISSED_MIN, MISSED_SHARE * total):
        return [warning("W010", read=read, total=total)]
    return []


def extract_docx(data: bytes, shown: str) -> Extracted:
    """The body text of a .docx file; E025 if it cannot be opened, E028 if its body holds no text, W010 if
    text of its body was not read."""
    import docx

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for damaged packages
        raise DataError("E025", path=shown, format="Word", detail=f"{type(exc).__name__}: {exc}") from None
    props = document.core_properties
    metadata = {"title": props.title or None,
                "created": props.created.date().isoformat() if props.created else None}
    metadata = {k: v for k, v in metadata.items() if v}
    body = document.element.body
    text = "\n".join(_lines(body))
    return no_text(Extracted(text, "docx", metadata, _missed(body, text)), shown)
