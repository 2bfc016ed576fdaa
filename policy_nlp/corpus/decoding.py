"""Decoding a text file's bytes: UTF-8 (with or without BOM), UTF-16/UTF-32 (with BOM), GB18030/GBK and Big5,
refusing what decodes to nonsense (E021) and Japanese Shift-JIS (E108) rather than mangling it."""
from __future__ import annotations

import codecs
import unicodedata

from ..errors import DataError


def _first_odd(text: str, private_use: bool = False) -> int | None:
    """Where decoded text stops being plausible as a report: the first control, unassigned, surrogate (or,
    unless `private_use`, private-use) character or replacement mark, when such characters make 0.1 % of the
    text or more; None when the text is plausible (mostly CJK, ASCII and punctuation). `private_use`: web
    pages' icon fonts leave private-use characters in valid UTF-8; a legacy decoding that gives them is a
    wrong guess."""
    odd = ("Cc", "Cn", "Cs") if private_use else ("Cc", "Co", "Cn", "Cs")
    bad = [i for i, ch in enumerate(text)
           if (unicodedata.category(ch) in odd and ch not in "\n\r\t\f\v") or ch == "\ufffd"]
    return bad[0] if text and len(bad) / len(text) >= 0.001 else None


def _plausible(text: str, private_use: bool = False) -> bool:
    return _first_odd(text, private_use) is None


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


def _checked_decode(data: bytes, encoding: str, skip: int = 0) -> str:
    """`data[skip:]` decoded, or UnicodeDecodeError with the offset in `data` of the first byte that does not
    decode, or of the first control character when the text is full of them (UTF-32 without a BOM decodes as
    UTF-8 or UTF-16 full of NULs)."""
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnicodeDecodeError(encoding, data, exc.start + skip, exc.end + skip, exc.reason) from None
    odd = _first_odd(text, private_use=encoding.startswith("utf"))
    if odd is not None:
        at = skip + len(text[:odd].encode(encoding))  # UTF-16/32: the prefix's own BOM stands for the file's
        raise UnicodeDecodeError(encoding, data, at, at + 1, "a control character, and too many of them")
    return text


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes; returns (text, encoding). Raises UnicodeDecodeError when nothing fits, and
    `OtherEncoding` for bytes that are Japanese Shift-JIS (GB18030 would decode them into wrong hanzi)."""
    if data.startswith(codecs.BOM_UTF8):
        return _checked_decode(data, "utf-8", skip=len(codecs.BOM_UTF8)), "utf-8-sig"
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
    for encoding in ("gb18030", "cp950"):  # cp950: Big5, tried only where GB18030 gives nonsense
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text) and (encoding == "gb18030" or _hanzi_share(text) >= 0.9):
            return text, "gb18030" if encoding == "gb18030" else "big5"
    raise first_error


def _hanzi_share(text: str) -> float:
    """Share of CJK ideographs, CJK punctuation and full-width forms among the non-ASCII characters: Big5
    bytes read as GB18030 give kana, Cyrillic and box drawing; a Big5 report read as Big5 gives hanzi."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return 0.0
    return sum("\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
               or ch in "“”‘’…—·" for ch in wide) / len(wide)


def decode_text(data: bytes, shown: str) -> tuple[str, str]:
    """(text, encoding) of a text file's bytes; E108 for Japanese Shift-JIS, E021 when no encoding fits."""
    try:
        return decode_bytes(data)
    except OtherEncoding as exc:
        raise DataError("E108", path=shown, encoding=exc.encoding) from None
    except UnicodeDecodeError as exc:
        raise DataError("E021", path=shown, encoding=exc.encoding.upper(), offset=exc.start, size=len(data),
                        reason=exc.reason, context=data[max(0, exc.start - 8):exc.start + 8].hex(" ")) from None
