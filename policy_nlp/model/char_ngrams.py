"""A fitted character n-gram `TfidfVectorizer`'s `transform`, computed for a whole batch with numpy.

scikit-learn's char analyser builds one Python string per n-gram and looks each up in the vocabulary dict:
most of the themes component's time. Here the n-grams of all the documents are numbers instead: each
character is its code point + 1 (21 bits, never 0), an n-gram of up to three characters the code points
side by side in one 64-bit integer. The vocabulary becomes a hash table of those numbers (`_Table`, built once per
fitted vectorizer, outside its pickled state); all the documents' n-grams are looked up in it at once and
counted with `unique` (on 32-bit keys where the batch's cells fit). The count matrix is the one the
vectorizer's `CountVectorizer` part builds (same rows, sorted columns, counts and dtype); the TF-IDF steps
after it are `TfidfTransformer.transform`'s (sublinear tf, idf, norm: the routine `normalize` runs on
such a matrix, without its input checks), so the output is the same to the bit.
`transform` takes this path only for the settings it reproduces (`covers`) and calls the vectorizer's own
`transform` for any other. A preprocessor with a `code_form` (`features.canonical`) is applied to the
batch's codes directly, without a string per text.
"""
from __future__ import annotations

import re
import weakref
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l1, inplace_csr_row_normalize_l2

MAX_N = 3  # three 21-bit code points fill a 64-bit key
_BITS = 21
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's white-space normalisation of the char analysers

# Per fitted vectorizer (weakly, so that nothing is added to what is pickled): (its vocabulary_ object,
# its `_Table`).
_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def covers(vectorizer) -> bool:
    """True when `transform` reproduces `vectorizer.transform` itself: a fitted `TfidfVectorizer` (not a
    subclass) with the char analyser on strings, n-grams of 1 to `MAX_N` characters, counts not binarised."""
    if type(vectorizer) is not TfidfVectorizer or not hasattr(vectorizer, "vocabulary_"):
        return False
    low, high = vectorizer.ngram_range
    return (vectorizer.analyzer == "char" and vectorizer.input == "content" and not vectorizer.binary
            and 1 <= low <= high <= MAX_N and np.dtype(vectorizer.dtype) in (np.float32, np.float64))


def transform(vectorizer, documents) -> sp.csr_matrix:
    """`vectorizer.transform(documents)`, computed on arrays when `covers(vectorizer)`."""
    return _weighted(vectorizer, documents) if covers(vectorizer) else vectorizer.transform(documents)


def _weighted(vectorizer, documents) -> sp.csr_matrix:
    """`TfidfTransformer.transform`'s steps on `counts`, in its order and dtypes."""
    X = counts(vectorizer, documents)
    if vectorizer.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    if hasattr(vectorizer, "idf_"):
        X.data *= vectorizer.idf_[X.indices]
    return _normalized(X, vectorizer.norm)


# The routines `normalize` applies to a CSR matrix (scikit-learn's documented `sparsefuncs_fast` functions)
_IN_PLACE = {"l1": inplace_csr_row_normalize_l1, "l2": inplace_csr_row_normalize_l2}


def _normalized(X: sp.csr_matrix, norm: str | None) -> sp.csr_matrix:
    """`normalize(X, norm=norm, copy=False)` of a count matrix `counts` made (CSR, float32 or float64, its own
    writeable arrays; `norm` a `TfidfVectorizer`'s: "l1", "l2" or None): the in-place routine `normalize`
    itself runs on such a matrix, called without `normalize`'s input checks (≈ 100 µs a call whatever the
    batch's size), which have nothing to convert or refuse here; a matrix of no rows still goes to
    `normalize`, which refuses it."""
    if norm is None:
        return X
    if not X.shape[0]:
        return normalize(X, norm=norm, copy=False)
    _IN_PLACE[norm](X)
    return X


def codes_of(text: str) -> np.ndarray:
    """Code point + 1 of each character of `text` (a lone surrogate is one character, as in `str`)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64) + 1


class _Table:
    """The vocabulary as an open-addressing hash table of n-gram keys (linear probing, at most half
    full, 0 = empty): a batch of keys is looked up with a few array gathers, where a binary search over the
    sorted keys costs ten times as much on a vocabulary of 10⁵ terms."""

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the key times 2⁶⁴/φ, its top bits

    def __init__(self, keys: np.ndarray, columns: np.ndarray):
        bits = max(int(2 * len(keys)).bit_length(), 3)
        self.shift, self.mask = np.uint64(64 - bits), (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.columns = np.full(1 << bits, -1, dtype=np.int32)
        slot, todo = self._slots(keys), np.arange(len(keys))
        while len(todo):  # each round, the first key to claim each empty slot takes it; the rest probe on
            free = self.keys[slot] == 0
            first = np.unique(slot[free], return_index=True)[1]
            placed = np.flatnonzero(free)[first]
            self.keys[slot[placed]], self.columns[slot[placed]] = keys[todo[placed]], columns[todo[placed]]
            rest = np.ones(len(todo), dtype=bool)
            rest[placed] = False
            todo, slot = todo[rest], (slot[rest] + 1) & self.mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * self._MULTIPLIER) >> self.shift).astype(np.int64)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The column of each key, -1 where the vocabulary lacks it (most keys are settled by their first
        slot, on whole arrays; the few that collided probe on)."""
        slot = self._slots(keys)
        found = self.keys[slot]
        hit = found == keys
        out = np.where(hit, self.columns[slot], -1)
        todo = np.flatnonzero(~hit & (found != 0))
        slot = slot[todo]
        while len(todo):
            slot = (slot + 1) & self.mask
            found = self.keys[slot]
            hit = found == keys[todo]
            out[todo[hit]] = self.columns[slot[hit]]
            more = (found != 0) & ~hit
            todo, slot = todo[more], slot[more]
        return out


class _Grams(NamedTuple):
    """What `counts` looks a fitted vocabulary's n-grams up in, derived from it once: `table`, every term's
    key; `unigrams`, the column of each one-character term by its code (-1 for a code of no term; the last
    entry stands for every code beyond; None when the analyser makes no one-character n-grams); `closed`,
    whether both (n-1)-character parts of every longer term are terms too (as in any vocabulary of all the
    n-grams seen, `min_df` or not): then an n-gram is a term only where both its parts were found, and
    only those positions are looked up."""

    table: _Table
    unigrams: np.ndarray | None
    closed: bool


def _closed(vocabulary: dict, low: int) -> bool:
    return all(term[:-1] in vocabulary and term[1:] in vocabulary for term in vocabulary if len(term) > low)


def _table(vectorizer) -> _Grams:
    """The vocabulary's `_Grams` (memoised per fitted vectorizer); terms of a length the analyser never
    makes are left out (they never match there either)."""
    vocabulary = vectorizer.vocabulary_
    cached = _TABLES.get(vectorizer)
    if cached is not None and cached[0] is vocabulary:
        return cached[1]
    low, high = vectorizer.ngram_range
    keys, columns = [np.zeros(0, dtype=np.uint64)], [np.zeros(0, dtype=np.int64)]
    for n in range(low, high + 1):
        terms = [t for t in vocabulary if len(t) == n]
        codes = codes_of("".join(terms)).reshape(len(terms), n)
        keys.append(np.bitwise_or.reduce(codes << (np.arange(n, dtype=np.uint64) * np.uint64(_BITS)), axis=1))
        columns.append(np.fromiter(map(vocabulary.__getitem__, terms), dtype=np.int64, count=len(terms)))
    unigrams = None
    if low == 1:  # the first n-gram length's keys are the one-character terms' codes
        unigrams = np.full(int(keys[1].max(initial=0)) + 2, -1, dtype=np.int32)
        unigrams[keys[1].astype(np.int64)] = columns[1]
    grams = _Grams(_Table(np.concatenate(keys), np.concatenate(columns)), unigrams, _closed(vocabulary, low))
    _TABLES[vectorizer] = (vocabulary, grams)
    return grams


def _columns(grams: _Grams, key: np.ndarray, n: int, parts: np.ndarray | None) -> np.ndarray:
    """The column of the n-gram key at each position (-1: not a term). `parts`: the columns of the
    (n-1)-grams at each position, when the vocabulary is `closed` (an n-gram whose parts are not both terms
    is not one either, so where that rules out a fifth of the positions or more only the rest is looked
    up); a position too near its document's end may hold any answer (`counts` drops it)."""
    if n == 1 and grams.unigrams is not None:
        return grams.unigrams[np.minimum(key, np.uint64(len(grams.unigrams) - 1))]
    if parts is not None and grams.closed:
        both = parts >= 0
        both[:-1] &= both[1:]
        both[-1:] = False
        at = np.flatnonzero(both)
        if len(at) <= 0.8 * len(key):
            out = np.full(len(key), -1, dtype=np.int32)
            out[at] = grams.table.lookup(key[at])
            return out
    return grams.table.lookup(key)


_NUL_SAFE: set = set()


def nul_safe(function):
    """Mark a preprocessor that treats the parts of a string between NULs alone (regular-expression
    substitutions whose patterns match no NUL, as `features.canonical`): `counts` then preprocesses a batch
    of texts in one call on the texts joined by NULs (`per_text`)."""
    _NUL_SAFE.add(function)
    return function


_WHITE_SPACE_FREE: set = set()


def white_space_free(function):
    """Mark a preprocessor whose output holds no white space (as `features.canonical`, which removes it):
    the char analyser's white-space normalisation (`\\s\\s+` → one space) is then left out, a regex pass
    over every text that could find nothing."""
    _WHITE_SPACE_FREE.add(function)
    return function


_CODE_FORMS: dict = {}


def code_form(codes_function):
    """Mark a `white_space_free` preprocessor that has a form on code points: `codes_function(codes)` takes
    the codes (`codes_of`) of a batch's texts joined by NULs and returns the codes of the preprocessed texts,
    still joined by those NULs (it treats the parts between NULs alone and keeps them). `counts` then cuts
    the n-grams from them without a Python string per text and without encoding the texts twice."""
    def mark(function):
        _CODE_FORMS[function] = codes_function
        return function
    return mark


def per_text(function, texts: list[str]) -> list[str]:
    """`function` of each text, from one call on the texts joined by NULs, for a `function` that treats the
    parts between NULs alone (regular-expression substitutions whose patterns match no NUL); text by text
    when a text holds a NUL itself."""
    joined = "\x00".join(texts)
    if len(texts) < 2 or joined.count("\x00") != len(texts) - 1:
        return [function(t) for t in texts]
    return function(joined).split("\x00")


def _analysed(vectorizer, documents) -> list[str]:
    """Each document as the char analyser sees it before cutting n-grams: decoded, preprocessed (the
    vectorizer's own preprocessor) and its runs of white space made one space; a batch of strings in one
    call when the preprocessor is marked `nul_safe` (the white-space pattern matches no NUL either)."""
    decode, preprocess = vectorizer.decode, vectorizer.build_preprocessor()
    if preprocess in _WHITE_SPACE_FREE:
        analyse = preprocess
    else:
        def analyse(text: str) -> str:
            return _WHITE_SPACES.sub(" ", preprocess(text))
    if preprocess not in _NUL_SAFE or not all(isinstance(doc, str) for doc in documents):
        return [analyse(decode(doc)) for doc in documents]
    return per_text(analyse, list(documents))


def _joined(documents) -> str | None:
    """The documents joined by NULs, None unless all are strings (`str.join` checks that in one pass)."""
    try:
        return "\x00".join(documents)
    except TypeError:
        return None


def _analysed_codes(vectorizer, documents) -> tuple[np.ndarray, np.ndarray]:
    """`codes_of` the `_analysed` documents joined, and each one's length; from the preprocessor's
    `code_form` on the batch joined by NULs where it has one (and no text holds a NUL itself)."""
    preprocess = vectorizer.build_preprocessor()
    form = _CODE_FORMS.get(preprocess) if preprocess in _WHITE_SPACE_FREE else None
    joined = _joined(documents) if form is not None and len(documents) else None
    if joined is not None and joined.count("\x00") == len(documents) - 1:
        codes = form(codes_of(joined))
        nul = codes == 1
        ends = np.concatenate(([-1], np.flatnonzero(nul), [len(codes)]))
        return codes[~nul], np.diff(ends) - 1
    texts = _analysed(vectorizer, documents)
    return codes_of("".join(texts)), np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def _cell_layout(n_docs: int, n_features: int) -> tuple[int, type]:
    """How `counts` numbers a (document, column) cell: the document's index shifted left by `shift` bits (room
    for any column) and the column beside it, so that sorting the cells sorts them by document, then column,
    and both are cut back out with a shift and a mask (no division); 32-bit where the batch's cells fit
    (numpy sorts those more than twice as fast as 64-bit ones). (shift, unsigned dtype)."""
    shift = max(n_features - 1, 0).bit_length()
    return shift, np.uint32 if n_docs << shift < 1 << 32 else np.uint64


def _count_matrix(cells: np.ndarray, n_docs: int, n_features: int, shift: int, dtype) -> sp.csr_matrix:
    """The CSR matrix (`dtype`) counting each (document, column) cell of `cells` (numbered as `_cell_layout`
    says): its rows, sorted columns and counts, as `CountVectorizer` builds it."""
    cells, n = np.unique(cells, return_counts=True)
    index_dtype = np.int32 if len(cells) <= np.iinfo(np.int32).max else np.int64
    starts = np.arange(n_docs + 1, dtype=cells.dtype) << cells.dtype.type(shift)  # each row's first cell number
    indptr = np.searchsorted(cells, starts).astype(index_dtype)
    columns = (cells & cells.dtype.type((1 << shift) - 1)).astype(index_dtype)
    return sp.csr_matrix((n.astype(dtype), columns, indptr), shape=(n_docs, n_features))


def counts(vectorizer, documents) -> sp.csr_matrix:
    """The count matrix `CountVectorizer.transform` builds for a `covers`ed vectorizer: documents × vocabulary,
    sorted column indices, the vectorizer's dtype; every n-gram of the batch found is one cell number
    (`_cell_layout`), all counted by one `np.unique`."""
    codes, lengths = _analysed_codes(vectorizer, documents)
    grams = _table(vectorizer)
    n_docs, n_features = len(lengths), len(vectorizer.vocabulary_)
    total = len(codes)
    shift, cell = _cell_layout(n_docs, n_features)
    doc = np.repeat(np.arange(n_docs, dtype=cell) << cell(shift), lengths)
    room = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)  # characters from each one to its doc's end
    low, high = vectorizer.ngram_range
    key = np.zeros(total, dtype=np.uint64)
    found, column = [np.zeros(0, dtype=cell)], None
    for n in range(1, high + 1):  # the key of the n-gram at each position: that of its (n-1)-gram + one code
        key[:total - n + 1] |= codes[n - 1:] << np.uint64((n - 1) * _BITS)
        if n >= low:  # looked up at every position; those too near their doc's end do not count
            column = _columns(grams, key, n, column)
            at = np.flatnonzero((column >= 0) & (room >= n) if n > 1 else column >= 0)
            found.append(doc[at] | column[at].astype(cell))
    return _count_matrix(np.concatenate(found), n_docs, n_features, shift, vectorizer.dtype)
