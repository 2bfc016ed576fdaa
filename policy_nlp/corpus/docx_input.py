"""The text of a Word file (.docx, python-docx): one line per paragraph, in the body's order, tables row by row.

Page headers and footers of the document are not part of its body and are left out. The core properties'
title and creation date go to the metadata (`title`, `created`: when the file was made, which need not be when
the report was published).
"""
from __future__ import annotations

from io import BytesIO

from ..errors import DataError
from .extracted import Extracted, no_text


def _lines(document) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))  # merged cells repeat
                lines.append("\t".join(c for c in cells if c))
    return [" ".join(line.split()) for line in lines if line.strip()]


def extract_docx(data: bytes, shown: str) -> Extracted:
    """Paragraph text of a .docx file; E025 if it cannot be opened, E028 if its body holds no text."""
    import docx

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for damaged packages
        raise DataError("E025", path=shown, format="Word", detail=f"{type(exc).__name__}: {exc}") from None
    props = document.core_properties
    metadata = {"title": props.title or None,
                "created": props.created.date().isoformat() if props.created else None}
    metadata = {k: v for k, v in metadata.items() if v}
    return no_text(Extracted("\n".join(_lines(document)), "docx", metadata), shown)
