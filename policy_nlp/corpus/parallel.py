"""Annotating a stream of documents, in this process or in worker processes, into finished records.

Reads (id, text, error) items; yields one `Annotated` per item, in input order: the reviewer-JSON record
as a JSON line plus the counts a run summary needs. Each worker process holds one pipeline (inherited by
fork where the platform has it, else loaded from a copy saved to a temporary directory) and sends back
JSON lines, not spaCy Docs, so the parent only writes; at most `2 × n_process` batches are in flight, so
memory stays flat however long the stream. A document that makes the pipeline raise becomes an error
item (E055) and the stream goes on; if a worker dies, its batch is retried alone, then document by document,
in a fresh pool, and only a document that kills a worker by itself fails (E060).
"""
from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from spacy.language import Language

from .annotation import BATCH_CHARS, batches, model_info, relaxed_gc
from .document import SCHEMA_ID, AnnotatedDocument
from ..errors import error_text

Item = tuple  # (id, text, error) or (id, text, error, InputDocument): text is None when error is set; the
#              input document, when given, brings the source file and the extraction's warnings


@dataclass
class Annotated:
    """One finished document: its JSON line and what the run summary counts."""

    id: str
    line: str
    units: int = 0
    characters: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # the record's warning codes
    # the document itself, in the process that annotated it (never sent back by a worker: `line` is)
    document: AnnotatedDocument | None = field(default=None, compare=False, repr=False)


def failed(doc_id: str, error: str) -> Annotated:
    record = {"schema": SCHEMA_ID, "id": doc_id, "error": error}
    return Annotated(doc_id, json.dumps(record, ensure_ascii=False), error=error)


def annotate_batch(nlp: Language, info: dict, items: list[Item], explain_top: int = 0) -> list[Annotated]:
    """Annotate a batch with one `nlp.pipe` call (the themes component scores it at once); if the pipeline
    raises, each document is done alone so that only the one that breaks it fails. `explain_top` > 0: with
    explanations (passed to the themes component as `component_cfg`)."""
    with relaxed_gc():  # the collector's full passes over the models' objects: see GC_THRESHOLD
        return _annotate_batch(nlp, info, items, explain_top)


def _annotate_batch(nlp: Language, info: dict, items: list[Item], explain_top: int) -> list[Annotated]:
    from ..pipeline import explain_config

    todo = [(k, item[1]) for k, item in enumerate(items) if item[2] is None]
    docs: dict[int, object] = {}
    try:  # (a config per call: nlp.pipe adds its batch size to it)
        docs = dict(zip((k for k, _ in todo), nlp.pipe((text for _, text in todo),
                                                       component_cfg=explain_config(nlp, explain_top))))
    except Exception:
        docs = {}
    out = []
    for k, item in enumerate(items):
        doc_id, text, error = item[:3]
        if error is not None:
            out.append(failed(doc_id, error))
            continue
        try:
            spacy_doc = docs[k] if k in docs else nlp(text, component_cfg=explain_config(nlp, explain_top))
            annotated = AnnotatedDocument.from_doc(spacy_doc, info, id=doc_id, text=text)
            if len(item) > 3 and item[3] is not None:
                annotated.add_source(item[3].source, item[3].warnings)
        except Exception as exc:
            out.append(failed(doc_id, error_text("E055", id=doc_id, detail=f"{type(exc).__name__}: {exc}")))
            continue
        out.append(Annotated(doc_id, json.dumps(annotated.to_dict(), ensure_ascii=False), len(annotated.units),
                             len(text), annotated.label_counts(), warnings=[w["code"] for w in annotated.warnings],
                             document=annotated))
    return out


# -- worker processes ------------------------------------------------------------------------------------
_WORKER: dict = {}  # the worker's pipeline and model info (set before fork, or by the spawn initializer)


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Make this worker process end when its parent dies, even by SIGKILL: on Linux the kernel sends SIGKILL
    (prctl PR_SET_PDEATHSIG); elsewhere a daemon thread watches the parent's process id."""
    parent = multiprocessing.parent_process()
    parent_pid = parent.pid if parent is not None else os.getppid()
    done = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            done = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            done = False
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if not done:
        def watch() -> None:
            while True:
                time.sleep(1.0)
                if os.getppid() != parent_pid:
                    os._exit(1)

        threading.Thread(target=watch, daemon=True, name="policy-nlp-parent-watch").start()


def _init_forked_worker() -> None:
    die_with_parent()


def _init_spawned_worker(model_dir: str, segmenter: str, info: dict) -> None:
    from ..pipeline import load

    die_with_parent()
    _WORKER.update(nlp=load(model_dir, segmenter=segmenter), info=info)  # the parent's: the copy's model file is a new pickle of the same model


def _work(items: list[Item], explain_top: int = 0) -> list[Annotated]:
    """A batch annotated in a worker: the JSON lines go back, not the documents."""
    return [replace(result, document=None)
            for result in annotate_batch(_WORKER["nlp"], _WORKER["info"], items, explain_top)]


class _Pool:
    """A process pool whose workers hold the pipeline; `restart()` after a worker died."""

    def __init__(self, nlp: Language, info: dict, n_process: int, explain_top: int = 0):
        self.n_process = n_process
        self.explain_top = explain_top  # sent with each batch
        self.model_dir: str | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            _WORKER.update(nlp=nlp, info=info)  # inherited by the forked workers
            self.kwargs = {"mp_context": multiprocessing.get_context("fork"), "initializer": _init_forked_worker}
        else:
            self.model_dir = tempfile.mkdtemp(prefix="policy-nlp-worker-")
            nlp.to_disk(self.model_dir)
            self.kwargs = {"mp_context": multiprocessing.get_context("spawn"), "initializer": _init_spawned_worker,
                           "initargs": (self.model_dir, getattr(nlp.tokenizer, "segmenter", "pkuseg"), info)}
        self.executor = ProcessPoolExecutor(n_process, **self.kwargs)

    def submit(self, items: list[Item]) -> Future:
        return self.executor.submit(_work, items, self.explain_top)

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = ProcessPoolExecutor(self.n_process, **self.kwargs)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        _WORKER.clear()
        if self.model_dir:
            shutil.rmtree(self.model_dir, ignore_errors=True)


def _item_length(item: Item) -> int:
    return len(item[1] or "")


def annotate_items(items: Iterable[Item], nlp: Language, *, n_process: int = 1, batch_size: int = 8,
                   batch_chars: int | None = BATCH_CHARS, explain_top: int = 0) -> Iterator[Annotated]:
    """One `Annotated` per (id, text, error) item, in input order, annotated in batches of at most
    `batch_size` items and, past a batch's first, `batch_chars` characters (`batches`; a worker process takes
    a batch at a time). An exception raised while reading the items is raised after every batch taken before
    it has been yielded. `explain_top` > 0: with explanations (`annotate_batch`)."""
    info = model_info(nlp)
    if n_process <= 1:
        for batch in batches(items, batch_size, batch_chars, length=_item_length):
            yield from annotate_batch(nlp, info, batch, explain_top)
        return
    pool = _Pool(nlp, info, n_process, explain_top)
    pending: deque[tuple[list[Item], Future]] = deque()

    def isolated(batch: list[Item]) -> list[Annotated] | None:
        """The batch alone in a fresh pool (so that nothing else can break it); None if a worker died."""
        pool.restart()
        try:
            return pool.submit(batch).result()
        except BrokenProcessPool:
            return None

    def collect() -> Iterator[Annotated]:
        batch, future = pending.popleft()
        try:
            results = future.result()
        except BrokenProcessPool:  # some worker died: this batch may be innocent, so retry it alone …
            results = isolated(batch)
            if results is None:  # … and then each of its documents alone
                results = []
                for item in batch:
                    one = isolated([item])
                    results += one if one is not None else [failed(item[0], error_text("E060", id=item[0]))]
            pool.restart()
            for k, (waiting, _) in enumerate(pending):  # resubmit what the dead pool held
                pending[k] = (waiting, pool.submit(waiting))
        yield from results

    try:
        source = batches(items, batch_size, batch_chars, length=_item_length)
        while True:
            try:
                batch = next(source)
            except StopIteration:
                break
            except BaseException:
                while pending:
                    yield from collect()
                raise
            pending.append((batch, pool.submit(batch)))
            while len(pending) >= 2 * n_process:
                yield from collect()
        while pending:
            yield from collect()
    finally:
        pool.close()
