"""A Chinese tokenizer that segments the *normalised* text but keeps the input's characters.

Reads: the raw text. Writes: a `Doc` whose `doc.text` is exactly the input, tokens cut where pkuseg
(or the character segmenter) cut the OpenCC-normalised text, `token.norm_` set to the normalised form
where it differs, and the normalised text in `doc.user_data` (read it via `Doc._.norm_text`).
Tokens never cross a unit boundary: each line is segmented sentence by sentence.
"""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from spacy import util
from spacy.attrs import IDX, LENGTH, NORM
from spacy.tokens import Doc
from spacy.util import DummyTokenizer, registry
from spacy.vocab import Vocab

from . import pkuseg_model as pkuseg_weights
from .. import jsonio
from ..errors import DataError, ModelError
from .normalize import OPENCC_CONFIGS, _codepoints, normalize
from .units import _SENTENCE_RE, LINE_RE

SEGMENTERS = ("pkuseg", "char")
USER_DATA_KEY = "policy_nlp"
# The offsets and input characters of the characters normalisation changed, as the tokenizer found them.
CHANGED_KEY = (USER_DATA_KEY, "changed_chars")
# OpenCC's t2s output for the full-width-folded input, when it kept the length (`t2s_conversion`): True when it
# is the normalised text itself (most reports), else the text. Readers converting the input again take it.
T2S_KEY = (USER_DATA_KEY, "t2s")
CFG_FILE = "cfg.json"
_CHAR_TOKEN_RE = re.compile(r"[A-Za-z0-9_.%]+|\S")
# Per code point, whether it can be part of a multi-character char token (`_CHAR_TOKEN_RE`'s run: bit 1) and
# whether it is white space (`\s`, none above U+3000: bit 2); the last entry stands for every code point above.
# One table, so that one gather gives both.
_RUN_CHARS = re.compile(r"[A-Za-z0-9_.%]")
_RUN, _SPACE = 1, 2
_CHAR_FLAGS = np.array([_RUN * bool(_RUN_CHARS.match(chr(c))) | _SPACE * chr(c).isspace() for c in range(0x3001)]
                       + [0], dtype=np.uint8)
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


@registry.tokenizers("policy_nlp.ChineseTokenizer.v1")
def create_tokenizer(segmenter: str = "pkuseg", opencc_config: str = "t2s", pkuseg_model: str = "default",
                     pkuseg_user_dict: str = "default"):
    """Config: segmenter ('pkuseg'|'char'), OpenCC config ('t2s'|'tw2s'|'hk2s'), pkuseg model reference."""
    if segmenter not in SEGMENTERS:
        raise ModelError("E006", segmenter=segmenter)
    check_opencc_config(opencc_config)

    def tokenizer_factory(nlp):
        return NormalizingChineseTokenizer(nlp.vocab, segmenter, opencc_config, pkuseg_model, pkuseg_user_dict)

    return tokenizer_factory


class NormalizingChineseTokenizer(DummyTokenizer):
    def __init__(self, vocab: Vocab, segmenter: str = "pkuseg", opencc_config: str = "t2s",
                 pkuseg_model: str = "default", pkuseg_user_dict: str = "default"):
        self.vocab = vocab
        self.segmenter = segmenter
        self.opencc_config = opencc_config
        self.pkuseg_model = pkuseg_model
        self.pkuseg_user_dict = pkuseg_user_dict
        self.pkuseg_seg = None

    # -- set-up -----------------------------------------------------------------------------------------
    def initialize(self, get_examples=None, *, nlp=None, pkuseg_model: str | None = None,
                   pkuseg_user_dict: str | None = None, allow_download: bool = True):
        """Load the pkuseg weights (heavy data arrives here, never in the factory)."""
        if pkuseg_model is not None:
            self.pkuseg_model = pkuseg_model
        if pkuseg_user_dict is not None:
            self.pkuseg_user_dict = pkuseg_user_dict
        if self.segmenter == "pkuseg":
            import spacy_pkuseg

            location = pkuseg_weights.resolve(self.pkuseg_model, allow_download=allow_download)
            self.pkuseg_seg = spacy_pkuseg.pkuseg(location, user_dict=self.pkuseg_user_dict)

    # -- tokenization ------------------------------------------------------------------------------------
    def _cut(self, piece: str) -> list[str]:
        if self.segmenter == "char":
            return _CHAR_TOKEN_RE.findall(piece)
        if self.pkuseg_seg is None:
            self.initialize()
        return self.pkuseg_seg.cut(piece)

    def token_spans(self, norm: str) -> Iterator[tuple[int, int]]:
        """Character ranges of the tokens of the normalised text (white space excluded), in order."""
        if self.segmenter == "char":  # no char token spans a terminator or line break: one pass suffices
            for m in _CHAR_TOKEN_RE.finditer(norm):
                yield m.span()
            return
        for line in LINE_RE.finditer(norm):
            ls = line.start()
            text = line.group()
            for m in _SENTENCE_RE.finditer(text):
                piece = m.group()
                if not piece.strip():
                    continue
                pos = ls + m.start()
                for word in self._cut(piece):
                    start = norm.find(word, pos)
                    if start < 0:  # a segmenter that rewrote characters: fall back to one token per char
                        start = pos
                        word = norm[pos]
                    yield start, start + len(word)
                    pos = start + len(word)

    def __call__(self, text: str) -> Doc:
        text_codes = check_no_surrogate(text)
        normalized = normalize(text, self.opencc_config)
        norm = normalized.text
        unchanged = norm == text
        # Both texts' code points, encoded once for the char segmenter and `set_norms`.
        codes = text_codes, (text_codes if unchanged else _codepoints(norm))
        bounds = known = None
        if self.segmenter == "char":
            known = self._char_orths()
            orths, spaces, bounds = char_orths_and_spaces(self.vocab, text, norm, known, codes)
        else:
            words, spaces = words_and_spaces(text, self.token_spans(norm))
            orths = orth_ids(self.vocab, words)
        doc = Doc(self.vocab, words=orths, spaces=spaces)
        doc.user_data[USER_DATA_KEY] = {"norm_text": norm, "script": normalized.script, "unchanged": unchanged}
        if self.opencc_config == "t2s" and normalized.converted is not None:
            doc.user_data[T2S_KEY] = True if normalized.converted == norm else normalized.converted
        if not unchanged:
            doc.user_data[CHANGED_KEY] = set_norms(doc, text, norm, bounds, known, codes)
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000):
        for text in texts:
            yield self(text)

    def _char_orths(self) -> "CharOrths":
        """The table of single characters' orth ids of this tokenizer's vocab, made on first use."""
        table = self.__dict__.get("_char_table")
        if table is None or table.vocab is not self.vocab:
            table = self._char_table = CharOrths(self.vocab)
        return table

    def __getstate__(self) -> dict:
        # The table is derived from the vocab: a copy starts afresh (and stays small) rather than trust ids
        # whose lexemes the copy's vocab may not hold.
        state = dict(self.__dict__)
        state.pop("_char_table", None)
        return state

    # -- serialisation -------------------------------------------------------------------------------------
    def _cfg(self) -> dict:
        return {"segmenter": self.segmenter, "opencc_config": self.opencc_config,
                "pkuseg_model": self.pkuseg_model, "pkuseg_user_dict": self.pkuseg_user_dict}

    # One field, `cfg` (the settings); `exclude=["cfg"]` leaves it out, as spaCy's own serialisers do.
    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return util.to_bytes({"cfg": self._cfg}, exclude)

    def from_bytes(self, data: bytes, *, exclude=tuple()):
        util.from_bytes(data, {"cfg": self._apply_cfg}, exclude)
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        """Write the tokenizer settings; the pkuseg weights stay in the user cache (they are ~180 MB)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {CFG_FILE: lambda p: p.write_text(json.dumps(self._cfg(), indent=2), encoding="utf-8")},
                     exclude)

    def from_disk(self, path, *, exclude=tuple()):
        util.from_disk(path, {CFG_FILE: self._read_cfg}, exclude)
        return self

    def _read_cfg(self, cfg_path: Path) -> None:
        if not cfg_path.is_file():
            return
        cfg = jsonio.read(cfg_path, lambda detail: ModelError("E015", path=cfg_path,
                                                             detail=f"not valid JSON ({detail})"))
        if not isinstance(cfg, dict):
            raise ModelError("E015", path=cfg_path, detail="not a JSON object")
        if "pkuseg_model" in cfg:  # a saved reference is the model's word: it must not leave the model
            cfg["pkuseg_model"] = pkuseg_weights.saved_reference(cfg["pkuseg_model"], cfg_path.parent.parent)
        if "pkuseg_user_dict" in cfg:
            cfg["pkuseg_user_dict"] = pkuseg_weights.saved_user_dict(cfg["pkuseg_user_dict"], cfg_path.parent.parent)
        self._apply_cfg(cfg)

    def _apply_cfg(self, cfg: dict) -> None:
        # The segmenter comes from the pipeline config (so load(segmenter='char') can override it);
        # the pkuseg model reference and OpenCC config come from the saved settings.
        self.opencc_config = check_opencc_config(cfg.get("opencc_config", self.opencc_config))
        if self.pkuseg_model == "default":
            self.pkuseg_model = cfg.get("pkuseg_model", self.pkuseg_model)
        self.pkuseg_user_dict = cfg.get("pkuseg_user_dict", self.pkuseg_user_dict)
        self.pkuseg_seg = None


def check_opencc_config(name) -> str:
    """`name` when it is one of `OPENCC_CONFIGS`, else E062 (a path there would be opened by OpenCC: a FIFO
    hangs the first `nlp(text)`)."""
    if name not in OPENCC_CONFIGS:
        raise ModelError("E062", name=str(name)[:80], known=", ".join(OPENCC_CONFIGS))
    return name


def check_no_surrogate(text: str) -> np.ndarray:
    """E117 for a text holding a surrogate code point (half a UTF-16 pair): no encoder (OpenCC, pkuseg, any
    JSON writer) accepts one. The strict UTF-32 encoder refuses exactly those code points, and in C at a fifth
    of the cost of the regex scan, which is left to name the first one. Returns the text's code points (uint32),
    which that encoding gives."""
    try:
        return _codepoints(text)
    except UnicodeEncodeError:
        lone = _SURROGATE_RE.search(text)
        raise DataError("E117", position=lone.start(), char=f"U+{ord(lone.group()):04X}") from None


def words_and_spaces(text: str, spans: Iterable[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """Words and trailing-space flags for `Doc` from sorted token spans; the white space between spans
    becomes a single trailing space or its own token, so the Doc text equals `text` (linear time).
    Equal words share one string object, which keeps long documents' transient memory small."""
    words: list[str] = []
    spaces: list[bool] = []
    shared: dict[str, str] = {}
    pos = 0
    for start, end in itertools.chain(spans, [(len(text), len(text))]):
        gap = text[pos:start]
        if gap:
            if words and gap[0] == " " and not spaces[-1]:
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(shared.setdefault(gap, gap))
                spaces.append(False)
        if end > start:
            word = text[start:end]
            words.append(shared.setdefault(word, word))
            spaces.append(False)
        pos = end
    return words, spaces


def char_orths_and_spaces(vocab: Vocab, text: str, norm: str, known: "CharOrths | None" = None,
                          codes: tuple | None = None) -> tuple[list[int], list[bool], tuple]:
    """The orth ids and trailing-space flags of `words_and_spaces(text, spans of _CHAR_TOKEN_RE in norm)`,
    and the tokens' start and end offsets (two arrays, for `set_norms`),
    for `Doc(vocab, words=..., spaces=...)`, without a string per token: the token boundaries come from the
    normalised text's code points at once (numpy), each distinct character is looked up once, and only the
    few tokens longer than a character (runs of ASCII letters and digits, of white space) are cut from `text`
    (normalisation keeps the length, so the offsets are the input's). `known`, a `CharOrths` of `vocab`, saves
    looking up again the characters earlier documents held. `codes`: the code points of `text` and of `norm`
    (uint32), when at hand."""
    n = len(norm)
    if not n:
        return [], [], (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    text_codes, codes = codes if codes is not None else (None, _codepoints(norm))
    if text_codes is None:
        text_codes = codes if text == norm else _codepoints(text)  # most Simplified reports: the same
    flags = _CHAR_FLAGS.take(codes, mode="clip")  # clipped: the last entry stands for every code point above
    # A space of the input right after a character that is not white space trails that character's token (a
    # zero-width character, a space in `norm` only, is a white-space token of its own, as `\n` is).
    trailing = np.zeros(n + 1, dtype=bool)
    trailing[1:n] = (text_codes[1:] == 0x20) & (flags[:-1] < _SPACE)
    # Where a token or a trailing space starts: not where a character continues the token before it, i.e.
    # both are run characters or both white space (a character has at most one of the two flags), the one
    # before not a trailing space.
    breaks = np.empty(n, dtype=bool)  # (`numpy.ones` is `empty` and a copy behind a Python call)
    breaks[0] = True
    breaks[1:] = ((flags[1:] & flags[:-1]) == 0) | trailing[:-2]
    bounds = breaks.nonzero()[0]
    ends = np.empty_like(bounds)
    ends[:-1], ends[-1] = bounds[1:], n
    kept = ~trailing.take(bounds)  # (`take` gathers by an index array at half the cost of indexing)
    starts, ends = bounds[kept], ends[kept]
    return _token_orths(vocab, text, starts, ends, known, text_codes), trailing.take(ends).tolist(), (starts, ends)


def _token_orths(vocab: Vocab, text: str, starts: np.ndarray, ends: np.ndarray,
                 known: "CharOrths | None" = None, codes: np.ndarray | None = None) -> list[int]:
    """The orth ids of the tokens `text[start:end]`: the one-character ones by a table of the characters
    (`known`, or one of this text's distinct characters), the others one by one, by their StringStore key
    (as `orth_ids`). The ids are gathered in an array of Python ints (dtype object): `tolist` then hands out the ints
    themselves, where a uint64 array makes a new int of each 64-bit id (a third of this function's time).
    `codes`: `text`'s code points, when at hand. With `known`, the table is read at every token's first
    character in one gather (the longer tokens' entries then replaced), not for the one-character tokens
    picked out first and copied into place."""
    if codes is None:
        codes = _codepoints(text)
    longer = (ends - starts > 1).nonzero()[0]
    if known is not None:
        orths = known.orths(codes.take(starts), skip=longer)
    else:
        orths = np.empty(len(starts), dtype=object)
        single = ends - starts == 1
        orths[single] = _lookup_orths(vocab, codes[starts[single]])
    if len(longer):
        add = vocab.strings.add
        orths[longer] = [add(text[a:b], allow_transient=True) for a, b in zip(starts[longer].tolist(),
                                                                              ends[longer].tolist())]
    return orths.tolist()


def _lookup_orths(vocab: Vocab, codes: np.ndarray) -> np.ndarray:
    """The orth ids (Python ints, dtype object) of the characters of code points `codes`, each distinct one
    looked up in `vocab` once."""
    chars, where = np.unique(codes, return_inverse=True)
    return _objects([vocab[c].orth for c in map(chr, chars.tolist())])[where]


def _objects(values: list) -> np.ndarray:
    """`values` as a one-dimensional array of dtype object holding the very objects."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class CharOrths:
    """The orth ids of single characters by code point, for one vocab, kept from document to document.

    Looking up every distinct character of a document in the vocab costs the same however short the
    document (a few hundred look-ups for 2,000 characters of Chinese); a table indexed by code point answers
    the characters any earlier document held at once. A character is looked up the first time it is seen
    (its lexeme made if new, as `Doc` would), and entered only outside a spaCy memory zone, whose lexemes do
    not outlive it. Characters above the Basic Multilingual Plane are rare and looked up every time.
    `table` (uint64, 0 where not known) says which are known; `ids` holds the same ids as Python ints."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.table = np.zeros(0x10001, dtype=np.uint64)  # 0: not known; the last entry stands for the astral
        self.ids = np.zeros(0x10001, dtype=object)

    def orths(self, codes: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
        """The orth ids of the characters of code points `codes` (`_lookup_orths(self.vocab, codes)`), as
        Python ints in an array of dtype object. At the positions `skip` the caller puts other ids: what the
        table holds there is left, and a character not in it is not looked up."""
        missing = self.table.take(codes, mode="clip") == 0  # clipped: the last entry stands for the astral
        if skip is not None:
            missing[skip] = False
        missing = missing.nonzero()[0]
        orths = self.ids.take(codes, mode="clip")
        if len(missing):
            new, where = np.unique(codes[missing], return_inverse=True)
            found = _objects([self.vocab[c].orth for c in map(chr, new.tolist())])
            orths[missing] = found[where]
            if not self.vocab.in_memory_zone:
                keep = new < len(self.table) - 1
                self.table[new[keep]] = found[keep].astype(np.uint64)
                self.ids[new[keep]] = found[keep]
        return orths

    def column(self, codes: np.ndarray) -> np.ndarray:
        """`orths(codes)` as uint64, spaCy's attribute type: read from `table` at once when it holds every
        character (no Python int per character, no conversion back), else through `orths`."""
        found = self.table.take(codes, mode="clip")  # the last entry, for the astral characters, stays 0
        # (`count_nonzero` is a C call; `all` goes through a Python wrapper at four times its cost)
        return found if np.count_nonzero(found) == len(found) else self.orths(codes).astype(np.uint64)


def orth_ids(vocab: Vocab, words: list[str]) -> list[int]:
    """The words' orth ids, each distinct word looked up once: a `Doc` built from the ids is the same as one
    built from the words, without hashing the text of every token again (a third of the tokenizer's time on
    a report of single-character tokens). A word's id is its StringStore key, added as `vocab[word]` adds it
    (transient in a memory zone); `Doc` makes the lexeme of an id it has not met, as `vocab[word]` would,
    and the Python `Lexeme` that `vocab[word]` makes besides costs twice the key (≈ 0.2 µs a word)."""
    ids = dict.fromkeys(words)
    add = vocab.strings.add
    for word in ids:
        ids[word] = add(word, allow_transient=True)
    return list(map(ids.__getitem__, words))


def set_norms(doc: Doc, text: str, norm: str, bounds: tuple | None = None, known: "CharOrths | None" = None,
              codes: tuple | None = None) -> dict:
    """`token.norm_` = the normalised form, for the tokens whose characters normalisation changed, in a `Doc`
    the tokenizer has just made (no norm set yet; `bounds`: its tokens' start and end offsets, when known;
    `known`: a `CharOrths` of the doc's vocab, for the one-character norms). Returns
    the offsets of the changed characters and the input's characters there (`changed_characters`): what
    a reader of the input's characters at given offsets needs besides the normalised text. `codes`: the
    code points of `text` and of `norm` (uint32), when at hand."""
    if codes is None:
        codes = _codepoints(text), _codepoints(norm)
    a, b = codes
    changed = (a != b).nonzero()[0]
    found = {"offsets": changed.tolist(), "chars": a[changed].tobytes().decode("utf-32-le")}
    if not len(changed):
        return found
    if bounds is None:
        idx, length = doc.to_array([IDX, LENGTH]).astype(np.int64).T
        bounds = idx, idx + length
    starts, ends = bounds
    at = starts.searchsorted(changed, side="right") - 1  # ascending, as the offsets are
    first = np.empty(len(at), dtype=bool)  # the first changed character of each token
    first[0] = True
    first[1:] = at[1:] != at[:-1]
    tokens = at[first]
    doc.from_array([NORM], _norm_column(doc, norm, tokens, starts[tokens], ends[tokens], known, b))
    return found


def _norm_column(doc: Doc, norm: str, tokens: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 known: "CharOrths | None", codes: np.ndarray) -> np.ndarray:
    """The NORM column for `Doc.from_array` that sets `token.norm_` to `norm[start:end]` for `tokens` (their
    offsets `starts`, `ends`) and leaves the others unset (0, as `Doc` made them): one array write, not a
    `Token` object and a setter call per changed token (most tokens of a Traditional-script report). With
    `known`, the one-character norms (all a Traditional report's changed characters in the char segmenter)
    are its orth ids by code point — a string's orth id is its StringStore key — not a `strings.add` each.
    `codes`: `norm`'s code points (uint32)."""
    column = np.zeros(len(doc), dtype=np.uint64)
    if known is not None:
        single = ends - starts == 1
        if np.count_nonzero(single) == len(single):  # most reports: only punctuation or characters changed
            column[tokens] = known.column(codes.take(starts))
            return column
        column[tokens[single]] = known.column(codes[starts[single]])
        tokens, starts, ends = tokens[~single], starts[~single], ends[~single]
    add = doc.vocab.strings.add
    column[tokens] = [add(norm[a:b]) for a, b in zip(starts.tolist(), ends.tolist())]
    return column


def changed_characters(doc: Doc) -> tuple[list[int], str] | None:
    """The offsets (ascending) of the characters normalisation changed and the input's characters there,
    when the tokenizer made this `Doc` and recorded them; else None. Elsewhere the input and the normalised
    text are the same: the input's characters at any offsets are the normalised text's, patched at these."""
    data, changed = doc.user_data.get(USER_DATA_KEY), doc.user_data.get(CHANGED_KEY)
    if not data or not changed or len(data.get("norm_text", "")) != doc_length(doc):
        return None
    offsets, chars = changed.get("offsets"), changed.get("chars")
    if not isinstance(offsets, list) or not isinstance(chars, str) or len(offsets) != len(chars):
        return None
    return offsets, chars


def t2s_conversion(doc: Doc) -> str | None:
    """`to_simplified(fold_width(doc.text), "t2s")[0]` as the tokenizer computed it, when it made this `Doc`
    with the t2s config and OpenCC's output kept the length (no character-wise fallback); else None."""
    data, converted = doc.user_data.get(USER_DATA_KEY), doc.user_data.get(T2S_KEY)
    if not data or converted is None or len(data.get("norm_text", "")) != doc_length(doc):
        return None
    converted = data["norm_text"] if converted is True else converted
    return converted if isinstance(converted, str) and len(converted) == len(data["norm_text"]) else None


def doc_length(doc: Doc) -> int:
    """len(doc.text) without building the text (which walks every token)."""
    if not len(doc):
        return 0
    last = doc[-1]
    return last.idx + len(last.text_with_ws)


def norm_text_getter(doc: Doc) -> str:
    """`Doc._.norm_text`: the normalised text (same length as doc.text)."""
    data = doc.user_data.get(USER_DATA_KEY)
    if data and len(data.get("norm_text", "")) == doc_length(doc):
        return data["norm_text"]
    return normalize(doc.text).text


def unchanged_input(doc: Doc) -> str | None:
    """The input text, when the tokenizer recorded that normalisation left it as it was (it is then the
    normalised text, at hand without walking the tokens); else None."""
    data = doc.user_data.get(USER_DATA_KEY)
    if data and data.get("unchanged") and len(data.get("norm_text", "")) == doc_length(doc):
        return data["norm_text"]
    return None


def script_getter(doc: Doc) -> str:
    """`Doc._.script`: 'traditional' or 'simplified'."""
    data = doc.user_data.get(USER_DATA_KEY)
    if data and "script" in data:
        return data["script"]
    return normalize(doc.text).script


if not Doc.has_extension("norm_text"):
    Doc.set_extension("norm_text", getter=norm_text_getter)
if not Doc.has_extension("script"):
    Doc.set_extension("script", getter=script_getter)
