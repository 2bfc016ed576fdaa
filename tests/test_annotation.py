"""`corpus/annotation.py`: the batches a stream goes through the pipeline in."""
from __future__ import annotations

import pytest

from policy_nlp.corpus.annotation import BATCH_CHARS, BATCH_SIZE, BYTES_PER_CHAR, batches


def test_batches_keep_their_size_and_an_error_comes_after_the_items_read():
    assert list(batches(iter(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []

    def source():
        yield from range(5)
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for batch in batches(source(), 3):
            seen.append(batch)
    assert seen == [[0, 1, 2], [3, 4]]


def test_batches_hold_at_most_chars_characters_past_their_first_item_in_the_stream_s_order():
    texts = ["aaa", "bbb", "ccc", "d" * 10, "e", "f", "gg", "hhhhh"]
    assert list(batches(texts, 8, chars=6)) == [["aaa", "bbb"], ["ccc"], ["d" * 10], ["e", "f", "gg"], ["hhhhh"]]
    assert list(batches(texts, 2, chars=100)) == [texts[0:2], texts[2:4], texts[4:6], texts[6:8]]
    assert list(batches(texts, 8, chars=1)) == [[t] for t in texts]
    pairs = [(t, t) for t in texts]  # what the API batches: (checked text, text)
    assert list(batches(pairs, 8, chars=6, length=lambda pair: len(pair[0]))) == \
        [[(t, t) for t in batch] for batch in batches(texts, 8, chars=6)]


def test_the_default_batch_holds_many_short_reports_and_few_long_ones_in_bounded_memory():
    short, long = 2_000, 16_000
    assert len(next(batches([""] * 100, BATCH_SIZE, BATCH_CHARS, length=lambda _: short))) == 64
    assert len(next(batches([""] * 100, BATCH_SIZE, BATCH_CHARS, length=lambda _: long))) == 8
    assert BATCH_CHARS * BYTES_PER_CHAR["char"] < 40 * 2**20
