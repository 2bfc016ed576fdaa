"""The Python API: `annotate(text)` and `annotate(iterable_of_texts)`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language

from .components.unit_table import LABELS  # noqa: F401  (policy_nlp.LABELS)
from .corpus.annotation import (BYTES_PER_CHAR, MAX_CHARS, annotate_text, check_length,  # noqa: F401
                                model_info, relaxed_gc)
from .corpus.document import AnnotatedDocument
from .errors import DataError, InputTypeError
from .pipeline import default_pipeline, explain_config


def _check_text(text: Any, max_chars: int | None, segmenter: str | None) -> str:
    if not isinstance(text, str):
        raise InputTypeError("E020", type=type(text).__name__)
    check_length(text, max_chars, segmenter)
    return text


def _checked(texts: Iterable[Any], max_chars: int | None, segmenter: str | None) -> Iterator[tuple[str, str]]:
    for text in texts:
        yield _check_text(text, max_chars, segmenter), text


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


def annotate(text, *, nlp: Language | None = None, batch_size: int = 16, max_chars: int | None = MAX_CHARS,
             explain: bool = False, explain_top: int = 8, format: str | None = None):
    """Annotate one report (str → AnnotatedDocument) or stream many (iterable of str → iterator).

    `nlp`: a pipeline from `policy_nlp.load()`; by default the shipped model with pkuseg, loaded once.
    `max_chars`: a longer text raises E102 before any work (memory grows with the length, see
    `BYTES_PER_CHAR`); None lifts the limit.
    `explain`: add to each content unit, per label, the `explain_top` features that moved its score most, the
    intercept and the rest, which add up to the label's logit (`AnnotatedUnit.explanations`).
    `format`: 'html' (str or bytes), 'docx' or 'pdf' (bytes): the text is extracted first and the output's
    `text` is the extracted text (offsets refer to it), its `source` the format and what the file says (title,
    publish date …). A `pathlib.Path` is read as a file of any supported format.
    """
    from pathlib import Path

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
    return _annotate_stream(text, nlp, batch_size, max_chars, explain, explain_top)


def _annotate_stream(texts: Iterable[Any], nlp: Language | None, batch_size: int, max_chars: int | None,
                     explain: bool = False, explain_top: int = 8) -> Iterator[AnnotatedDocument]:
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    segmenter = getattr(nlp.tokenizer, "segmenter", None)
    component_cfg = explain_config(nlp, explain_top if explain else 0)
    with relaxed_gc():  # until the stream ends or is closed (a `for` loop left early closes it)
        for doc, text in nlp.pipe(_checked(texts, max_chars, segmenter), batch_size=batch_size, as_tuples=True,
                                  component_cfg=component_cfg):
            yield AnnotatedDocument.from_doc(doc, info, text=text)
