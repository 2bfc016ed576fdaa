"""Length-preserving normalisation of report text.

Reads a string, returns a string of exactly the same length in which Traditional characters are
converted to Simplified (OpenCC) and full-width ASCII forms are folded to ASCII. Because the
length never changes, every character offset computed on the normalised string is an offset into
the original input.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

# Share of CJK characters that must change under t2s before a text counts as Traditional.
TRADITIONAL_RATIO = 0.02
_FULLWIDTH_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


@dataclass(frozen=True)
class Normalized:
    """The normalised text and what was done to obtain it."""

    text: str
    script: str  # "traditional" or "simplified"
    converted_charwise: bool  # True when OpenCC changed the length and the char-wise fallback ran


@functools.lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def fold_width(text: str) -> str:
    """Fold full-width ASCII forms (，（）：！？Ａ１) to ASCII; length-preserving."""
    return text.translate(_FULLWIDTH_TABLE)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def to_simplified(text: str, config: str = "t2s") -> tuple[str, bool]:
    """Convert with OpenCC; fall back to a character-wise conversion if the length changes.

    Returns the converted text and whether the fallback ran.
    """
    conv = _converter(config)
    out = conv.convert(text)
    if len(out) == len(text):
        return out, False
    chars = []
    for ch in text:
        c = conv.convert(ch)
        chars.append(c if len(c) == 1 else ch)
    return "".join(chars), True


def normalize(text: str, config: str = "t2s") -> Normalized:
    """Normalise `text` for segmentation and features without changing its length."""
    folded = fold_width(text)
    simplified, charwise = to_simplified(folded, config)
    cjk = changed = 0
    for a, b in zip(folded, simplified):
        if _is_cjk(a):
            cjk += 1
            if a != b:
                changed += 1
    if cjk and changed / cjk >= TRADITIONAL_RATIO:
        return Normalized(simplified, "traditional", charwise)
    return Normalized(folded, "simplified", False)
