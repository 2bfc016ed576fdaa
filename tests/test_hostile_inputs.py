"""Hostile inputs: each attack found on the library's inputs, kept as a test.

Model directories, reviewer JSON, tool imports, training files, batch runs and odd text; every test here
would pass the attack through (run code, run script, write outside the output, …) without its fix.
"""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from policy_nlp.errors import ModelError
from policy_nlp.model.persistence import ALLOWED, load_estimator

from test_review_page import browser  # noqa: F401  (headless Chromium, started as the review page test does)


def _exec_chain(marker) -> bytes:
    """A pickle that reaches `exec` through `itemgetter`/`attrgetter` as scikit-learn modules import them,
    via a policy_nlp class's `__init__.__globals__`, and writes `marker`."""
    code = f"open({str(marker)!r}, 'w').write('ran')"
    item, attr = b"csklearn.feature_extraction.text\nitemgetter\n", b"csklearn.feature_selection._base\nattrgetter\n"
    return (item + b"(Vexec\ntR(" + item + b"(V__builtins__\ntR(" + attr
            + b"(V__init__.__globals__\ntR(cpolicy_nlp.model.estimator\nThemeEstimator\ntRtRtR(V"
            + code.encode() + b"\ntR0N.")


def test_a_pickle_through_a_re_exported_attrgetter_runs_nothing(tmp_path):
    marker = tmp_path / "RAN"
    with pytest.raises(ModelError) as info:
        load_estimator(_exec_chain(marker), "model.pkl")
    assert info.value.code == "E009" and "itemgetter" in str(info.value)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["functools.partial", "gzip.GzipFile", "pathlib.Path", "threading.Thread",
                                  "operator.attrgetter", "sklearn.utils.discovery.itemgetter",
                                  "policy_nlp.errors.ModelError", "sklearn.base.BaseEstimator"])
def test_names_outside_the_exact_allow_list_are_refused(name):
    module, attr = name.rsplit(".", 1)
    with pytest.raises(ModelError) as info:
        load_estimator(b"\x80\x04c" + module.encode() + b"\n" + attr.encode() + b"\n.")
    assert info.value.code == "E009"


def test_checking_a_name_imports_nothing():
    """Naming `policy_nlp.__main__` used to import it, which runs the command line and exits the host."""
    code = ("import sys\nfrom policy_nlp.model.persistence import load_estimator\n"
            "try:\n    load_estimator(b'\\x80\\x04cpolicy_nlp.__main__\\nmain\\n.')\n"
            "except Exception as exc:\n    print(type(exc).__name__, 'policy_nlp.__main__' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ModelError False", out.stderr


def test_every_allowed_name_is_defined_where_it_is_named():
    import importlib

    from policy_nlp.model import persistence

    for module, name in ALLOWED:
        obj = getattr(importlib.import_module(module), name)
        assert obj.__module__ == persistence._DEFINED_AS.get(module, module) and obj.__qualname__ == name


def _tokenizer_cfg(model_dir, **changes):
    import json

    path = model_dir / "tokenizer" / "cfg.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**cfg, **changes}), encoding="utf-8")


@pytest.fixture()
def model_copy(tiny_model, tmp_path):
    import shutil

    shutil.copytree(tiny_model, tmp_path / "m")
    return tmp_path / "m"


@pytest.mark.parametrize("where", ["absolute", "relative"])
def test_a_saved_pkuseg_directory_outside_the_model_is_refused(model_copy, tmp_path, where):
    import policy_nlp

    outside = tmp_path / "evil"
    outside.mkdir()
    (outside / "features.pkl").write_bytes(b"not read")
    (outside / "weights.npz").write_bytes(b"x")
    _tokenizer_cfg(model_copy, pkuseg_model=str(outside) if where == "absolute" else "../evil")
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E113" and "evil" in str(info.value)


def test_a_saved_pkuseg_directory_inside_the_model_is_kept(model_copy):
    import policy_nlp

    _tokenizer_cfg(model_copy, pkuseg_model="seg/weights")
    nlp = policy_nlp.load(model_copy, segmenter="char")
    assert nlp.tokenizer.pkuseg_model == str((model_copy / "seg" / "weights").resolve())


# -- the review page: markup in labels and kinds --------------------------------------------------------------
MARKUP_LABEL = "<img src=x onerror=\"document.title='pwned'\">"
MARKUP_KIND = "sentence\" autofocus tabindex=1 onfocus=\"document.title='pwned'"


def _reviewer(label="enforcement", kind="sentence", score=0.7, threshold=0.5) -> dict:
    return {"schema": "policy_nlp.document/v1", "id": "r", "text": "加强行政执法。",
            "model": {"labels": ["enforcement"], "thresholds": {"enforcement": threshold}},
            "units": [{"start": 0, "end": 7, "text": "加强行政执法。", "kind": kind, "section": [],
                       "labels": [label], "scores": {label: score}}]}


@pytest.mark.parametrize("change", [{"label": MARKUP_LABEL}, {"kind": MARKUP_KIND}, {"kind": "sentencee"},
                                    {"score": float("nan")}, {"score": float("inf")}, {"threshold": float("nan")},
                                    {"label": "enforcement plans"}, {"score": True}])
def test_reviewer_json_refuses_markup_unknown_kinds_and_non_finite_scores(change):
    from policy_nlp.corpus.document import AnnotatedDocument
    from policy_nlp.errors import DataError

    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_dict(_reviewer(**change))
    assert info.value.code == "E043"


def _markup_document():
    """A document built in Python, past every check, with markup in a label and in a kind."""
    from policy_nlp.corpus.document import AnnotatedDocument, AnnotatedUnit

    units = [AnnotatedUnit(0, 4, "加强执法", MARKUP_KIND, [], [MARKUP_LABEL], {MARKUP_LABEL: 0.9}),
             AnnotatedUnit(4, 7, "调解。", "sentence", [], ["enforcement"], {"enforcement": 0.8})]
    return AnnotatedDocument("加强执法调解。", units, {"labels": [MARKUP_LABEL, "enforcement"],
                                                   "thresholds": {MARKUP_LABEL: 0.5, "enforcement": 0.5}}, id="r")


def test_the_review_page_escapes_labels_and_kinds_and_allows_only_its_own_script():
    from policy_nlp.corpus.review_page import CSP, _JS, review_html

    page = review_html([_markup_document()])
    assert "<img" not in page and 'sentence" autofocus' not in page and 'sentence&quot; autofocus' in page
    assert f'content="{CSP}"' in page and "script-src 'sha256-" in CSP and "'unsafe-inline'" not in CSP.split(";")[1]
    assert page.count("<script>") == 1 and _JS in page


def test_markup_in_a_label_runs_nothing_in_headless_chromium(browser, tmp_path):
    from policy_nlp.corpus.review_page import review_html

    page = tmp_path / "review.html"
    page.write_text(review_html([_markup_document()]), encoding="utf-8")
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    time.sleep(0.5)  # an onerror or autofocus handler would have run by now
    assert browser.js("document.title") == "r · policy_nlp review"
    assert browser.js("document.querySelectorAll('img').length") == 0
    assert browser.js("document.querySelectorAll('.unit').length") == 2  # the page's own script still runs
    browser.click('.unit[data-i="1"]')
    assert "调解" in browser.js("document.getElementById('panel').innerText")
