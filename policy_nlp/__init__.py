"""policy_nlp: what each sentence of a Chinese rule-of-law government report is about.

    >>> import policy_nlp
    >>> doc = policy_nlp.annotate(text)
    >>> for unit in doc.units: print(unit.kind, unit.labels, unit.text)
"""
__version__ = "0.1.0"

from .api import LABELS, annotate, model_info  # noqa: E402
from .document import AnnotatedDocument, AnnotatedUnit, load_schema  # noqa: E402
from .errors import PolicyNLPError  # noqa: E402
from .pipeline import create_pipeline, load, shipped_model_path  # noqa: E402

__all__ = [
    "LABELS", "annotate", "load", "create_pipeline", "shipped_model_path", "model_info", "AnnotatedDocument",
    "AnnotatedUnit", "load_schema", "PolicyNLPError", "__version__",
]
