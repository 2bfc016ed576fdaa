"""policy_nlp: what each sentence of a Chinese rule-of-law government report is about.

    >>> import policy_nlp
    >>> doc = policy_nlp.annotate(text)
    >>> for unit in doc.units: print(unit.kind, unit.labels, unit.text)
"""
from .version import __version__
from .api import LABELS, annotate, model_info
from .corpus.batch import annotate_corpus, annotate_dataset
from .corpus.distributed import annotate_corpus_ray
from .corpus.document import AnnotatedDocument, AnnotatedUnit, load_schema
from .errors import PolicyNLPError
from .corpus.inputs import read_document, read_text
from .pipeline import create_pipeline, load, shipped_model_path

__all__ = [
    "LABELS", "annotate", "load", "create_pipeline", "shipped_model_path", "model_info", "AnnotatedDocument",
    "AnnotatedUnit", "load_schema", "PolicyNLPError", "__version__",
    "annotate_corpus", "annotate_corpus_ray", "annotate_dataset", "read_text", "read_document",
]

# Training and evaluation pull in model fitting and `datasets`: imported on first use.
__all__ += ["train", "evaluate", "cross_validate"]
_LAZY = {"train": ("learn.training", "train"), "evaluate": ("learn.evaluation", "evaluate"),
         "cross_validate": ("learn.crossval", "cross_validate")}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
