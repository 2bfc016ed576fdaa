"""The library versions recorded with a saved model: the theme model's `cfg.json` (its scikit-learn version
is checked on load, E004) and the trained pipeline's `meta.json`. At the bottom of the package: every layer
can use it."""
from __future__ import annotations

import importlib

MODEL_LIBRARIES = ("policy_nlp", "spacy", "scikit-learn")  # what a theme model depends on
_MODULES = {"policy_nlp": "policy_nlp", "spacy": "spacy", "scikit-learn": "sklearn", "opencc": "opencc",
            "datasets": "datasets"}


def library_versions(*extra: str) -> dict[str, str]:
    """`__version__` of policy_nlp, spaCy and scikit-learn, then of each library of `extra` (names as in
    `_MODULES`) that is installed."""
    versions = {}
    for name in MODEL_LIBRARIES + extra:
        try:
            module = importlib.import_module(_MODULES[name])
        except ImportError:
            continue
        versions[name] = module.__version__
    return versions


__all__ = ["library_versions", "MODEL_LIBRARIES"]
