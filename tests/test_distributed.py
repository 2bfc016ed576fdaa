"""Annotating on Ray (`corpus/distributed.py`, `--engine ray`): the same bytes as one machine, on a small
local Ray instance (loopback only) started once for this module; the failures that stop a run are coded."""
from __future__ import annotations

import html

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_nlp.cli import app
from policy_nlp.corpus.batch import annotate_corpus
from policy_nlp.corpus.distributed import RayEngine, annotate_corpus_ray
from policy_nlp.errors import DataError

from conftest import SEED_NAMES, seed_text

runner = CliRunner()


pytestmark = pytest.mark.slow  # a local Ray instance: about a minute on two cores


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance with two CPUs, no dashboard, bound to the loopback address."""
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install -e \".[ray]\" to run the Ray tests")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield ray
    ray.shutdown()


def _corpus(tmp_path: Path) -> Path:
    """Four short reports, one in a subfolder and one as an HTML page (its source and warnings travel with it),
    and an empty file (an error record)."""
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for i, name in enumerate(SEED_NAMES[:4]):
        (corpus / ("sub" if i == 3 else "") / name).write_text(seed_text(name)[:3000 + 500 * i], encoding="utf-8")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in seed_text(SEED_NAMES[4])[:3000].splitlines())
    (corpus / "page.html").write_text(f"<html><head><title>报告</title></head><body>{body}</body></html>",
                                      encoding="utf-8")
    (corpus / "empty.txt").write_text("  \n", encoding="utf-8")
    return corpus


def _local(corpus: Path, tmp_path: Path, nlp) -> bytes:
    out = tmp_path / "local.jsonl"
    annotate_corpus([corpus], out, nlp=nlp)
    return out.read_bytes()


def test_ray_writes_the_same_bytes_as_one_machine(ray_instance, tmp_path, char_nlp):
    corpus = _corpus(tmp_path)
    out = tmp_path / "ray.jsonl"
    report = annotate_corpus_ray([corpus], out, nlp=char_nlp, workers=2, batch_size=2)
    expected = _local(corpus, tmp_path, char_nlp)
    assert out.read_bytes() == expected
    assert b'"format": "html"' in expected
    assert report["documents"] == 6 and report["failed"] == 1 and "E056" in report["errors"][0]["error"]
    assert ray_instance.is_initialized()  # joined the running instance and left it running


def test_cli_engine_ray_writes_the_same_bytes_with_explanations(ray_instance, tmp_path):
    """The actors get the driver's runtime settings too (--explain)."""
    corpus = _corpus(tmp_path)
    outputs = {}
    for engine in ("local", "ray"):
        out, summary = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.csv"
        result = runner.invoke(app, ["annotate", str(corpus), "-o", str(out), "--segmenter", "char", "--explain",
                                     "--engine", engine, "--summary", str(summary), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["documents"] == 6 and summary.read_text(encoding="utf-8").count("\n") == 7
        outputs[engine] = out.read_bytes()
    assert outputs["ray"] == outputs["local"] and b'"explanations"' in outputs["local"]


def test_a_failed_run_keeps_what_it_finished_and_a_rerun_goes_on(ray_instance, tmp_path, char_nlp):
    """The actors load the pipeline from a directory on the node; it disappears after the first window, so
    the second window's actors cannot load it: E192 names the cause, the first window's records stay, and
    the rerun writes the rest: the same bytes as one machine."""
    corpus = _corpus(tmp_path)
    model = tmp_path / "model"
    char_nlp.to_disk(model)
    out = tmp_path / "ray.jsonl"
    engine = RayEngine(workers=1, model_dir=str(model), window=2)

    def remove_model(progress) -> None:
        if progress.done == 2:
            shutil.move(model, tmp_path / "moved")

    with pytest.raises(DataError) as caught:
        annotate_corpus([corpus], out, nlp=char_nlp, engine=engine, progress=remove_model)
    assert caught.value.code == "E192" and "E005" in caught.value.message
    expected = _local(corpus, tmp_path, char_nlp)
    assert out.read_bytes() == b"".join(expected.splitlines(keepends=True)[:2])
    shutil.move(tmp_path / "moved", model)
    report = annotate_corpus([corpus], out, nlp=char_nlp, engine=engine)
    assert report["skipped_already_done"] == 2 and report["documents"] == 4
    assert out.read_bytes() == expected


def test_without_ray_the_engine_names_the_extra(monkeypatch, tmp_path, char_nlp):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(DataError) as caught:
        annotate_corpus_ray([_corpus(tmp_path)], tmp_path / "o.jsonl", nlp=char_nlp)
    assert caught.value.code == "E190" and "policy_nlp[ray]" in caught.value.fix
    result = runner.invoke(app, ["annotate", str(tmp_path / "corpus"), "-o", str(tmp_path / "o.jsonl"),
                                 "--segmenter", "char", "--engine", "ray"])
    assert result.exit_code == 2 and "E190" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("args", [["--engine", "ray", "-o", "out"], ["--workers", "2", "-o", "o.jsonl"],
                                  ["--ray-address", "auto", "-o", "o.jsonl"],
                                  ["--engine", "ray", "--n-process", "2", "-o", "o.jsonl"]])
def test_options_of_the_other_engine_are_refused(tmp_path, args):
    report = tmp_path / "r.txt"
    report.write_text(seed_text(SEED_NAMES[0]), encoding="utf-8")
    args = [str(tmp_path / a) if a in ("out", "o.jsonl") else a for a in args]
    result = runner.invoke(app, ["annotate", str(report), "--segmenter", "char", *args])
    assert result.exit_code == 2 and "E110" in result.stderr, result.output
    assert not any(p.name.startswith("o") for p in tmp_path.iterdir())


def test_a_cluster_that_cannot_be_joined_is_coded(monkeypatch, tmp_path, char_nlp):
    """E191 quotes why `ray.init` failed; nothing is written."""
    import types

    fake = types.ModuleType("ray")
    fake.data = types.ModuleType("ray.data")
    fake.is_initialized = lambda: False

    def init(**options):
        raise ConnectionError(f"no Ray cluster at {options['address']}")

    fake.init = init
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setitem(sys.modules, "ray.data", fake.data)
    out = tmp_path / "o.jsonl"
    with pytest.raises(DataError) as caught:
        annotate_corpus_ray([_corpus(tmp_path)], out, address="127.0.0.1:1", nlp=char_nlp)
    assert caught.value.code == "E191" and "no Ray cluster at 127.0.0.1:1" in caught.value.message
    assert not out.exists() or out.read_bytes() == b""
