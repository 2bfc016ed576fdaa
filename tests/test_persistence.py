"""A saved theme model: model.pkl read by an allow-listing unpickler, cfg.json checked against it."""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil

import pytest

import policy_nlp
from policy_nlp.errors import ModelError
from policy_nlp.model.estimator import ThemeEstimator
from policy_nlp.model.persistence import dump_estimator, load_estimator
from policy_nlp.model_dir import record_files
from policy_nlp.pipeline import THEMES


@pytest.fixture()
def saved(tiny_model, tmp_path):
    out = tmp_path / "m"
    shutil.copytree(tiny_model, out)
    return out


def _cfg_path(model_dir):
    return model_dir / THEMES / "cfg.json"


def _edit_cfg(model_dir, change):
    path = _cfg_path(model_dir)
    cfg = json.loads(path.read_text(encoding="utf-8"))
    change(cfg)
    path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")
    record_files(model_dir)  # whoever edits a model directory can rewrite its checksums too


def _write_model(model_dir, data: bytes):
    (model_dir / THEMES / "model.pkl").write_bytes(data)
    _edit_cfg(model_dir, lambda cfg: cfg.update(model_sha256=hashlib.sha256(data).hexdigest()))


def _load_error(model_dir) -> ModelError:
    with pytest.raises(ModelError) as info:
        policy_nlp.load(model_dir, segmenter="char")
    return info.value


def test_the_saved_files_and_a_clean_round_trip(saved, tiny_nlp):
    files = sorted(p.name for p in (saved / THEMES).iterdir())
    assert files == ["cfg.json", "model.pkl"]
    cfg = json.loads(_cfg_path(saved).read_text(encoding="utf-8"))
    data = (saved / THEMES / "model.pkl").read_bytes()
    assert cfg["model_file"] == "model.pkl" and cfg["model_sha256"] == hashlib.sha256(data).hexdigest()
    model = load_estimator(data, "model.pkl")
    assert isinstance(model, ThemeEstimator)
    assert list(model.labels) == cfg["labels"] and model.thresholds_ == cfg["thresholds"]
    assert model.hyperparameters() == cfg["hyperparameters"]
    assert load_estimator(dump_estimator(model)).thresholds_ == model.thresholds_
    assert policy_nlp.load(saved, segmenter="char").get_pipe(THEMES).thresholds == tiny_nlp.get_pipe(THEMES).thresholds


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"echo hacked > {self.target}",))


def test_a_pickle_naming_os_system_is_refused_before_anything_runs(saved, tmp_path):
    marker = tmp_path / "HACKED"
    payload = pickle.dumps(_Exploit(marker))
    _write_model(saved, payload)  # the hash in cfg.json matches: only the allow-list stands in the way
    err = _load_error(saved)
    assert err.code == "E009" and "system" in str(err) and "model.pkl" in str(err)
    assert not marker.exists()
    with pytest.raises(ModelError) as info:
        load_estimator(payload)
    assert info.value.code == "E009"
    assert not marker.exists()


@pytest.mark.parametrize("name", ["builtins.eval", "subprocess.Popen", "numpy.load", "pickle.loads"])
def test_other_dangerous_globals_are_refused(name):
    module, attr = name.rsplit(".", 1)
    data = b"\x80\x04c" + module.encode() + b"\n" + attr.encode() + b"\n."
    with pytest.raises(ModelError) as info:
        load_estimator(data)
    assert info.value.code == "E009"


def test_swapped_label_names_in_cfg_json_are_refused(saved):
    def swap(cfg):
        cfg["labels"][0], cfg["labels"][1] = cfg["labels"][1], cfg["labels"][0]

    _edit_cfg(saved, swap)
    err = _load_error(saved)
    assert err.code == "E015" and "labels, thresholds or hyperparameters" in str(err)


def test_an_edited_threshold_in_cfg_json_is_refused(saved):
    def edit(cfg):
        label = next(iter(cfg["thresholds"]))
        cfg["thresholds"][label] = round(cfg["thresholds"][label] + 0.1, 3)

    _edit_cfg(saved, edit)
    assert _load_error(saved).code == "E015"


def test_edited_hyperparameters_or_missing_fields_are_refused(saved):
    _edit_cfg(saved, lambda cfg: cfg["hyperparameters"].update(C=99.0))
    assert _load_error(saved).code == "E015"
    _edit_cfg(saved, lambda cfg: cfg.pop("thresholds"))
    assert _load_error(saved).code == "E015"


def test_a_truncated_model_file_with_a_matching_hash_is_damaged(saved):
    data = (saved / THEMES / "model.pkl").read_bytes()
    _write_model(saved, data[: len(data) // 2])
    err = _load_error(saved)
    assert err.code == "E014" and "damaged" in str(err)


def test_a_model_file_that_is_no_theme_model_is_damaged(saved):
    _write_model(saved, pickle.dumps({"labels": ["plans"]}))
    assert _load_error(saved).code == "E014"


def test_a_modified_model_file_fails_its_hash(saved):
    with open(saved / THEMES / "model.pkl", "ab") as fh:
        fh.write(b"x")
    err = _load_error(saved)
    assert err.code == "E115" and "policy_nlp_themes/model.pkl was changed" in str(err)
    record_files(saved)
    assert _load_error(saved).code == "E003"


def test_cfg_json_that_is_not_json_is_refused(saved):
    _cfg_path(saved).write_text('{"labels": [', encoding="utf-8")
    record_files(saved)
    err = _load_error(saved)
    assert err.code == "E015" and "not valid JSON" in str(err)


def test_missing_model_files_name_the_component(saved):
    (saved / THEMES / "model.pkl").unlink()
    assert _load_error(saved).code == "E115"
    record_files(saved)
    assert _load_error(saved).code == "E007"


def test_damaged_bytes_are_refused(tiny_nlp):
    themes = tiny_nlp.get_pipe(THEMES)
    from policy_nlp.components.themes import ThemeClassifier

    fresh = ThemeClassifier()
    with pytest.raises(ModelError) as info:
        fresh.from_bytes(b"not msgpack at all")
    assert info.value.code == "E014"
    fresh.from_bytes(themes.to_bytes())
    assert fresh.labels == themes.labels and fresh.thresholds == themes.thresholds
