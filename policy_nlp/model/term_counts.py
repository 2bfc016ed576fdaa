"""How often each label's terms occur in each of a batch of strings, on arrays.

The cue features count, per label, the occurrences of the label's terms (`str.count`, summed over its
terms). Term by term and string by string that is most of their time. Here the strings are one array of
character ids (each character of a term gets a small id, any other character 0), the n-grams of each term
length are 64-bit keys of those ids, one `searchsorted` per length finds every occurrence of every term
in the batch, and one `bincount` adds each to its term's labels. `str.count` counts non-overlapping
occurrences: for a term that can overlap itself (`哈哈` in `哈哈哈`) the strings it occurs in are counted by
`str.count` itself, so the counts are `str.count`'s.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .char_ngrams import codes_of


def _overlaps_itself(term: str) -> bool:
    return any(term[:k] == term[-k:] for k in range(1, len(term)))


class TermCounter:
    """Per string and label, the summed `str.count` of the label's terms (a term listed twice counts twice)."""

    def __init__(self, lexicon: Mapping[str, Sequence[str]]):
        self.n_labels = len(lexicon)
        self.terms = list(dict.fromkeys(term for terms in lexicon.values() for term in terms))
        index = {term: u for u, term in enumerate(self.terms)}
        self.label_terms = [[index[term] for term in terms] for terms in lexicon.values()]  # with repeats
        chars = sorted({ch for term in self.terms for ch in term})
        self.bits = max(len(chars).bit_length(), 1)
        self.exact = all(self.terms) and max(map(len, self.terms), default=0) * self.bits <= 64
        points = codes_of("".join(chars)).astype(np.int64) - 1
        # code point → id, 0: in no term; the last entry stands for every code point beyond
        self.id_of = np.zeros(int(points.max(initial=-1)) + 2, dtype=np.uint64)
        self.id_of[points] = np.arange(1, len(chars) + 1, dtype=np.uint64)
        self.width = len(chars) + 1
        self.starts_term = np.zeros(self.width ** 2, dtype=bool)  # (id, next id) → some term starts so
        self.by_length = {}  # term length → (sorted keys, term index of each)
        for length in sorted({len(t) for t in self.terms}) if self.exact else ():
            self._index(length)
        self.overlaps = np.fromiter(map(_overlaps_itself, self.terms), dtype=bool, count=len(self.terms))
        # each (term, label) entry, grouped by term (a term listed twice in a label: two entries): its label,
        # and each term's number of entries and first entry
        entries = sorted((u, j) for j, units in enumerate(self.label_terms) for u in units)
        self.entry_label = np.array([j for _, j in entries], dtype=np.int64)
        self.n_entries = np.bincount(np.array([u for u, _ in entries], dtype=np.int64), minlength=len(self.terms))
        self.first_entry = np.cumsum(self.n_entries) - self.n_entries

    def _index(self, length: int) -> None:
        """The keys of the terms of `length` characters, and the character pairs they start with."""
        units = [u for u, t in enumerate(self.terms) if len(t) == length]
        ids = self._ids("".join(self.terms[u] for u in units)).reshape(len(units), length)
        keys = np.bitwise_or.reduce(ids << (np.arange(length, dtype=np.uint64) * np.uint64(self.bits)), axis=1)
        order = np.argsort(keys)
        self.by_length[length] = (keys[order], np.asarray(units, dtype=np.int64)[order])
        ids = ids.astype(np.int64)
        following = ids[:, 1:2] if length > 1 else np.arange(self.width)[None, :]  # one character: any next
        self.starts_term[(ids[:, :1] * self.width + following).ravel()] = True

    def _ids(self, text: str) -> np.ndarray:
        """The id of each character of `text` (0: in no term), one gather by code point."""
        points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        return self.id_of[np.minimum(points, len(self.id_of) - 1)]

    def _hits(self, strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(string, term) of every occurrence of a term found in `strings` (an `exact` counter); a term that
        can overlap itself counts as `str.count` does not (`counts` corrects those)."""
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        ids = self._ids("".join(strings))
        string_of = np.repeat(np.arange(len(strings), dtype=np.int64), lengths)
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(ids))  # characters to the string's end
        following = np.append(ids[1:], np.uint64(0))
        following[np.cumsum(lengths)[lengths > 0] - 1] = 0  # a string's last character has none
        starts = np.flatnonzero(self.starts_term[ids * np.uint64(self.width) + following])
        # the key of the longest term's length at each start, cut down to each length below (the characters
        # past a string's end only reach the bits cut off where it has room for the term)
        longest = max(self.by_length, default=0)
        padded = np.append(ids, np.zeros(longest, dtype=np.uint64))
        full = np.zeros(len(starts), dtype=np.uint64)
        for k in range(longest):
            full |= padded[starts + k] << np.uint64(k * self.bits)
        room_at = room[starts]
        at_strings, at_terms = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for length, (keys, units) in self.by_length.items():
            fits = room_at >= length
            at, key = starts[fits], full[fits] & np.uint64((1 << (length * self.bits)) - 1)
            pos = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            hit = keys[pos] == key
            at_strings.append(string_of[at[hit]])
            at_terms.append(units[pos[hit]])
        return np.concatenate(at_strings), np.concatenate(at_terms)

    def counts(self, strings: Sequence[str]) -> np.ndarray:
        """strings × labels: the summed counts of each label's terms. Each occurrence found counts once for
        each of its term's entries (`entry_label`), all by one `bincount` over the strings × labels: no
        strings × terms matrix. A term that can overlap itself is counted by `str.count` in the strings it
        was found in."""
        if not self.exact:
            return self._by_str_count(strings)
        string_of, term = self._hits(strings)
        overlapping = self.overlaps[term]
        kept_strings, kept_terms = string_of[~overlapping], term[~overlapping]
        n = self.n_entries[kept_terms]
        entry = np.repeat(self.first_entry[kept_terms] - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        cells = np.repeat(kept_strings, n) * self.n_labels + self.entry_label[entry]
        out = np.bincount(cells, minlength=len(strings) * self.n_labels).reshape(len(strings), self.n_labels)
        for u in np.unique(term[overlapping]).tolist():
            found = np.unique(string_of[term == u])
            times = np.array([strings[i].count(self.terms[u]) for i in found.tolist()], dtype=np.int64)
            for j in self.entry_label[self.first_entry[u]:self.first_entry[u] + self.n_entries[u]].tolist():
                out[found, j] += times
        return out

    def _by_str_count(self, strings: Sequence[str]) -> np.ndarray:
        """`counts` by `str.count` of every term in every string (terms too long for the keys, the empty term)."""
        out = np.zeros((len(strings), self.n_labels), dtype=np.int64)
        for i, s in enumerate(strings):
            times = [s.count(t) for t in self.terms]
            out[i] = [sum(times[u] for u in units) for units in self.label_terms]
        return out
