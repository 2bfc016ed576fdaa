"""The version lives in policy_nlp/version.py alone: the package, its metadata and model fingerprints agree;
the library versions recorded with a model."""
import importlib.metadata
import re
import sys
from pathlib import Path

import sklearn
import spacy

import policy_nlp
from policy_nlp.version import __version__, library_versions


def test_the_package_and_its_metadata_read_version_py():
    assert policy_nlp.__version__ is __version__
    assert importlib.metadata.version("policy_nlp") == __version__


def test_pyproject_has_no_version_of_its_own():
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'(?m)^version\s*=\s*"', pyproject) is None  # no literal version string
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "policy_nlp.version.__version__"}' in pyproject


def test_the_model_libraries_come_first_and_extras_only_when_installed(monkeypatch):
    assert library_versions() == {"policy_nlp": policy_nlp.__version__, "spacy": spacy.__version__,
                                  "scikit-learn": sklearn.__version__}
    import opencc

    assert library_versions("opencc")["opencc"] == opencc.__version__
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    assert "datasets" not in library_versions("opencc", "datasets")


def test_the_theme_model_records_them(tiny_model):
    import json

    cfg = json.loads((tiny_model / "policy_nlp_themes" / "cfg.json").read_text(encoding="utf-8"))
    assert cfg["versions"] == library_versions()
