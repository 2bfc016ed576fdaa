"""Hostile inputs: each attack found on the library's inputs, kept as a test.

Model directories, reviewer JSON, tool imports, training files, batch runs and odd text; every test here
would pass the attack through (run code, run script, write outside the output, …) without its fix.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from policy_nlp.errors import ModelError
from policy_nlp.model.persistence import ALLOWED, load_estimator


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
