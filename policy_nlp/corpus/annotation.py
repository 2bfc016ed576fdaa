"""Annotating one text with a pipeline into an `AnnotatedDocument`: the core that the Python API, the corpus
runs and evaluation share, with the length limit it checks first and the model record it writes."""
from __future__ import annotations

import contextlib
import gc
import threading
from typing import Any, Callable, Iterable, Iterator, TypeVar

from spacy.language import Language

from ..errors import DataError
from ..pipeline import THEMES, explain_config, model_fingerprint
from .document import AnnotatedDocument

# Peak memory of annotating one document, per input character, on top of the loaded pipeline, rounded up
# from benchmarks/memory.py (1 million characters: char 247, pkuseg 162 bytes per character; linear in the
# length: 200,000 characters give the same per-character figure).
BYTES_PER_CHAR = {"char": 256, "pkuseg": 192}
# The longest document annotated by default (CLI --max-chars, annotate(max_chars=...)): 2 million characters,
# at most about 490 MB on top of the models (char; 370 MB with pkuseg). Reports are 5,000–50,000 characters.
MAX_CHARS = 2_000_000


# A stream's batch (`annotate(texts)`): the themes component scores a batch with one call per estimator, a cost
# of a few milliseconds whatever the batch holds, so short reports go in batches of many; and a batch's
# documents are in memory together (`BYTES_PER_CHAR`), so long ones go in batches of few. Up to 64 documents
# and, past the first, 128,000 characters: ≈ 31 MB of documents in flight (char segmenter), 64 openings of
# 2,000 characters or 8 work reports of 16,000. Against the earlier batches of 16 documents, on 100 work
# reports: 2–9 % less time, and the stream's peak memory grew by 14 MB instead of 74 (`docs/throughput.md`).
# `policy-nlp annotate … -o DIR` goes the same way; a batch run (-o FILE.jsonl) keeps `--batch-size`
# documents a batch (a worker process takes a batch at a time), within the same characters.
BATCH_SIZE = 64
BATCH_CHARS = 128_000

_Item = TypeVar("_Item")


def batches(items: Iterable[_Item], size: int, chars: int | None = None,
            length: Callable[[_Item], int] = len) -> Iterator[list[_Item]]:
    """Lists of consecutive items, in their order, of at most `size` items and, past a list's first item, at
    most `chars` characters in all (`length(item)`; None: no limit), so that an item longer than `chars`
    makes a list of its own. If reading the items fails, the items read so far come first, then the error.
    (spaCy's `util.minibatch` counts items only; its `minibatch_by_words` sends an item over the size ahead
    of the batch being filled, out of the stream's order.)"""
    batch: list[_Item] = []
    total = 0
    source = iter(items)
    while True:
        try:
            item = next(source)
        except StopIteration:
            break
        except Exception:
            if batch:  # what was read before the error
                yield batch
            raise
        n = length(item) if chars is not None else 0
        if batch and (len(batch) >= size or chars is not None and total + n > chars):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += n
    if batch:
        yield batch


# The garbage collector's first threshold while a pipeline runs (Python's default: 700). A report allocates
# hundreds of thousands of short-lived container objects; at 700 the young collections promote the ones a
# document in flight still holds, and the promotions set off full collections that walk every object of the
# loaded models (about 180,000): on 20 distinct reports 9% of `annotate`'s time went to the collector, at
# 10,000 under 0.5%. The cyclic garbage this lets wait is at most ~10,000 small objects.
GC_THRESHOLD = 10_000
_gc_lock = threading.Lock()
_gc_state = {"depth": 0, "saved": None}


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Run the block with the collector's first threshold raised to `GC_THRESHOLD` (never lowered), and put
    back what was there when the outermost of several overlapping blocks (nested or interleaved streams,
    threads) ends, unless someone set another threshold meanwhile. The collector keeps running: only less often."""
    with _gc_lock:
        if _gc_state["depth"] == 0:
            saved = gc.get_threshold()
            _gc_state["saved"] = saved if 0 < saved[0] < GC_THRESHOLD else None  # 0: collection is off
            if _gc_state["saved"]:
                gc.set_threshold(GC_THRESHOLD, *saved[1:])
        _gc_state["depth"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_state["depth"] -= 1
            saved = _gc_state["saved"]
            if _gc_state["depth"] == 0 and saved and gc.get_threshold() == (GC_THRESHOLD, *saved[1:]):
                gc.set_threshold(*saved)


def model_info(nlp: Language) -> dict[str, Any]:
    """What the reviewer JSON records about the model that produced it (`nlp.meta` read once: spaCy rebuilds
    parts of it on every read, ≈ 11 µs; `annotate(text)` asks for this once per text)."""
    meta = nlp.meta
    info: dict[str, Any] = {
        "name": f"{meta.get('lang', 'zh')}_{meta.get('name', 'pipeline')}",
        "version": str(meta.get("version", "0.0.0")),
        "sha256": model_fingerprint(nlp),
    }
    trained = (meta.get("policy_nlp") or {}).get("trained")
    if trained:
        info["trained"] = str(trained)
    if THEMES in nlp.pipe_names:
        component = nlp.get_pipe(THEMES)
        info["labels"] = list(component.labels)
        info["thresholds"] = component.thresholds
    else:
        info["labels"] = []
    segmenter = getattr(nlp.tokenizer, "segmenter", None)
    if segmenter in ("pkuseg", "char"):
        info["segmenter"] = segmenter
    return info


def check_length(text: str, max_chars: int | None, segmenter: str | None = None) -> None:
    """E102 when `text` is longer than `max_chars` (None: no limit), naming the memory it would need."""
    if max_chars is not None and len(text) > max_chars:
        segmenter = segmenter if segmenter in BYTES_PER_CHAR else "pkuseg"
        raise DataError("E102", size=len(text), limit=max_chars, segmenter=segmenter,
                        mb=round(BYTES_PER_CHAR[segmenter] * 1_000_000 / 2**20))


def annotate_text(text: str, nlp: Language, max_chars: int | None = MAX_CHARS, explain: bool = False,
                  explain_top: int = 8) -> AnnotatedDocument:
    """One text through `nlp` into an `AnnotatedDocument` (E102 first if it is longer than `max_chars`)."""
    check_length(text, max_chars, getattr(nlp.tokenizer, "segmenter", None))
    with relaxed_gc():
        doc = nlp(text, component_cfg=explain_config(nlp, explain_top if explain else 0))
        return AnnotatedDocument.from_doc(doc, model_info(nlp), text=text)
