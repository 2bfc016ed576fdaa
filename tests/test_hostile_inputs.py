"""Hostile inputs: each attack found on the library's inputs, kept as a test.

Model directories, reviewer JSON, tool imports, training files, batch runs and odd text; every test here
would pass the attack through (run code, run script, write outside the output, …) without its fix.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import pytest

from policy_nlp.errors import DataError, ModelError
from policy_nlp.model.persistence import ALLOWED, load_estimator
from policy_nlp.model_dir import record_files

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
    import pickle

    control = tmp_path / "RAN-UNRESTRICTED"
    pickle.loads(_exec_chain(control))  # the payload is real: a plain unpickler runs it
    assert control.read_text() == "ran"
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
        with warnings.catch_warnings():  # numpy.core.* are NumPy's deprecated names of numpy._core.*
            warnings.simplefilter("ignore", DeprecationWarning)
            obj = getattr(importlib.import_module(module), name)
        assert obj.__module__ == persistence._DEFINED_AS.get(module, module) and obj.__qualname__ == name


def _tokenizer_cfg(model_dir, **changes):
    import json

    path = model_dir / "tokenizer" / "cfg.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**cfg, **changes}), encoding="utf-8")
    record_files(model_dir)  # an attacker rewrites the checksums too


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


@pytest.mark.parametrize("value", ["/etc/hostname", "../dict.txt", "fifo"])
def test_a_saved_user_dictionary_must_be_a_file_inside_the_model(model_copy, value):
    import policy_nlp

    if value == "fifo":
        os.mkfifo(model_copy / "fifo")
    _tokenizer_cfg(model_copy, pkuseg_user_dict=value)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    # a FIFO anywhere in the directory is refused (E061) before its settings are read
    assert info.value.code == ("E061" if value == "fifo" else "E113") and value in str(info.value)


def test_a_saved_pkuseg_directory_inside_the_model_is_kept(model_copy):
    import policy_nlp

    _tokenizer_cfg(model_copy, pkuseg_model="seg/weights")
    nlp = policy_nlp.load(model_copy, segmenter="char")
    assert nlp.tokenizer.pkuseg_model == str((model_copy / "seg" / "weights").resolve())


@pytest.mark.parametrize("value", ["fifo", "t2s.json", "s2t", ["t2s"]])
def test_the_saved_opencc_setting_names_a_known_conversion(model_copy, tmp_path, value):
    """`tokenizer/cfg.json` replaces the config's `opencc_config`: a FIFO named there hung the first
    `nlp(text)`, another file was read as OpenCC's configuration."""
    import policy_nlp

    if value == "fifo":
        os.mkfifo(tmp_path / "fifo")
        value = str(tmp_path / "fifo")
    _tokenizer_cfg(model_copy, opencc_config=value)
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        nlp = policy_nlp.load(model_copy, segmenter="char")
        nlp("關於加強行政執法的報告")  # hangs on the FIFO without the check
    assert info.value.code == "E062" and "t2s, tw2s, hk2s" in str(info.value)
    assert time.perf_counter() - start < 30


def test_opencc_is_handed_its_own_configuration_not_a_file_of_the_working_directory(tmp_path, monkeypatch):
    """Given `t2s`, OpenCC opened `t2s.json` of the working directory when there was one."""
    from policy_nlp.components import normalize as norm_mod

    (tmp_path / "t2s.json").write_text('{"name": "not the packaged one", "conversion_chain": []}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    norm_mod._converter.cache_clear()
    try:
        assert norm_mod.to_simplified("關於加強行政執法", "t2s")[0] == "关于加强行政执法"
    finally:
        norm_mod._converter.cache_clear()
    with pytest.raises(ModelError) as info:
        norm_mod.to_simplified("關於", "../t2s")
    assert info.value.code == "E062"


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


@pytest.mark.parametrize("edit, detail", [
    (lambda d: d.update(metadata={"year": {"value": float("nan")}}), "not finite"),
    (lambda d: d["units"][0].update(explanations={"enforcement": {"logit": float("inf"), "features": []}}),
     "not finite"),
    (lambda d: d.update(id=5), "'id' must be a string"),
    (lambda d: d["units"][0].update(indicators="x"), "'indicators' must be a list of objects"),
    (lambda d: d["units"][0].update(section=[1]), "'section' must be a list of strings"),
    (lambda d: d["units"][0].update(explanations=[1]), "'explanations' must be an object"),
])
def test_reviewer_json_refuses_non_finite_numbers_anywhere_and_fields_of_the_wrong_type(edit, detail):
    from policy_nlp.corpus.document import AnnotatedDocument

    data = _reviewer()
    edit(data)
    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_dict(data)
    assert info.value.code == "E043" and detail in str(info.value)


def test_a_nan_in_a_reviewer_file_stops_compare_before_any_page_is_written(tmp_path):
    import json

    from policy_nlp.corpus.compare_page import write_compare
    from policy_nlp.corpus.jsonio import script_json

    doc = dict(_reviewer(), metadata={"year": {"value": float("nan")}})
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")  # a bare NaN, as Python writes it
    with pytest.raises(DataError) as info:
        write_compare([tmp_path / "r.json"], tmp_path / "compare.html")
    assert info.value.code == "E043" and "metadata/year/value" in str(info.value)
    assert not (tmp_path / "compare.html").exists()
    with pytest.raises(ValueError):
        script_json({"year": float("nan")})  # a page never gets a bare NaN


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


# -- imports: offsets, overlaps, labels, kinds, paths ---------------------------------------------------------
REPORT = "一、总体情况\n加强行政执法。推进矛盾纠纷化解。优化营商环境。\n"


@pytest.fixture()
def reviewed_dir(tmp_path):
    """A reviewer JSON file of REPORT, as annotate would write it, in `annotated/`."""
    import json

    from policy_nlp.corpus.review_formats import text_sha256

    units, pos = [], 0
    for piece, kind in (("一、总体情况", "heading"), ("加强行政执法。", "sentence"), ("推进矛盾纠纷化解。", "sentence"),
                        ("优化营商环境。", "sentence")):
        pos = REPORT.index(piece, pos)
        units.append({"start": pos, "end": pos + len(piece), "text": piece, "kind": kind, "section": [],
                      "labels": [], "scores": {"enforcement": 0.1}})
    folder = tmp_path / "annotated"
    folder.mkdir()
    doc = {"schema": "policy_nlp.document/v1", "id": "r.txt", "text": REPORT,
           "model": {"labels": ["enforcement", "dispute_resolution"], "thresholds": {"enforcement": 0.5}},
           "units": units}
    (folder / "r.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder, text_sha256(REPORT)


def _task(sha, start, end, labels=("enforcement",), kind="sentence", doc="r.txt", n=1):
    text = REPORT[start:end] if start >= 0 else REPORT[start:end or None]
    return {"id": n, "data": {"text": text, "doc": doc, "doc_sha256": sha, "start": start, "end": end, "kind": kind},
            "annotations": [{"id": n, "was_cancelled": False, "result": [
                {"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": list(labels)}}]}]}


def _import(tmp_path, folder, tasks):
    import json

    from policy_nlp.corpus.review import import_reviews

    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return import_reviews([export], tmp_path / "out", documents=[folder])


@pytest.mark.parametrize("start,end,change", [
    (-8, -1, {}), (14, 7, {}), (7, 7, {}), (7, 14, {"labels": ("enforcment",)}),
    (7, 14, {"labels": ("<img src=x onerror=alert(1)>",)}), (7, 14, {"kind": "paragraph"}),
    (7, 14, {"doc": "../../etc/passwd"}), (7, 14, {"doc": "/etc/passwd"}), (7, 14, {"doc": "a/../../r.txt"})])
def test_a_bad_task_is_refused_with_its_index_and_nothing_is_written(tmp_path, reviewed_dir, start, end, change):
    from policy_nlp.errors import DataError

    folder, sha = reviewed_dir
    good = _task(sha, 0, 6, labels=(), kind="heading", n=1)
    with pytest.raises(DataError) as info:
        _import(tmp_path, folder, [good, _task(sha, start, end, n=2, **change)])
    assert info.value.code in ("E133", "E031") and "task 2" in str(info.value)
    assert not (tmp_path / "out").exists()


def _min_record(task: dict, themes) -> dict:
    return {"id": task["id"], "themes": themes, **task["data"]}


@pytest.mark.parametrize("spoil, detail", [
    (lambda t: t["annotations"][0]["result"][0].update(value=["plans"]), "choices are not a list"),
    (lambda t: t.update(annotations=5), "'annotations' is not a list"),
    (lambda t: _min_record(t, 5), "'themes' is not a list"),
])
def test_a_label_studio_task_with_fields_of_the_wrong_type_is_a_coded_error(tmp_path, reviewed_dir, spoil, detail):
    folder, sha = reviewed_dir
    task = _task(sha, 7, 14, n=2)
    task = spoil(task) or task
    with pytest.raises(DataError) as info:
        _import(tmp_path, folder, [task])
    assert info.value.code == "E133" and "task 2" in str(info.value) and detail in str(info.value)
    assert not (tmp_path / "out").exists()


def test_overlapping_reviewed_spans_are_refused_not_silently_dropped(tmp_path, reviewed_dir):
    from policy_nlp.errors import DataError

    folder, sha = reviewed_dir
    tasks = [_task(sha, 7, 14 + k, n=k + 1) for k in range(3)]  # (7, 14), (7, 15), (7, 16)
    with pytest.raises(DataError) as info:
        _import(tmp_path, folder, tasks)
    assert info.value.code == "E114" and "task 2" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_a_clean_import_still_writes_its_reviews(tmp_path, reviewed_dir):
    import json

    folder, sha = reviewed_dir
    summary = _import(tmp_path, folder, [_task(sha, 7, 14), _task(sha, 14, 23, labels=("dispute_resolution",), n=2)])
    assert summary["reviewed"] == 2
    out = json.loads((tmp_path / "out" / "r.json").read_text(encoding="utf-8"))
    assert [u["labels"] for u in out["units"] if u.get("reviewed")] == [["enforcement"], ["dispute_resolution"]]


def test_training_refuses_a_doc_outside_the_report_folders(tmp_path):
    import json

    from policy_nlp.errors import DataError
    from policy_nlp.learn.labelled_data import load_dataset

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-CONTENT", encoding="utf-8")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    data = tmp_path / "units.jsonl"
    data.write_text(json.dumps({"doc": "../secret.txt", "start": 0, "end": 3, "text": "abc", "kind": "sentence",
                                "labels": ["enforcement"]}) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset([data], seeds_dir=seeds)
    assert info.value.code == "E037" and "relative path inside" in str(info.value)
    assert "TOPSECRET" not in str(info.value)


def test_merging_a_document_of_many_units_is_linear():
    from policy_nlp.corpus.document import AnnotatedUnit
    from policy_nlp.learn.labelled_data import _merge

    def batch(n, source):
        return [AnnotatedUnit(3 * k, 3 * k + 2, "ab", "sentence", labels=["plans"], reviewed=True, doc="d.txt",
                              source=source, line=k) for k in range(n)]

    start = time.perf_counter()
    merged = _merge([batch(20_000, "a"), batch(20_000, "b")], report := [])
    took = time.perf_counter() - start
    assert len(merged) == 20_000 and all(r.source == "b" for r in merged) and len(report) == 20_000
    assert took < 2.0, took  # quadratic: 40 s
    shifted = [AnnotatedUnit(3 * k + 1, 3 * k + 3, "bc", "sentence", reviewed=True, doc="d.txt", source="c", line=k)
               for k in range(0, 20_000, 2)]
    merged = _merge([batch(20_000, "a"), shifted], [])
    assert len(merged) == 20_000 and [r.source for r in merged[:4]] == ["c", "a", "c", "a"]
    assert [(r.start, r.end) for r in merged[:2]] == [(1, 3), (3, 5)]


# -- model config and rules -----------------------------------------------------------------------------------
def test_a_catastrophic_regex_in_a_saved_rules_file_is_refused_when_the_model_loads(model_copy):
    import json

    import policy_nlp
    from policy_nlp.pipeline import STRUCTURE

    rules_file = model_copy / STRUCTURE / "rules.json"
    rules = json.loads(rules_file.read_text(encoding="utf-8"))
    rules["heading_patterns"].insert(0, {"level": 1, "pattern": "^(\\s*[一二三]+\\s*)*、$"})
    rules_file.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    record_files(model_copy)
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        nlp = policy_nlp.load(model_copy, segmenter="char")
        nlp("一二三一二三一二三一二三一二三一二三一二三一二三一二三一二三一二三 ")  # hangs without the check
    assert info.value.code == "E008" and "backtrack" in str(info.value)
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("key", ["back_matter_pattern", "inline_chrome_patterns", "title_pattern"])
def test_every_pattern_of_a_saved_rules_file_is_checked_for_backtracking(model_copy, key):
    text = "关于2023年法治政府建设情况的报告\n一、主要举措\n" + "a" * 34 + "!\n"
    _refused_rules_pattern(model_copy, key, "(?:a+)+$", text)


def _refused_rules_pattern(model_copy, key: str, pattern: str, text: str) -> None:
    """A saved rules file given `pattern` at `key` (added to a list key) is refused (E008) when the model loads,
    before `text`, on which the pattern would backtrack for ever, is annotated."""
    import json

    import policy_nlp
    from policy_nlp.pipeline import STRUCTURE

    rules_file = model_copy / STRUCTURE / "rules.json"
    rules = json.loads(rules_file.read_text(encoding="utf-8"))
    rules[key] = rules[key] + [pattern] if isinstance(rules[key], list) else pattern
    rules_file.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    record_files(model_copy)
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        nlp = policy_nlp.load(model_copy, segmenter="char")
        nlp(text)  # hangs without the check
    assert info.value.code == "E008" and "backtrack" in str(info.value)
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("pattern", ["^(?:a?a?b?)+$", "^(x)?(?:(?(1)a|aa))+$"])
def test_optional_parts_and_conditional_groups_under_a_repeat_are_refused(model_copy, pattern):
    """`?` inside a repeat and `(?(1)…|…)` choose like nested repeats and alternatives: a line of 18 `a` and a
    `c` took a second on the first pattern, twice as long per character more."""
    text = "关于2023年法治政府建设情况的报告\n" + "a" * 30 + "c\n"
    _refused_rules_pattern(model_copy, "date_line_pattern", pattern, text)


def test_a_catastrophic_regex_in_a_saved_indicator_rule_is_refused(model_copy):
    import json

    import policy_nlp
    from policy_nlp.pipeline import INDICATORS

    vocabulary_file = model_copy / INDICATORS / "vocabulary.json"
    vocabulary = json.loads(vocabulary_file.read_text(encoding="utf-8"))
    vocabulary["rules"]["target_cue"] = "(?:[0-9]+)+%"
    vocabulary_file.write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    record_files(model_copy)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E180" and "target_cue" in str(info.value) and "backtrack" in str(info.value)


def test_every_file_of_a_trained_model_is_covered_by_a_hash(model_copy):
    import json

    import policy_nlp
    from policy_nlp.model_dir import CHECKSUMS
    from policy_nlp.pipeline import INDICATORS, STRUCTURE

    recorded = json.loads((model_copy / CHECKSUMS).read_text(encoding="utf-8"))["files"]
    for name in ("config.cfg", "meta.json", "tokenizer/cfg.json", f"{STRUCTURE}/rules.json",
                 f"{INDICATORS}/vocabulary.json", "policy_nlp_themes/model.pkl"):
        assert name in recorded
    vocabulary = model_copy / INDICATORS / "vocabulary.json"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8").replace("件", "x", 1), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E115" and "vocabulary.json was changed" in str(info.value)


@pytest.mark.parametrize("name", ["/etc/hostname", "../outside.txt", "./config.cfg"])
def test_checksums_may_name_only_files_inside_the_model(model_copy, tmp_path, name):
    """`path / "/etc/hostname"` is /etc/hostname: the file was read and hashed."""
    import json

    import policy_nlp
    from policy_nlp.model_dir import CHECKSUMS
    from policy_nlp.components.pkuseg_model import sha256_file

    (tmp_path / "outside.txt").write_text("outside", encoding="utf-8")
    checksums = json.loads((model_copy / CHECKSUMS).read_text(encoding="utf-8"))
    target = (model_copy / name).resolve()
    checksums["files"][name] = sha256_file(target) if target.is_file() else "0" * 64
    (model_copy / CHECKSUMS).write_text(json.dumps(checksums), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E115" and "not a file inside the directory" in str(info.value)


def _edit_config(model_dir, old: str, new: str) -> None:
    config = model_dir / "config.cfg"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    record_files(model_dir)


@pytest.mark.parametrize("old, new, detail", [
    ('[components.policy_nlp_indicators.vocabulary]\n@misc = "policy_nlp.indicator_vocabulary.v2"\nextra_path = ""',
     '[components.policy_nlp_indicators.vocabulary]\n@readers = "srsly.read_json.v1"\npath = "/etc/hostname"',
     "srsly"),
    ('extra_path = ""', 'extra_path = "/dev/zero"', "not a file inside"),
    ('extra_path = ""', 'extra_path = "../elsewhere.json"', "not a file inside"),
    ('factory = "policy_nlp_indicators"', 'source = "/tmp/other_model"', "another pipeline"),
    ('pkuseg_model = "default"\npkuseg_user_dict', 'pkuseg_model = "/tmp/evil"\npkuseg_user_dict', "E113"),
])
def test_a_model_config_names_only_own_functions_and_inner_paths(model_copy, old, new, detail):
    import policy_nlp

    _edit_config(model_copy, old, new)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code in ("E116", "E113") and detail in str(info.value)


def test_a_component_factory_of_another_package_is_refused(model_copy):
    import policy_nlp
    from spacy.language import Language

    if "hostile_test_factory" not in Language.factories:
        Language.factory("hostile_test_factory", func=lambda nlp, name: (lambda doc: doc))
    _edit_config(model_copy, 'factory = "policy_nlp_indicators"', 'factory = "hostile_test_factory"')
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and "hostile_test_factory" in str(info.value)


def test_a_fifo_named_in_a_model_config_does_not_hang_the_load(model_copy, tmp_path):
    """The FIFO is outside the directory (one inside is E061, `check_tree`): the config check refuses it."""
    import policy_nlp

    os.mkfifo(tmp_path / "pipe.json")
    _edit_config(model_copy, 'extra_path = ""', f'extra_path = "{tmp_path / "pipe.json"}"')
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and "pipe.json" in str(info.value) and "not a file inside" in str(info.value)


# -- odd text and deep JSON -----------------------------------------------------------------------------------
DEEP = "[" * 100_000 + "]" * 100_000


def test_a_lone_surrogate_is_a_coded_error(char_nlp):
    import policy_nlp
    from policy_nlp.errors import DataError

    with pytest.raises(DataError) as info:
        policy_nlp.annotate("执法\ud800", nlp=char_nlp)
    assert info.value.code == "E117" and "U+D800" in str(info.value) and "character 2" in str(info.value)


def test_deeply_nested_json_is_a_coded_error_at_every_reader(tmp_path):
    import json as _json

    from policy_nlp.corpus.document import AnnotatedDocument
    from policy_nlp.corpus.review_formats import read_review_file
    from policy_nlp.errors import DataError
    from policy_nlp.learn.labelled_data import load_dataset

    deep_doc = '{"schema": "policy_nlp.document/v1", "text": "x", "units": [], "model": ' + DEEP + "}"
    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_json(deep_doc)
    assert info.value.code == "E118"
    export = tmp_path / "export.json"
    export.write_text("[" + DEEP + "]", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_review_file(export)
    assert info.value.code == "E118" and "export.json" in str(info.value)
    units = tmp_path / "units.jsonl"
    units.write_text(_json.dumps({"doc": "a.txt"})[:-1] + ', "x": ' + DEEP + "}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset([units])
    assert info.value.code == "E118"


@pytest.mark.parametrize("name, content, code", [
    ("checksums.json", '{"files": ' + DEEP + "}", "E115"),
    ("policy_nlp_report_structure/rules.json", DEEP, "E008"),
    ("policy_nlp_report_structure/rules.json", '{"version": 1' + "0" * 5000 + "}", "E008"),
    ("policy_nlp_indicators/vocabulary.json", DEEP, "E090"),
    ("policy_nlp_themes/cfg.json", DEEP, "E015"),
    ("tokenizer/cfg.json", '{"segmenter": ', "E015"),
    ("tokenizer/cfg.json", "[1]", "E015"),
])
def test_a_model_json_file_that_cannot_be_read_is_a_coded_error_naming_it(model_copy, name, content, code):
    import policy_nlp

    (model_copy / name).write_text(content, encoding="utf-8")
    if name != "checksums.json":
        record_files(model_copy)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == code and name.split("/")[-1] in str(info.value)


def test_an_integer_longer_than_int_converts_is_a_coded_error(tmp_path):
    import json as _json

    from policy_nlp.corpus.review_page import read_documents
    from policy_nlp.learn.labelled_data import load_dataset

    huge = "1" + "0" * 5000
    doc = _json.dumps(_reviewer()).replace('"start": 0', f'"start": {huge}')
    for name, content, code in (("doc.json", doc, "E161"), ("docs.jsonl", doc + "\n", "E161"),
                                ("units.jsonl", '{"doc": "a.txt", "start": ' + huge + "}\n", "E030")):
        (tmp_path / name).write_text(content, encoding="utf-8")
        with pytest.raises(DataError) as info:
            (load_dataset if name == "units.jsonl" else read_documents)([tmp_path / name])
        assert info.value.code == code and name in str(info.value) and "digits" in str(info.value)


@pytest.mark.parametrize("bad", ["huge", "deep"])
def test_a_jsonl_output_or_input_line_too_long_or_deep_for_json_is_a_coded_error(tmp_path, bad):
    """Annotate's JSONL output (tables, review, resumed runs) and JSONL input tables were read with plain
    `json.loads`: a 5,000-digit integer was a ValueError, deep nesting a RecursionError."""
    import json as _json

    from policy_nlp.corpus.batch import completed_ids
    from policy_nlp.corpus.inputs import iter_inputs
    from policy_nlp.corpus.review import read_documents
    from policy_nlp.corpus.tables import write_tables

    value = "1" + "0" * 5000 if bad == "huge" else DEEP
    good = _json.dumps({**_reviewer(), "id": "a"}) + "\n"
    line = _json.dumps({**_reviewer(), "id": "b"})[:-1] + ', "x": ' + value + "}\n"
    out = tmp_path / "out.jsonl"
    out.write_text(line + good, encoding="utf-8")
    code = "E030" if bad == "huge" else "E118"
    for read in (lambda: write_tables([out], summary=tmp_path / "s.csv"), lambda: read_documents([out])):
        with pytest.raises(DataError) as info:
            read()
        assert info.value.code == code and "out.jsonl" in str(info.value)
    with pytest.raises(DataError) as info:
        completed_ids(out)  # a damaged record in the middle of a resumed output
    assert info.value.code == "E058" and "out.jsonl:1" in str(info.value)
    table = tmp_path / "texts.jsonl"
    table.write_text('{"text": "加强行政执法。", "n": ' + value + "}\n", encoding="utf-8")
    [row] = list(iter_inputs([table]))
    assert row.text is None and "E111" in row.error


# -- outputs that cannot be written: checked before the work starts --------------------------------------------
@pytest.fixture()
def blocked(tmp_path):
    """A path whose folder is a regular file: nothing can be written there, even as root."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    return tmp_path / "file" / "out"


@pytest.mark.parametrize("command", [
    ["review", "{seed}", "-o", "{blocked}.html", "--segmenter", "char"],
    ["export", "{seed}", "--format", "doccano", "-o", "{blocked}.jsonl", "--segmenter", "char"],
    ["import", "{export}", "--documents", "{seed}", "-o", "{blocked}"],
    ["evaluate", "--data", "{units}", "--output", "{blocked}.json"],
    ["indicators", "{seed}", "-o", "{blocked}.csv"],
    ["suggest", "--corpus", "{seed}", "-o", "{blocked}.json", "-n", "3"],
    ["annotate", "{seed}", "-o", "{blocked}.jsonl"], ["annotate", "{seed}", "-o", "{blocked}"],
    ["annotate", "{seed}", "-o", "{blocked}.json"],
])
def test_an_unwritable_output_stops_every_command_before_its_work(command, blocked, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from conftest import SEED_NAMES, SEED_UNITS, SEEDS
    from policy_nlp.cli import app

    export = tmp_path / "export.json"
    export.write_text("[]", encoding="utf-8")
    fields = {"seed": str(SEEDS / SEED_NAMES[0]), "blocked": str(blocked), "export": str(export),
              "units": str(SEED_UNITS)}
    import policy_nlp.pipeline

    monkeypatch.setattr(policy_nlp.pipeline, "load", lambda *a, **k: pytest.fail("the work started"))
    result = CliRunner().invoke(app, [part.format(**fields) for part in command])
    assert result.exit_code == 2 and "E103" in result.output and "not a directory" in result.output, result.output


# -- batch runs: locks, full disks, unreadable folders, stable names ----------------------------------------------
@pytest.fixture()
def reports(tmp_path):
    """Two seed reports in `reports/`, one of them in a subfolder, and a same-named one in `more/`."""
    from conftest import SEED_NAMES, seed_text

    (tmp_path / "reports" / "2023").mkdir(parents=True)
    (tmp_path / "more").mkdir()
    (tmp_path / "reports" / "r.txt").write_text(seed_text(SEED_NAMES[0])[:600], encoding="utf-8")
    (tmp_path / "reports" / "2023" / "r.txt").write_text(seed_text(SEED_NAMES[1])[:600], encoding="utf-8")
    (tmp_path / "more" / "r.txt").write_text(seed_text(SEED_NAMES[2])[:600], encoding="utf-8")
    return tmp_path


def _annotate(*args):
    from typer.testing import CliRunner

    from policy_nlp.cli import app

    return CliRunner().invoke(app, ["annotate", *map(str, args), "--segmenter", "char"])


@pytest.mark.parametrize("output", ["out.jsonl", "out"])
def test_a_second_batch_run_on_the_same_output_stops_with_e119(reports, output):
    from pathlib import Path

    from policy_nlp.corpus.outputs import OutLock

    target = reports / output
    with OutLock(Path(target), "E119"):  # the first run, still writing
        result = _annotate(reports / "reports", "-o", target)
    assert result.exit_code == 2 and "E119" in result.output and str(os.getpid()) in result.output
    assert not Path(target).exists()


def test_two_batch_runs_started_at_once_write_every_record_once(tmp_path):
    import json

    from conftest import SEED_NAMES, seed_text

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for k in range(60):  # enough work for the two runs to overlap
        (corpus / f"r{k:02d}.txt").write_text(seed_text(SEED_NAMES[k % 5])[:2000], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "policy_nlp", "annotate", str(corpus), "-o", str(out), "--segmenter", "char",
           "--no-progress"]
    runs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = [(p.wait(timeout=600), p.stderr.read()) for p in runs]
    for p in runs:
        p.stderr.close()
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(set(ids)) == 60
    assert sorted(code for code, _ in codes) in ([0, 0], [0, 2])  # the second stops (E119) or finds all done
    assert all("E119" in err for code, err in codes if code == 2)


@pytest.mark.parametrize("mode", ["directory", "file", "update"])
def test_a_full_disk_exits_2_and_leaves_no_temporary_file(reports, monkeypatch, mode):
    import errno
    from pathlib import Path

    out = reports / "out"
    if mode == "update":  # reviewer JSON to bring up to date, in place: its scores are stale
        import json

        assert _annotate(reports / "reports", "-o", out).exit_code == 0
        doc = json.loads((out / "r.json").read_text(encoding="utf-8"))
        doc["units"][0]["scores"] = {label: 0.0 for label in doc["units"][0]["scores"]}
        (out / "r.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.endswith(".json.tmp"):
            real(self, "{", encoding="utf-8")  # a part was written before the disk filled up
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    args = {"directory": (reports / "reports", "-o", out), "file": (reports / "reports" / "r.txt", "-o", out / "r.json"),
            "update": ("--update", out)}[mode]
    result = _annotate(*args)
    assert result.exit_code == 2 and "E103" in result.output and "No space left" in result.output
    assert not out.exists() or list(out.glob("*.tmp")) == []


def test_output_names_come_from_the_relative_path_not_the_order(reports):
    from policy_nlp.corpus.batch import output_names

    alone = output_names([reports / "reports"])
    assert sorted(alone.values()) == ["2023__r", "r"]
    with_more = output_names([reports / "more", reports / "reports"])
    assert {k: v for k, v in with_more.items() if k in alone} == alone
    result = _annotate(reports / "reports", reports / "more", "-o", reports / "out")
    assert result.exit_code == 1, result.output  # an input refused: the run did not write all it was asked to
    assert sorted(p.name for p in (reports / "out").iterdir()) == ["2023__r.json", "r.json"]
    assert "E120" in result.output and "more" in result.output  # more/r.txt claims r.json too: refused
    assert "1 input(s) not written" in result.output


def test_an_unreadable_folder_is_an_error_record(reports, monkeypatch):
    import errno
    import json

    real = os.scandir
    blocked = str(reports / "reports" / "2023")

    def scandir(path="."):
        if str(path) == blocked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = _annotate(reports / "reports", "-o", reports / "out.jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (reports / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    errors = [r for r in records if "error" in r]
    assert len(records) == 2 and len(errors) == 1
    assert errors[0]["id"].endswith("2023") and "E121" in errors[0]["error"] and "Permission denied" in errors[0]["error"]


@pytest.mark.parametrize("change", [{"scores": {"enforcement": float("nan")}}, {"kind": "<b>"},
                                    {"labels": ["<img src=x onerror=alert(1)>"], "reviewed": True}])
def test_training_refuses_a_reviewer_file_with_markup_or_nan(tmp_path, change):
    import json

    from policy_nlp.errors import DataError
    from policy_nlp.learn.labelled_data import load_dataset

    doc = _reviewer()
    doc["units"][0].update(change)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # json writes NaN as NaN
    with pytest.raises(DataError) as info:
        load_dataset([path])
    assert info.value.code == "E037"


def test_a_review_page_of_deeply_nested_jsonl_is_a_coded_error(tmp_path):
    from policy_nlp.corpus.review_page import read_documents
    from policy_nlp.errors import DataError

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(DEEP + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_documents([corpus])
    assert info.value.code == "E118"


@pytest.mark.parametrize("extra", [{"warnings": [{"code": 1, "message": "m"}]}, {"warnings": "W001"},
                                   {"metadata": ["南山区"]}, {"source": "x.html"}])
def test_reviewer_json_with_malformed_metadata_source_or_warnings_is_refused(extra):
    from policy_nlp.corpus.document import AnnotatedDocument

    data = {"schema": "policy_nlp.document/v1", "text": "执法。", "model": {}, "units": [], **extra}
    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_dict(data)
    assert info.value.code == "E043"


_VOCABULARY = '[components.policy_nlp_indicators.vocabulary]\n@misc = "policy_nlp.indicator_vocabulary.v2"\nextra_path = ""'
_INDICATORS = 'factory = "policy_nlp_indicators"'


@pytest.mark.parametrize("edits, detail", [
    # a section reference: the reader sits in a section of its own, which spaCy resolves through the reference
    ([(_VOCABULARY, '[evil]\n\n[evil.v]\n@readers = "srsly.read_json.v1"\npath = "/etc/hostname"'),
      (_INDICATORS, _INDICATORS + "\nvocabulary = ${evil.v}")], "refers to ${evil.v}"),
    # a positional argument of a function of our own: the FIFO (outside the directory) would hang the load
    ([(_VOCABULARY, _VOCABULARY + '\n\n[components.policy_nlp_themes.*]\nx = "{tmp}/fifo"')],
     "[components.policy_nlp_themes.*] passes positional arguments"),
    # another pipeline loaded with plain spacy.load, none of its files checked
    ([("after_creation = null\n", ""), ("[nlp.tokenizer]", '[nlp.after_creation]\n@callbacks = '
      '"spacy.copy_from_base_model.v1"\ntokenizer = "{tmp}"\nvocab = null\n\n[nlp.tokenizer]')],
     "spacy.copy_from_base_model.v1"),
    # [training] is walked too, though only `spacy train` resolves it
    ([('@loggers = "spacy.ConsoleLogger.v1"', '@loggers = "spacy.ClearMLLogger.v1"')], "spacy.ClearMLLogger.v1"),
    ([("path = ${paths.train}", 'path = "/etc/hostname"')], "given a string"),
    ([('extra_path = ""', 'extra_path = ${corpora.dev}')], "refers to ${corpora.dev}"),
    ([(_VOCABULARY, _VOCABULARY.replace('extra_path = ""', "")
       + "\n\n[components.policy_nlp_indicators.vocabulary.extra_path]\nx = 1")], "given a table"),
    ([('opencc_config = "t2s"', 'opencc_config = "../../../tmp/t2s"')], "OpenCC"),
    ([('opencc_config = "t2s"', 'opencc_config = "x2s"')], "OpenCC configuration (t2s, tw2s, hk2s)"),
])
def test_every_section_of_a_model_config_names_only_allowed_functions(model_copy, tmp_path, edits, detail):
    import policy_nlp

    os.mkfifo(tmp_path / "fifo")
    for old, new in edits:
        _edit_config(model_copy, old, new.replace("{tmp}", str(tmp_path)))
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and detail in str(info.value)
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("where", ["components", "pipeline", "disabled"])
def test_a_component_named_by_a_path_is_refused(model_copy, tmp_path, where):
    """spaCy reads a component's files from `path / name`: an absolute name reads them from anywhere."""
    import shutil

    import policy_nlp
    from policy_nlp.pipeline import STRUCTURE

    outside = tmp_path / "outside_comp"
    shutil.copytree(model_copy / STRUCTURE, outside)
    if where != "disabled":
        _edit_config(model_copy, f'"{STRUCTURE}", "policy_nlp_themes"', f'"{outside}", "policy_nlp_themes"')
        _edit_config(model_copy, f"[components.{STRUCTURE}", f"[components.{outside}")
    if where == "pipeline":  # the [components] key left as it was: the pipeline entry alone names the path
        _edit_config(model_copy, f"[components.{outside}", f"[components.{STRUCTURE}")
    if where == "disabled":
        _edit_config(model_copy, "disabled = []", f'disabled = ["{outside}"]')
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and "is not a bare name" in str(info.value)


def test_references_other_than_paths_and_system_are_refused_before_they_are_expanded(model_copy):
    """Seven sections each repeating the one before eight times took 9 s to interpolate, 8 times more per
    section; spaCy writes references to [paths] and [system] only."""
    import policy_nlp

    chain = "".join(f'\n[l{i}]\nv = "' + f"${{l{i - 1}.v}}" * 8 + '"\n' for i in range(1, 9))
    _edit_config(model_copy, "[nlp]", '[l0]\nv = "xxxxxxxx"\n' + chain + "\n[nlp]")
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and "refers to ${l0.v}" in str(info.value)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("old, new, detail", [
    ('[paths]\ntrain = null', '[paths]\ntrain = "${system.seed}"', "refers to ${system.seed}"),
    ("explain_top = 0", "explain_top = 0\nbogus = 1", "unexpected argument: 'bogus'"),
    ("explain_top = 0", 'explain_top = "x"', "explain_top"),
    ('pipeline = ["policy_nlp_report_structure"', 'pipeline = ["nothere"', "E956"),
    # spaCy's own tokenizer with no argument: `load` passes it the segmenter
    ('"policy_nlp.ChineseTokenizer.v1"\nsegmenter = "pkuseg"\nopencc_config = "t2s"\npkuseg_model = "default"\n'
     'pkuseg_user_dict = "default"', '"spacy.Tokenizer.v1"', "'spacy.Tokenizer.v1' tokenizer -> segmenter"),
    ("extra_chrome_phrases = []", 'extra_chrome_phrases = [{"@readers": "srsly.read_json.v1", "path": "x"}]',
     "a table (a function) in a list"),
    ('@scorers = "policy_nlp.structure_scorer.v1"',
     '@scorers = "policy_nlp.structure_scorer.v1"\n@readers = "srsly.read_json.v1"', "more than one function"),
])
def test_a_config_spacy_would_misread_is_refused(model_copy, old, new, detail):
    import policy_nlp

    _edit_config(model_copy, old, new)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E116" and detail in str(info.value)


def test_a_fifo_at_a_model_file_no_checksum_lists_does_not_hang_the_load(model_copy):
    import policy_nlp
    from policy_nlp.model_dir import CHECKSUMS

    (model_copy / CHECKSUMS).unlink()
    (model_copy / "vocab" / "strings.json").unlink()
    os.mkfifo(model_copy / "vocab" / "strings.json")
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E061" and "vocab/strings.json" in str(info.value)


def test_a_symlink_out_of_the_model_directory_is_refused(model_copy, tmp_path):
    import shutil

    import policy_nlp
    from policy_nlp.pipeline import THEMES

    shutil.move(model_copy / THEMES, tmp_path / "outside")
    (model_copy / THEMES).symlink_to(tmp_path / "outside")
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_copy, segmenter="char")
    assert info.value.code == "E061" and THEMES in str(info.value) and "outside" in str(info.value)
