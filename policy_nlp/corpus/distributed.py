"""Annotating a corpus on a Ray cluster (the optional extra `policy_nlp[ray]`).

The driver reads and screens the inputs and writes the output exactly as `annotate_corpus` does on one
machine (same resume, provenance checks and error records); only the annotation runs on the cluster, through
Ray Data: `map_batches` with a callable class, so each actor loads the pipeline once and annotates batches
with the same per-batch function as the worker processes (`parallel.annotate_batch`). The records are
therefore the same, byte for byte. The stream is cut into windows of `window` documents, each one Ray
Dataset whose rows come back in input order, so the driver's memory stays bounded however long the corpus
(each window starts its actors afresh). The pipeline reaches the actors as bytes through Ray's object store,
or, with `model_dir`, is loaded from that path on every node.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from spacy.language import Language

from ..errors import DataError, PolicyNLPError
from .annotation import batches, model_info
from .batch import annotate_corpus
from .inputs import InputDocument
from .parallel import Annotated, Item, annotate_batch

WINDOW = 1000  # documents per Ray Dataset: bounds the driver's memory; each window loads the actors anew


def check_ray():
    """The `ray` module with Ray Data, or E190 naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise DataError("E190") from None
    return ray


def pipeline_archive(nlp: Language) -> bytes:
    """The pipeline directory (`nlp.to_disk`) as a gzipped tar in memory: what the actors load."""
    tmp = tempfile.mkdtemp(prefix="policy-nlp-ray-")
    try:
        nlp.to_disk(tmp)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            tar.add(tmp, arcname="pipeline")
        return buffer.getvalue()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load_archive(archive, segmenter: str) -> Language:
    """Load the pipeline shipped by `pipeline_archive` (an object-store reference) from a temporary copy."""
    import ray

    from ..pipeline import load

    with tempfile.TemporaryDirectory(prefix="policy-nlp-ray-actor-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(ray.get(archive)), mode="r:gz") as tar:
            if hasattr(tarfile, "data_filter"):  # refuse links and paths that leave the directory
                tar.extraction_filter = tarfile.data_filter
            tar.extractall(tmp)
        return load(os.path.join(tmp, "pipeline"), segmenter=segmenter)


class RayAnnotator:
    """The callable class of `map_batches`: one loaded pipeline per actor; a batch of JSON-encoded
    (id, text, error) items in, the JSON-encoded `Annotated` results out."""

    def __init__(self, info: dict, segmenter: str, explain_top: int = 0, archive=None,
                 model_dir: str | None = None):
        from ..pipeline import load

        if archive is None:
            self.nlp = load(model_dir, segmenter=segmenter)
        else:
            self.nlp = _load_archive(archive, segmenter)
        self.explain_top = explain_top  # passed to each batch's nlp.pipe
        self.info = info  # the driver's: the copy's model file is a new pickle of the same model

    def __call__(self, batch: dict) -> dict:
        items = [_decode_item(item) for item in batch["item"]]
        results = annotate_batch(self.nlp, self.info, items, self.explain_top)
        return {"result": [json.dumps([r.id, r.line, r.units, r.characters, r.label_counts, r.error, r.warnings],
                                      ensure_ascii=False) for r in results]}


def _encode_item(item: Item) -> str:
    """An (id, text, error[, InputDocument]) item as JSON: of the input document, its source and warnings."""
    doc = item[3] if len(item) > 3 else None
    extra = [{"source": doc.source, "warnings": doc.warnings}] if doc is not None else []
    return json.dumps([*item[:3], *extra], ensure_ascii=False)


def _decode_item(encoded: str) -> Item:
    doc_id, text, error, *extra = json.loads(encoded)
    if not extra:
        return doc_id, text, error
    return doc_id, text, error, InputDocument(doc_id, text, error, source=extra[0]["source"],
                                              warnings=extra[0]["warnings"])


def _annotated(result: str) -> Annotated:
    doc_id, line, units, characters, label_counts, error, warnings_ = json.loads(result)
    return Annotated(doc_id, line, units, characters, label_counts, error, warnings_)


@dataclass
class RayEngine:
    """Annotates a stream of (id, text, error) items on Ray; called by `annotate_corpus(engine=...)` in place
    of `annotate_items`, with the same arguments and results.

    `address`: the cluster to join (`ray.init(address=...)`: `auto`, `HOST:6379`, `ray://HOST:10001`);
    None starts a local Ray instance for this run, unless this process is already connected to one.
    `workers`: actors, each holding one pipeline (one CPU each). `model_dir`: a pipeline directory present at
    this path on every node; None ships the driver's pipeline as bytes."""

    address: str | None = None
    workers: int = 2
    model_dir: str | None = None
    window: int = WINDOW

    def __call__(self, items: Iterable[Item], nlp: Language, *, n_process: int = 1,
                 batch_size: int = 8, explain_top: int = 0) -> Iterator[Annotated]:
        ray = check_ray()
        started = self._connect(ray)
        options = dict(info=model_info(nlp), segmenter=getattr(nlp.tokenizer, "segmenter", "pkuseg"),
                       explain_top=explain_top, model_dir=self.model_dir)
        if self.model_dir is None:
            options["archive"] = ray.put(pipeline_archive(nlp))
        try:
            for window in batches(items, self.window):
                yield from self._run(ray, window, options, batch_size)
        finally:
            if started:
                ray.shutdown()

    def _connect(self, ray) -> bool:
        """Join the cluster (E191 if that fails); True if this call started Ray (and so ends it)."""
        if ray.is_initialized():
            return False
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
        try:
            local = {"num_cpus": self.workers, "_node_ip_address": "127.0.0.1"} if self.address is None else {}
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False, **local)
        except Exception as exc:
            raise DataError("E191", address=self.address or "a new local instance",
                            detail=f"{type(exc).__name__}: {exc}") from None
        return True

    def _run(self, ray, window: list[Item], options: dict, batch_size: int) -> Iterator[Annotated]:
        context = ray.data.DataContext.get_current()
        saved = context.execution_options.preserve_order, context.enable_progress_bars
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        done = 0
        try:
            dataset = ray.data.from_items([{"item": _encode_item(item)} for item in window])
            with warnings.catch_warnings():  # max_restarts has no named parameter yet
                warnings.filterwarnings("ignore", message=".*ray_remote_args. is deprecated")
                dataset = dataset.map_batches(RayAnnotator, fn_constructor_kwargs=options, batch_size=batch_size,
                                              compute=ray.data.ActorPoolStrategy(size=self.workers), num_cpus=1,
                                              max_restarts=0)  # a dead actor stops the run (E192), never loops
            for row in dataset.iter_rows():
                yield _annotated(row["result"])
                done += 1
        except PolicyNLPError:
            raise
        except Exception as exc:
            raise DataError("E192", id=window[min(done, len(window) - 1)][0], detail=_cause(exc)) from None
        finally:
            context.execution_options.preserve_order, context.enable_progress_bars = saved


def _cause(exc: BaseException) -> str:
    """The innermost error's line, e.g. a pipeline that cannot be loaded on a node (`[E005] …`)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    coded = [line.split(" Fix: ")[0] for line in lines if "[E" in line]
    return (coded[-1] if coded else lines[-1] if lines else type(exc).__name__)[:500].rstrip(".")


def annotate_corpus_ray(paths: Sequence[str | Path], output: str | Path, *, address: str | None = None,
                        workers: int = 2, model_dir: str | Path | None = None, nlp=None, **options) -> dict:
    """`annotate_corpus` with the annotation on a Ray cluster (`RayEngine`): the same output, resume, checks
    and summary. `nlp`: the pipeline whose records these are (default: the shipped model, or `model_dir`
    loaded on the driver); `options`: those of `annotate_corpus` (batch_size, summary_csv, refresh, …)."""
    from ..pipeline import default_pipeline, load

    check_ray()
    if nlp is None:
        nlp = default_pipeline() if model_dir is None else load(model_dir)
    engine = RayEngine(address, workers, None if model_dir is None else str(model_dir))
    return annotate_corpus(paths, output, nlp=nlp, engine=engine, **options)
