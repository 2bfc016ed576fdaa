"""The Python API: `annotate(text)` and `annotate(iterable_of_texts)`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language

from .corpus.document import AnnotatedDocument
from .errors import DataError, InputTypeError
from .model.estimator import LABELS
from .pipeline import THEMES, default_pipeline, model_fingerprint

# Peak memory of annotating one document, per input character, on top of the loaded pipeline, rounded up
# from benchmarks/memory.py (1 million characters: char 247, pkuseg 162 bytes per character; linear in the
# length: 200,000 characters give the same per-character figure).
BYTES_PER_CHAR = {"char": 256, "pkuseg": 192}
# The longest document annotated by default (CLI --max-chars, annotate(max_chars=...)): 2 million characters,
# at most about 490 MB on top of the models (char; 370 MB with pkuseg). Reports are 5,000–50,000 characters.
MAX_CHARS = 2_000_000



def model_info(nlp: Language) -> dict[str, Any]:
    """What the reviewer JSON records about the model that produced it."""
    info: dict[str, Any] = {
        "name": f"{nlp.meta.get('lang', 'zh')}_{nlp.meta.get('name', 'pipeline')}",
        "version": str(nlp.meta.get("version", "0.0.0")),
        "sha256": model_fingerprint(nlp),
    }
    trained = (nlp.meta.get("policy_nlp") or {}).get("trained")
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


def _check_text(text: Any, max_chars: int | None, segmenter: str | None) -> str:
    if not isinstance(text, str):
        raise InputTypeError("E020", type=type(text).__name__)
    check_length(text, max_chars, segmenter)
    return text


def _checked(texts: Iterable[Any], max_chars: int | None, segmenter: str | None) -> Iterator[tuple[str, str]]:
    for text in texts:
        yield _check_text(text, max_chars, segmenter), text


def explain_doc(nlp: Language, doc, top: int = 8) -> None:
    """Add the evidence behind every score to a processed `doc` (the themes component's `explain`), so that
    `AnnotatedDocument.from_doc` writes `explanations` per unit. A pipeline without themes raises E160."""
    from .errors import ModelError

    if THEMES not in nlp.pipe_names:
        raise ModelError("E160", components=", ".join(nlp.pipe_names) or "none")
    nlp.get_pipe(THEMES).explain(doc, top=top)


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
        nlp = nlp or default_pipeline()
        check_length(text, max_chars, getattr(nlp.tokenizer, "segmenter", None))
        doc = nlp(text)
        if explain:
            explain_doc(nlp, doc, explain_top)
        return AnnotatedDocument.from_doc(doc, model_info(nlp), text=text)
    if text is None or isinstance(text, (bytes, bytearray, int, float, dict)) or not isinstance(text, Iterable):
        raise InputTypeError("E020", type=type(text).__name__)
    return _annotate_stream(text, nlp, batch_size, max_chars, explain, explain_top)


def _annotate_stream(texts: Iterable[Any], nlp: Language | None, batch_size: int, max_chars: int | None,
                     explain: bool = False, explain_top: int = 8) -> Iterator[AnnotatedDocument]:
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    segmenter = getattr(nlp.tokenizer, "segmenter", None)
    for doc, text in nlp.pipe(_checked(texts, max_chars, segmenter), batch_size=batch_size, as_tuples=True):
        if explain:
            explain_doc(nlp, doc, explain_top)
        yield AnnotatedDocument.from_doc(doc, info, text=text)
