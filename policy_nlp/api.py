"""The Python API: `annotate(text)` and `annotate(iterable_of_texts)`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language

from .components.unit_table import LABELS  # noqa: F401  (policy_nlp.LABELS)
from .corpus.annotation import (BATCH_CHARS, BATCH_SIZE, BYTES_PER_CHAR, MAX_CHARS, annotate_text,  # noqa: F401
                                batches, check_length, model_info, relaxed_gc)
from .corpus.document import AnnotatedDocument
from .errors import DataError, InputTypeError
from .pipeline import default_pipeline, explain_config


def _check_text(text: Any, max_chars: int | None, segmenter: str | None) -> str:
    if not isinstance(text, str):
        raise InputTypeError("E020", type=type(text).__name__)
    check_length(text, max_chars, segmenter)
    return text


def _checked(texts: Iterable[Any], max_chars: int | None, segmenter: str | None) -> Iterator[str]:
    for text in texts:
        yield _check_text(text, max_chars, segmenter)


def extract_input(data, format: str | None = None):
    """The `Extracted` text of `data` in `format` ('text', 'html', 'docx', 'pdf'): a Path is read as a file
    (its bytes decide the format unless `format` is given), HTML may be str or bytes, Word and PDF are bytes.
    E026 for an unknown format, E027 for a Word or PDF given as str."""
    from pathlib import Path

    from .corpus.formats import FORMATS, Extracted, extract
    from .corpus.inputs import read_document

    if format is not None and format not in FORMATS:
        raise DataError("E026", format=format, known=", ".join(FORMATS))
    if isinstance(data, Path):
        return read_document(data, format)
    if format in ("docx", "pdf") and not isinstance(data, (bytes, bytearray)):
        raise DataError("E027", format=format, type=type(data).__name__)
    if format == "html" and isinstance(data, str):
        from .corpus.html_input import extract_html

        return extract_html(data, "<html>")
    if isinstance(data, (bytes, bytearray)) and format is not None:
        return extract(bytes(data), format, f"<{format}>")
    if not isinstance(data, str):  # one document at a time when a format is given
        raise InputTypeError("E020", type=type(data).__name__)
    return Extracted(data, "text")


def annotate(text, *, nlp: Language | None = None, batch_size: int = BATCH_SIZE, batch_chars: int | None = BATCH_CHARS,
             max_chars: int | None = MAX_CHARS, explain: bool = False, explain_top: int = 8,
             format: str | None = None):
    """Annotate one report (str → AnnotatedDocument) or stream many (iterable of str → iterator).

    `nlp`: a pipeline from `policy_nlp.load()`; by default the shipped model with pkuseg, loaded once.
    `batch_size`, `batch_chars`: a stream goes through the pipeline in batches of at most `batch_size` texts
    and, past a batch's first text, `batch_chars` characters (None: no limit); the documents of a batch are in
    memory together (`BYTES_PER_CHAR`).
    `max_chars`: a longer text raises E102 before any work (memory grows with the length, see
    `BYTES_PER_CHAR`); None lifts the limit.
    `explain`: add to each content unit, per label, the `explain_top` features that moved its score most, the
    intercept and the rest, which add up to the label's logit (`AnnotatedUnit.explanations`).
    `format`: 'html' (str or bytes), 'docx' or 'pdf' (bytes): the text is extracted first and the output's
    `text` is the extracted text (offsets refer to it), its `source` the format and what the file says (title,
    publish date …). A `pathlib.Path` is read as a file of any supported format.
    """
    from pathlib import Path

    _check_batching(batch_size, batch_chars)
    if format is not None or isinstance(text, Path):
        extracted = extract_input(text, format)
        doc = annotate(extracted.text, nlp=nlp, max_chars=max_chars, explain=explain, explain_top=explain_top)
        source = {"format": extracted.format, **extracted.metadata}
        if isinstance(text, Path):
            source = {"file": str(text), **source}
        return doc.add_source(source, extracted.warnings)
    if isinstance(text, str):
        return annotate_text(text, nlp or default_pipeline(), max_chars, explain, explain_top)
    if text is None or isinstance(text, (bytes, bytearray, int, float, dict)) or not isinstance(text, Iterable):
        raise InputTypeError("E020", type=type(text).__name__)
    return _annotate_stream(text, nlp, batch_size, batch_chars, max_chars, explain, explain_top)


def _check_batching(batch_size: Any, batch_chars: Any) -> None:
    """E017 unless `batch_size` is a positive int and `batch_chars` a positive int or None."""
    def positive(n: Any) -> bool:
        return isinstance(n, int) and not isinstance(n, bool) and n >= 1

    if not positive(batch_size) or not (batch_chars is None or positive(batch_chars)):
        raise DataError("E017", batch_size=repr(batch_size), batch_chars=repr(batch_chars))


def _annotate_stream(texts: Iterable[Any], nlp: Language | None, batch_size: int, batch_chars: int | None,
                     max_chars: int | None, explain: bool = False,
                     explain_top: int = 8) -> Iterator[AnnotatedDocument]:
    """One `nlp.pipe` call per batch (`batches`), each with a config of its own (`nlp.pipe` adds its batch
    size to the config it is given); E160 at the first read when the pipeline cannot explain, before any text
    is read. A text that fails its check (E020, E102) is raised after the documents of the texts before it."""
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    segmenter = getattr(nlp.tokenizer, "segmenter", None)
    top = explain_top if explain else 0
    explain_config(nlp, top)  # E160 now, not at the first batch
    with relaxed_gc():  # until the stream ends or is closed (a `for` loop left early closes it)
        for batch in batches(_checked(texts, max_chars, segmenter), batch_size, batch_chars):
            for doc, text in zip(nlp.pipe(batch, batch_size=len(batch), component_cfg=explain_config(nlp, top)),
                                 batch):
                yield AnnotatedDocument.from_doc(doc, info, text=text)
