import pickle
import zipfile

import numpy as np
import pytest
import srsly

import policy_nlp
from policy_nlp.components import pkuseg_model
from policy_nlp.errors import SegmenterModelError


def _fake_wheel(path):
    features = {"unigram": {"法", "治"}, "bigram": {"法治"}, "feature_to_idx": {"w0=法": 0}, "tag_to_idx": {"B": 0}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkuseg/models/default/features.pkl", pickle.dumps(features))
        with zf.open("pkuseg/models/default/weights.npz", "w") as fh:
            np.savez(fh, w=np.arange(3))
    return path


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_NLP_CACHE", str(tmp_path / "c"))
    assert pkuseg_model.default_model_dir() == tmp_path / "c" / "pkuseg" / "default"


def test_wheel_is_verified_extracted_and_converted(monkeypatch, tmp_path):
    wheel = _fake_wheel(tmp_path / "fake.whl")
    target = tmp_path / "cache" / "default"
    with pytest.raises(SegmenterModelError) as info:
        pkuseg_model.install_from_wheel(wheel, target)
    assert info.value.code == "E011" and not target.exists()
    monkeypatch.setattr(pkuseg_model, "WHEEL_SHA256", pkuseg_model.sha256_file(wheel))
    seen = []
    out = pkuseg_model.install_from_wheel(wheel, target, progress=lambda name, done, total: seen.append(name))
    assert out == target and pkuseg_model.is_model_dir(target)
    assert sorted(p.name for p in target.iterdir()) == ["SOURCE", "features.msgpack", "weights.npz"]
    data = srsly.read_msgpack(target / "features.msgpack")
    assert data["unigram"] == ["治", "法"] and data["bigram"] == ["法治"] and data["tag_to_idx"] == {"B": 0}
    assert set(seen) == {"features.pkl", "weights.npz"}


def test_download_uses_the_cache_and_reports_a_failed_fetch(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_NLP_CACHE", str(tmp_path))

    class Failed:
        returncode = 1
        stderr = "ERROR: Could not find a version that satisfies the requirement pkuseg==0.0.25"

    monkeypatch.setattr(pkuseg_model.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(SegmenterModelError) as info:
        pkuseg_model.download(quiet=True)
    assert info.value.code == "E010" and "Could not find a version" in str(info.value)
    target = pkuseg_model.default_model_dir()
    target.mkdir(parents=True)
    (target / "weights.npz").write_bytes(b"x")
    (target / "features.msgpack").write_bytes(b"x")
    assert pkuseg_model.download(quiet=True) == target  # cached: pip is not called


def test_model_references_never_reach_a_model_hub(monkeypatch, tmp_path):
    monkeypatch.setenv("PKUSEG_HOME", str(tmp_path / "pkuseg_home"))
    with pytest.raises(SegmenterModelError) as info:
        pkuseg_model.resolve("medicine")
    assert info.value.code == "E013" and "pkuseg_home" in str(info.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SegmenterModelError) as info:
        pkuseg_model.resolve(str(empty))
    assert info.value.code == "E012"
    named = tmp_path / "pkuseg_home" / "medicine"
    named.mkdir(parents=True)
    (named / "weights.npz").write_bytes(b"x")
    (named / "features.pkl").write_bytes(b"x")
    with pytest.raises(SegmenterModelError) as info:  # a pickle alone is never a model: it is never loaded
        pkuseg_model.resolve(str(named))
    assert info.value.code == "E012" and "never read" in str(info.value)
    (named / "features.msgpack").write_bytes(b"x")
    assert pkuseg_model.resolve("medicine") == str(named)


def test_another_pkuseg_model_directory_is_used_and_saved(pkuseg_nlp, tmp_path, seeds):
    directory = str(pkuseg_model.default_model_dir())  # the same weights, referenced by path
    nlp = policy_nlp.load(pkuseg_model=directory)
    assert nlp.tokenizer.pkuseg_model == directory
    text = seeds["001_29805cf611cff4c1.txt"]
    assert [t.text for t in nlp(text)] == [t.text for t in pkuseg_nlp(text)]
    nlp.to_disk(tmp_path / "m")
    again = policy_nlp.load(tmp_path / "m")
    assert again.tokenizer.pkuseg_model == directory


def test_first_use_says_what_is_fetched_from_where_and_the_offline_route(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("POLICY_NLP_CACHE", str(tmp_path / "cache"))
    fetched = {}

    def fake_fetch(dest, quiet):  # stands in for `pip download`: records how it was asked
        fetched["quiet"] = quiet
        raise SegmenterModelError("E010", model="default", cache=dest, reason="no network in this test")

    monkeypatch.setattr(pkuseg_model, "_fetch_wheel", fake_fetch)
    with pytest.raises(SegmenterModelError):
        pkuseg_model.resolve("default")
    err = capsys.readouterr().err
    assert "pkuseg 0.0.25" in err and "PyPI" in err and "about 50 MB" in err
    assert str(tmp_path / "cache" / "pkuseg" / "default") in err
    assert pkuseg_model.offline_command() in err and "pip download pkuseg==0.0.25" in err
    assert "--segmenter char" in err
    assert fetched == {"quiet": False}  # pip's own progress bar is shown (on stderr)
    assert capsys.readouterr().out == ""
