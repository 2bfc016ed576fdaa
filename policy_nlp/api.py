"""The Python API: `annotate(text)` and `annotate(iterable_of_texts)`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language

from .corpus.document import AnnotatedDocument
from .errors import InputTypeError
from .pipeline import THEMES, default_pipeline

LABELS: tuple[str, ...] = ("enforcement", "dispute_resolution", "business_environment", "shortcomings", "plans")


def model_info(nlp: Language) -> dict[str, Any]:
    """What the reviewer JSON records about the model that produced it."""
    info: dict[str, Any] = {
        "name": f"{nlp.meta.get('lang', 'zh')}_{nlp.meta.get('name', 'pipeline')}",
        "version": str(nlp.meta.get("version", "0.0.0")),
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


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise InputTypeError("E020", type=type(text).__name__)
    return text


def _checked(texts: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for text in texts:
        yield _check_text(text), text


def annotate(text, *, nlp: Language | None = None, batch_size: int = 16):
    """Annotate one report (str → AnnotatedDocument) or stream many (iterable of str → iterator).

    `nlp`: a pipeline from `policy_nlp.load()`; by default the shipped model with pkuseg, loaded once.
    """
    if isinstance(text, str):
        nlp = nlp or default_pipeline()
        return AnnotatedDocument.from_doc(nlp(text), model_info(nlp), text=text)
    if text is None or isinstance(text, (bytes, bytearray, int, float, dict)) or not isinstance(text, Iterable):
        raise InputTypeError("E020", type=type(text).__name__)
    return _annotate_stream(text, nlp, batch_size)


def _annotate_stream(texts: Iterable[Any], nlp: Language | None, batch_size: int) -> Iterator[AnnotatedDocument]:
    nlp = nlp or default_pipeline()
    info = model_info(nlp)
    for doc, text in nlp.pipe(_checked(texts), batch_size=batch_size, as_tuples=True):
        yield AnnotatedDocument.from_doc(doc, info, text=text)
