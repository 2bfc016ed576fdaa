"""A Chinese tokenizer that segments the *normalised* text but keeps the input's characters.

Reads: the raw text. Writes: a `Doc` whose `doc.text` is exactly the input, tokens cut where pkuseg
(or the character segmenter) cut the OpenCC-normalised text, `token.norm_` set to the normalised form
where it differs, and the normalised text in `doc.user_data` (read it via `Doc._.norm_text`).
Tokens never cross a unit boundary: each line is segmented sentence by sentence.
"""
from __future__ import annotations

import itertools
import json
import operator
import re
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from spacy import util
from spacy.attrs import IDX
from spacy.tokens import Doc
from spacy.util import DummyTokenizer, registry
from spacy.vocab import Vocab

from . import pkuseg_model as pkuseg_weights
from ..errors import DataError, ModelError
from .normalize import normalize
from .units import _SENTENCE_RE, LINE_RE

SEGMENTERS = ("pkuseg", "char")
USER_DATA_KEY = "policy_nlp"
CFG_FILE = "cfg.json"
_CHAR_TOKEN_RE = re.compile(r"[A-Za-z0-9_.%]+|\S")
# A char-segmenter token or a run of white space, then the single space that trails it (a run of white space
# is maximal, so it never has one): the same words as `words_and_spaces` over `_CHAR_TOKEN_RE`. One group, so
# `findall` returns plain strings (no tuple per token for the garbage collector to track).
_CHAR_WORD_RE = re.compile(r"([A-Za-z0-9_.%]+|\S|\s+) ?")
# The same in the input itself when normalisation only folded full-width forms (`fold_width`): a full-width
# letter, digit, '_', '.' or '%' folds into a run; no full-width form folds to or from white space.
_WIDE_WORD_RE = re.compile(r"([A-Za-z0-9_.%Ａ-Ｚａ-ｚ０-９＿．％]+|\S|\s+) ?")
# A space that trails a token: one right after a character that is not white space (every such character
# ends a token, and a space ends any run).
_TRAILING_SPACE_RE = re.compile(r"(?<=\S) ")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


@registry.tokenizers("policy_nlp.ChineseTokenizer.v1")
def create_tokenizer(segmenter: str = "pkuseg", opencc_config: str = "t2s", pkuseg_model: str = "default",
                     pkuseg_user_dict: str = "default"):
    """Config: segmenter ('pkuseg'|'char'), OpenCC config ('t2s'|'tw2s'|'hk2s'), pkuseg model reference."""
    if segmenter not in SEGMENTERS:
        raise ModelError("E006", segmenter=segmenter)

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
        lone = _SURROGATE_RE.search(text)
        if lone:  # no encoder (OpenCC, pkuseg, any JSON writer) accepts half a UTF-16 pair
            raise DataError("E117", position=lone.start(), char=f"U+{ord(lone.group()):04X}")
        normalized = normalize(text, self.opencc_config)
        norm = normalized.text
        if self.segmenter == "char":  # a simplified-script norm is the input with full-width forms folded
            words, spaces = char_words_and_spaces(text, norm, folded_only=normalized.script == "simplified")
        else:
            words, spaces = words_and_spaces(text, self.token_spans(norm))
        doc = Doc(self.vocab, words=orth_ids(self.vocab, words), spaces=spaces)
        doc.user_data[USER_DATA_KEY] = {"norm_text": norm, "script": normalized.script, "unchanged": norm == text}
        if norm != text:
            set_norms(doc, text, norm)
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000):
        for text in texts:
            yield self(text)

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
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
        if "pkuseg_model" in cfg:  # a saved reference is the model's word: it must not leave the model
            cfg["pkuseg_model"] = pkuseg_weights.saved_reference(cfg["pkuseg_model"], cfg_path.parent.parent)
        if "pkuseg_user_dict" in cfg:
            cfg["pkuseg_user_dict"] = pkuseg_weights.saved_user_dict(cfg["pkuseg_user_dict"], cfg_path.parent.parent)
        self._apply_cfg(cfg)

    def _apply_cfg(self, cfg: dict) -> None:
        # The segmenter comes from the pipeline config (so load(segmenter='char') can override it);
        # the pkuseg model reference and OpenCC config come from the saved settings.
        self.opencc_config = cfg.get("opencc_config", self.opencc_config)
        if self.pkuseg_model == "default":
            self.pkuseg_model = cfg.get("pkuseg_model", self.pkuseg_model)
        self.pkuseg_user_dict = cfg.get("pkuseg_user_dict", self.pkuseg_user_dict)
        self.pkuseg_seg = None


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


def char_words_and_spaces(text: str, norm: str, folded_only: bool = False) -> tuple[list[str], list[bool]]:
    """`words_and_spaces(text, spans of _CHAR_TOKEN_RE in norm)` without a Python loop per token: the words
    found by regex in the normalised text and cut from `text` at the same offsets (normalisation keeps the
    length). `folded_only`: `norm` is `fold_width(text)`, so the words are found in `text` itself, which saves
    cutting them (nearly every report has full-width commas)."""
    if folded_only or norm == text:
        words = _WIDE_WORD_RE.findall(text)
        spaces = _trailing_spaces(text, words)
    else:
        words = _CHAR_WORD_RE.findall(norm)
        spaces = _trailing_spaces(norm, words)
        lengths = list(map(len, words))
        starts = list(itertools.accumulate(map(operator.add, lengths, spaces), initial=0))
        words = list(map(text.__getitem__, map(slice, starts, map(operator.add, starts, lengths))))
    return words, spaces


def _trailing_spaces(text: str, words: list[str]) -> list[bool]:
    """Which of the words `_CHAR_WORD_RE` found in `text` a space trails. Most reports have a few such spaces
    or none: each is placed by a binary search in the words' ends, counted without the trailing spaces before
    it, instead of a second regex pass over the whole text."""
    spaces = [False] * len(words)
    at = [m.start() for m in _TRAILING_SPACE_RE.finditer(text)] if " " in text else []
    if at:
        ends = np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)))
        for i in np.searchsorted(ends, np.array(at) - np.arange(len(at))).tolist():
            spaces[i] = True
    return spaces


def orth_ids(vocab: Vocab, words: list[str]) -> list[int]:
    """The words' orth ids, each distinct word looked up once (its lexeme made if new, as `Doc` would make
    it): a `Doc` built from the ids is the same as one built from the words, without hashing the text of
    every token again (a third of the tokenizer's time on a report of single-character tokens)."""
    ids = dict.fromkeys(words)
    for word in ids:
        ids[word] = vocab[word].orth
    return list(map(ids.__getitem__, words))


def set_norms(doc: Doc, text: str, norm: str) -> None:
    """`token.norm_` = the normalised form, for the tokens whose characters normalisation changed."""
    a = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32)
    changed = np.flatnonzero(a != b)
    if not len(changed):
        return
    starts = doc.to_array([IDX]).astype(np.int64).ravel()
    for i in np.unique(np.searchsorted(starts, changed, side="right") - 1).tolist():
        token = doc[i]
        token.norm_ = norm[token.idx: token.idx + len(token)]


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
