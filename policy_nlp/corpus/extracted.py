"""What a format reader returns: a report's text as extracted from its file, with the file's metadata and
the warnings of the extraction (`formats.extract` picks the reader; the readers import only this)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..components.normalize import ZERO_WIDTH
from ..errors import DataError

NAMES = {"text": "text", "html": "HTML", "docx": "Word (.docx)", "pdf": "PDF"}


@dataclass
class Extracted:
    """A report's text as extracted from its file, with what the file says about it."""
    text: str
    format: str
    metadata: dict = field(default_factory=dict)  # title, published, pages, encoding (what is known)
    warnings: list[dict] = field(default_factory=list)  # warning records (errors.warning)


def no_text(extracted: Extracted, shown: str) -> Extracted:
    """E028 when an HTML or Word file gave no text at all (white space and zero-width characters only)."""
    if not "".join(extracted.text.split()).strip(ZERO_WIDTH):
        raise DataError("E028", path=shown, format=NAMES[extracted.format])
    return extracted
