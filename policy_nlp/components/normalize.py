"""Length-preserving normalisation of report text.

Reads a string, returns a string of exactly the same length in which Traditional characters are
converted to Simplified (OpenCC), full-width ASCII forms are folded to ASCII and zero-width characters
(`ZERO_WIDTH`: zero-width space and joiners, word joiner, a byte-order mark inside the text) become spaces,
white space for the structure rules, the tokenizer and the features alike. Because the length never
changes, every character offset computed on the normalised string is an offset into the original input.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError

# The OpenCC configurations that convert to Simplified, which a tokenizer may be set to (Traditional, Taiwan,
# Hong Kong forms).
OPENCC_CONFIGS = ("t2s", "tw2s", "hk2s")
# Share of CJK characters that must change under t2s before a text counts as Traditional.
TRADITIONAL_RATIO = 0.02
_FULLWIDTH_FIRST, _FULLWIDTH_LAST, _FULLWIDTH_SHIFT = 0xFF01, 0xFF5E, 0xFEE0  # ！ … ～ → ! … ~
# Invisible characters that are not white space to `str.split` or `\\s`: U+200B–U+200D, U+2060, U+FEFF.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_FIRST = 0x200B  # U+200B–U+200D: one unsigned comparison, as for the full-width range
_FOLDED_RE = re.compile(f"[\uff01-\uff5e{ZERO_WIDTH}]")  # what `fold_width` changes
_SHORT_TEXT = 512  # below this length a scan for a full-width form is cheaper than the arrays (`fold_width`)


@dataclass(frozen=True)
class Normalized:
    """The normalised text and what was done to obtain it."""

    text: str
    script: str  # "traditional" or "simplified"
    converted_charwise: bool  # True when OpenCC changed the length and the char-wise fallback ran
    # OpenCC's output for the folded text (`to_simplified(fold_width(text), config)[0]`) when it kept the length,
    # whichever script was decided; None when the char-wise fallback ran. Not part of equality: it is what was
    # computed on the way, kept so that a reader converting the same text again can take it.
    converted: str | None = field(default=None, compare=False)


@functools.lru_cache(maxsize=4)
def _converter(config: str):
    """OpenCC's converter for one of the configurations it ships, from the file in its own package (given a bare
    name, OpenCC would first try a file of that name in the working directory); E062 for any other name."""
    import opencc

    if not isinstance(config, str) or f"{config}.json" not in opencc.CONFIGS:
        raise ModelError("E062", name=str(config)[:80], known=", ".join(OPENCC_CONFIGS))
    share = getattr(opencc, "_opencc_share_dir", None)  # the package's data folder (not public API: checked)
    path = os.path.join(share, f"{config}.json") if share else ""
    return opencc.OpenCC(path if os.path.isfile(path) else f"{config}.json")


def fold_width(text: str) -> str:
    """Fold full-width ASCII forms (，（）：！？Ａ１, U+FF01-U+FF5E) to ASCII and zero-width characters
    (`ZERO_WIDTH`) to spaces; length-preserving. All code points at once (numpy): 20x faster on a report than
    `str.translate` with a table. One unsigned comparison finds a range (the code points below it wrap round
    to large values), and the shift times that mask is taken off every code point in one subtraction (a copy
    shifted through the mask as an index cost a quarter more). A short text (a title, the rest of a line)
    without such a character is returned after one regex scan: the arrays' fixed cost (≈ 3 µs) is ten times
    that scan's there."""
    if len(text) < _SHORT_TEXT and not _FOLDED_RE.search(text):
        return text
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = codes - np.uint32(_FULLWIDTH_FIRST) <= np.uint32(_FULLWIDTH_LAST - _FULLWIDTH_FIRST)
    zero = (codes - np.uint32(_ZERO_WIDTH_FIRST) <= np.uint32(2)) | (codes == 0x2060) | (codes == 0xFEFF)
    n_wide, n_zero = np.count_nonzero(wide), np.count_nonzero(zero)  # (`any`: a Python wrapper, 3x the cost)
    if not n_wide and not n_zero:
        return text
    folded = codes - wide * np.uint32(_FULLWIDTH_SHIFT) if n_wide else codes.copy()
    if n_zero:
        folded[zero] = 0x20
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


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
    converted = None if charwise else simplified
    if simplified == folded:  # OpenCC changed nothing (most Simplified reports): no character to count
        return Normalized(folded, "simplified", False, converted)
    before = _codepoints(folded)
    cjk = ((before >= 0x4E00) & (before <= 0x9FFF)) | ((before >= 0x3400) & (before <= 0x4DBF))
    n_cjk = int(cjk.sum())
    changed = int((cjk & (before != _codepoints(simplified))).sum())
    if n_cjk and changed / n_cjk >= TRADITIONAL_RATIO:
        return Normalized(simplified, "traditional", charwise, converted)
    return Normalized(folded, "simplified", False, converted)
