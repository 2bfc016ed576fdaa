"""The package version, read by the layers that record it (model fingerprints, model meta) and by pyproject, and
the library versions recorded with a saved model: the theme model's `cfg.json` (its scikit-learn version is
checked on load, E004) and the trained pipeline's `meta.json`. At the bottom of the package: every layer can use it."""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

MODEL_LIBRARIES = ("policy_nlp", "spacy", "scikit-learn")  # what a theme model depends on
_MODULES = {"spacy": "spacy", "scikit-learn": "sklearn", "opencc": "opencc",
            "datasets": "datasets"}


def library_versions(*extra: str) -> dict[str, str]:
    """`__version__` of policy_nlp, spaCy and scikit-learn, then of each library of `extra` (names as in
    `_MODULES`) that is installed."""
    versions = {}
    for name in MODEL_LIBRARIES + extra:
        if name == "policy_nlp":
            versions[name] = __version__
            continue
        try:
            module = importlib.import_module(_MODULES[name])
        except ImportError:
            continue
        versions[name] = module.__version__
    return versions


