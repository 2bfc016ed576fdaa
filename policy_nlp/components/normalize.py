"""Length-preserving normalisation of report text.

Reads a string, returns a string of exactly the same length in which Traditional characters are
converted to Simplified (OpenCC) and full-width ASCII forms are folded to ASCII. Because the
length never changes, every character offset computed on the normalised string is an offset into
the original input.
"""
from __future__ import annotations

import functools
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Share of CJK characters that must change under t2s before a text counts as Traditional.
TRADITIONAL_RATIO = 0.02
_FULLWIDTH_FIRST, _FULLWIDTH_LAST, _FULLWIDTH_SHIFT = 0xFF01, 0xFF5E, 0xFEE0  # ！ … ～ → ! … ~
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e]")
_SHORT_TEXT = 512  # below this length a scan for a full-width form is cheaper than the arrays (`fold_width`)
_SHORT_CONVERSION = 128  # below this length OpenCC is cheaper than the proof that it changes nothing (≈ 1.5 µs)
_WITNESS, _LEAD = 2, 1  # `IdentityProof.table`: a one-character key that changes; a phrase's lead character
_DICT_FILE_FORMATS = {"ocd2": "ocd2", "ocd": "ocd", "text": "text"}  # a config's dict type → opencc_dict's -f


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
    import opencc

    return opencc.OpenCC(config)


def fold_width(text: str) -> str:
    """Fold full-width ASCII forms (，（）：！？Ａ１, U+FF01-U+FF5E) to ASCII; length-preserving. All code points
    at once (numpy): 20x faster on a report than `str.translate` with a table. One unsigned comparison finds
    the range (the code points below it wrap round to large values), and the shift times that mask is taken
    off every code point in one subtraction (a copy shifted through the mask as an index cost a quarter more).
    A short text (a title, the rest of a line) without such a form is returned after one regex scan: the
    arrays' fixed cost (≈ 3 µs) is ten times that scan's there."""
    if len(text) < _SHORT_TEXT and not _FULLWIDTH_RE.search(text):
        return text
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = codes - np.uint32(_FULLWIDTH_FIRST) <= np.uint32(_FULLWIDTH_LAST - _FULLWIDTH_FIRST)
    if not np.count_nonzero(wide):  # (`any` goes through a Python wrapper: three times the cost on a report)
        return text
    folded = codes - wide * np.uint32(_FULLWIDTH_SHIFT)
    return folded.tobytes().decode("utf-32-le", "surrogatepass")


@dataclass(frozen=True)
class IdentityProof:
    """What OpenCC's dictionaries say about texts it returns unchanged, derived from them at load time.

    OpenCC cuts a text into the longest dictionary keys it matches (or single characters) and replaces each
    matched key by its first value, stage by stage. A text holding no key whose first value differs from it
    (a changing key) therefore comes back unchanged from every stage. `table` marks, by code point, the
    one-character changing keys (`_WITNESS`) and one character of every longer changing key that holds none
    of them (`_LEAD`); `phrases` gives, per such lead character, those keys and the lead's offset in each.
    Every longer changing key either holds a witness or is listed under one of its characters."""

    table: np.ndarray  # uint8 by code point; the last entry (0) stands for every code point above
    phrases: dict[str, tuple[tuple[str, int], ...]]

    def unchanged(self, text: str) -> bool:
        """True only when no changing key occurs in `text` (then OpenCC returns it as it is); False when one
        may. One gather over the code points; the phrases are compared only at their lead characters."""
        flags = self.table.take(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), mode="clip")
        marked = flags.nonzero()[0]
        if not len(marked):
            return True
        if np.count_nonzero(flags[marked] == _WITNESS):
            return False
        for i in marked.tolist():
            if any(text.startswith(key, i - at) for key, at in self.phrases[text[i]] if i >= at):
                return False
        return True


def identity_proof_from_entries(entries) -> IdentityProof:
    """The `IdentityProof` of dictionary entries `(key, first value)`: the changing keys of one character are
    the witnesses; a longer changing key without one is listed under one of its characters, any of which
    would do: a character the conversion changes there (rarer in Simplified text than the others), of those
    the one shared by the most such keys (the ≈ 110 of t2s have eight: 沈, 覆, 藉 …)."""
    changing = [(key, value) for key, value in entries if key != value]
    witnesses = {key for key, _ in changing if len(key) == 1}
    phrases = [(key, value) for key, value in changing if len(key) > 1 and witnesses.isdisjoint(key)]
    shared: dict[str, int] = {}
    for key, _ in phrases:
        for ch in set(key):
            shared[ch] = shared.get(ch, 0) + 1
    by_lead: dict[str, list[tuple[str, int]]] = {}
    for key, value in phrases:
        changed = {a for a, b in zip(key, value) if a != b}
        lead = max(key, key=lambda ch: (ch in changed, shared[ch], -ord(ch)))
        by_lead.setdefault(lead, []).append((key, key.index(lead)))
    top = max(map(ord, witnesses | set(by_lead)), default=0)
    table = np.zeros(top + 2, dtype=np.uint8)
    table[[ord(ch) for ch in by_lead]] = _LEAD
    table[[ord(ch) for ch in witnesses]] = _WITNESS
    return IdentityProof(table, {lead: tuple(keys) for lead, keys in by_lead.items()})


@functools.lru_cache(maxsize=4)
def _identity_proof(config_path: str) -> IdentityProof | None:
    """The proof for an OpenCC config file, from the dictionaries of its normalisation and conversion stages
    (segmentation only cuts the text), read with the `opencc_dict` tool the opencc package ships; None when
    that tool, a dictionary or a dictionary type it cannot read is missing (OpenCC then always runs)."""
    try:
        config = json.loads(Path(config_path).read_text(encoding="utf-8"))
        stages = config.get("normalization", []) + config["conversion_chain"]
        entries = [entry for stage in stages for entry in _dict_entries(stage["dict"], Path(config_path).parent)]
    except (OSError, KeyError, TypeError, ValueError, subprocess.SubprocessError):
        return None
    return identity_proof_from_entries(entries)


def _dict_entries(spec: dict, folder: Path) -> list[tuple[str, str]]:
    """`(key, first value)` of every entry of a config's dict (a group: of each of its dicts)."""
    if spec["type"] == "group":
        return [entry for part in spec["dicts"] for entry in _dict_entries(part, folder)]
    tool = Path(__import__("opencc").__file__).parent / "clib" / "bin" / "opencc_dict"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dict.txt"
        subprocess.run([str(tool), "-i", str(folder / spec["file"]), "-o", str(out),
                        "-f", _DICT_FILE_FORMATS[spec["type"]], "-t", "text"], check=True, capture_output=True)
        lines = out.read_text(encoding="utf-8").splitlines()
    entries = []
    for line in lines:
        key, values = line.split("\t")  # a line without its one tab is refused (ValueError)
        entries.append((key, values.split(" ")[0]))
    return entries


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def to_simplified(text: str, config: str = "t2s") -> tuple[str, bool]:
    """Convert with OpenCC; fall back to a character-wise conversion if the length changes.

    Returns the converted text and whether the fallback ran. A text of `_SHORT_CONVERSION` characters or more
    that OpenCC's own dictionaries show it leaves as it is (`IdentityProof`) is returned without converting.
    """
    conv = _converter(config)
    if len(text) >= _SHORT_CONVERSION and _skips(conv, text):
        return text, False
    out = conv.convert(text)
    if len(out) == len(text):
        return out, False
    chars = []
    for ch in text:
        c = conv.convert(ch)
        chars.append(c if len(c) == 1 else ch)
    return "".join(chars), True


def _skips(conv, text: str) -> bool:
    """Whether the proof of `conv`'s config file (its `config` attribute) shows `text` converts to itself."""
    path = getattr(conv, "config", None)
    proof = _identity_proof(path) if isinstance(path, str) else None
    return proof is not None and proof.unchanged(text)


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
