import sys

import sklearn
import spacy

import policy_nlp
from policy_nlp.versions import library_versions


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
