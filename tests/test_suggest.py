"""`policy_nlp.learn.suggest` and `policy-nlp suggest`: which units to label next."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from policy_nlp.cli import app
from policy_nlp.errors import DataError
from policy_nlp.learn.suggest import _bigrams, margins, select, similarity, suggest

from conftest import SEED_NAMES, seed_text

runner = CliRunner()


def test_margins_are_the_nearest_distance_to_a_threshold():
    m, j = margins(np.array([[0.9, 0.45], [0.1, 0.2]]), [0.5, 0.5])
    assert np.allclose(m, [0.05, 0.3]) and list(j) == [1, 1]
    assert margins(np.zeros((0, 2)), [0.5, 0.5])[0].shape == (0,)


def test_select_prefers_low_margins_spreads_over_reports_and_sections_and_skips_near_duplicates():
    texts = [f"第{i}项加强行政执法监督工作{'甲乙丙丁戊己庚辛'[i]}" for i in range(8)]
    margin = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]
    reports = ["a", "a", "a", "a", "b", "b", "b", "b"]
    sections = ["x", "x", "y", "y", "x", "x", "y", "y"]
    unique = [f"{i}" * 3 + "独特文本内容" + "子丑寅卯辰巳午未"[i] * 5 for i in range(8)]
    assert select(margin, reports, sections, unique, 3, report_penalty=0, section_penalty=0) == [0, 1, 2]
    spread = select(margin, reports, sections, unique, 4, report_penalty=0.05, section_penalty=0.05)
    assert spread[0] == 0 and {reports[i] for i in spread} == {"a", "b"}
    assert len({(reports[i], sections[i]) for i in spread}) == 4
    # near-duplicates: the same formula with one character changed is picked once
    dup = select(margin, reports, sections, texts, 8, report_penalty=0, section_penalty=0, max_similarity=0.6)
    assert dup[0] == 0 and len(dup) < 8
    for a in dup:
        for b in dup:
            if a != b:
                assert similarity(_bigrams(texts[a]), _bigrams(texts[b])) < 0.6


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("pool")
    for name in SEED_NAMES[:2]:
        (d / name).write_text(seed_text(name), encoding="utf-8")
    return d


def test_suggest_ranks_units_of_the_reports(char_nlp, corpus):
    got = suggest(char_nlp, [corpus], 12, skip_labelled=False)
    assert [u["rank"] for u in got] == list(range(1, 13))
    thresholds = char_nlp.get_pipe("policy_nlp_themes").thresholds
    texts = {name: seed_text(name) for name in SEED_NAMES[:2]}
    for u in got:
        name = u["doc"].split("/")[-1]
        assert texts[name][u["start"]:u["end"]] == u["text"] and u["kind"] != "boilerplate"
        dist = {label: abs(s - thresholds[label]) for label, s in u["scores"].items()}
        assert abs(min(dist.values()) - u["margin"]) < 1e-6 and u["nearest_label"] == min(dist, key=dist.get)
        assert u["labels"] == [l for l in u["scores"] if u["scores"][l] >= thresholds[l]]
    assert len({u["doc"] for u in got}) == 2
    # the first pick is the least certain unit of all
    everything = suggest(char_nlp, [corpus], 10_000, skip_labelled=False, report_penalty=0, section_penalty=0,
                         max_similarity=1.01)
    assert got[0]["margin"] == min(u["margin"] for u in everything)
    assert [u["margin"] for u in everything] == sorted(u["margin"] for u in everything)


def test_suggest_skips_labelled_reports_and_checks_n(char_nlp, corpus):
    notes = []
    with pytest.raises(DataError, match="E165"):
        suggest(char_nlp, [corpus], 5, notes=notes.append)
    assert sum("already labelled" in n for n in notes) == 2
    with pytest.raises(DataError, match="E163"):
        suggest(char_nlp, [corpus], 0)


def test_cli_suggest_writes_label_studio_tasks_doccano_and_the_config(tmp_path, corpus):
    tasks, doccano, config = tmp_path / "tasks.json", tmp_path / "tasks.jsonl", tmp_path / "config.xml"
    result = runner.invoke(app, ["suggest", "--corpus", str(corpus), "-n", "7", "-o", str(tasks), "--doccano",
                                 str(doccano), "--label-config", str(config), "--include-labelled"])
    assert result.exit_code == 0, result.output
    data = json.loads(tasks.read_text(encoding="utf-8"))
    assert len(data) == 7 and [t["data"]["rank"] for t in data] == list(range(1, 8))
    for t in data:
        assert set(t["data"]) >= {"text", "before", "after", "doc", "doc_sha256", "start", "end", "section", "kind"}
        (pred,) = t["predictions"]
        assert pred["result"][0]["from_name"] == "themes" and pred["result"][0]["type"] == "choices"
        assert 0 <= pred["score"] <= 1
    lines = [json.loads(x) for x in doccano.read_text(encoding="utf-8").splitlines()]
    assert [x["text"] for x in lines] == [t["data"]["text"] for t in data]
    assert "<Choice value=\"enforcement\" hint=\"行政执法\"/>" in config.read_text(encoding="utf-8")
    result = runner.invoke(app, ["suggest", "--corpus", str(corpus), "-n", "7", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "E165" in result.output and not (tmp_path / "x.json").exists()


def test_blind_suggest_picks_the_same_units_and_writes_no_pre_annotation(tmp_path, char_nlp, corpus):
    seen = suggest(char_nlp, [corpus], 6, skip_labelled=False)
    blind = suggest(char_nlp, [corpus], 6, skip_labelled=False, blind=True)
    assert [(u["doc"], u["start"], u["end"]) for u in blind] == [(u["doc"], u["start"], u["end"]) for u in seen]
    assert all(not set(u) & {"labels", "scores", "margin", "nearest_label"} for u in blind)
    tasks, doccano = tmp_path / "tasks.json", tmp_path / "tasks.jsonl"
    result = runner.invoke(app, ["suggest", "--corpus", str(corpus), "-n", "6", "-o", str(tasks), "--doccano",
                                 str(doccano), "--include-labelled", "--blind"])
    assert result.exit_code == 0, result.output
    assert "margin" not in result.output
    data = json.loads(tasks.read_text(encoding="utf-8"))
    assert len(data) == 6 and all("predictions" not in t for t in data)
    assert all(json.loads(x)["label"] == [] for x in doccano.read_text(encoding="utf-8").splitlines())


def test_suggest_skips_the_labelled_units_of_a_partly_labelled_report(tmp_path, char_nlp, corpus):
    picks = suggest(char_nlp, [corpus], 5, skip_labelled=False)
    name = SEED_NAMES[0]
    labelled = tmp_path / "units.jsonl"
    done = [u for u in picks if u["doc"].endswith(name)]
    assert done
    labelled.write_text("".join(json.dumps({"doc": name, "start": u["start"], "end": u["end"], "text": u["text"],
                                            "kind": u["kind"], "labels": []}, ensure_ascii=False) + "\n"
                                for u in done), encoding="utf-8")
    again = suggest(char_nlp, [corpus], 10_000, labelled=[labelled])
    spans = {(u["doc"], u["start"]) for u in again}
    assert not {(u["doc"], u["start"]) for u in done} & spans
    assert any(u["doc"].endswith(name) for u in again)
