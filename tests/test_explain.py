"""`policy_nlp.model.explain` through `annotate(explain=True)`, the themes component and `annotate --explain`."""
from __future__ import annotations

import json
import math

import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

import policy_nlp
from policy_nlp.cli import app
from policy_nlp.errors import ModelError
from policy_nlp.model.calibration import calibrate
from policy_nlp.model.explain import describe, explain_rows, summed

from conftest import SEED_NAMES, seed_text

runner = CliRunner()


@pytest.fixture(scope="module")
def explained(char_nlp):
    text = seed_text(SEED_NAMES[1])
    return text, policy_nlp.annotate(text, nlp=char_nlp, explain=True)


def test_contributions_add_up_to_the_models_logit(char_nlp, explained):
    text, doc = explained
    themes = char_nlp.get_pipe("policy_nlp_themes")
    spacy_doc = char_nlp(text)
    scored = themes.predict([spacy_doc])[0]
    content, ctx = scored.content, scored.contexts
    logits = themes.model.decision_function(ctx)
    labels = list(themes.labels)
    assert content and len(content) == sum(u.kind != "boilerplate" for u in doc.units)
    for row, i in enumerate(content):
        unit = doc.units[i]
        assert set(unit.explanations) == set(labels)
        for j, label in enumerate(labels):
            e = unit.explanations[label]
            assert abs(summed(e) - logits[row, j]) < 1e-6
            assert abs(e["logit"] - logits[row, j]) < 1e-6
            # the score is the sigmoid of the logit (through the label's calibration map, if the model has one),
            # the decision the logit against the threshold's logit
            raw = np.array([[1 / (1 + math.exp(-e["logit"]))]])
            assert abs(calibrate(themes.model.calibrators_, [label], raw)[0, 0] - unit.scores[label]) < 1e-5
            assert (label in unit.labels) == (unit.scores[label] >= doc.model["thresholds"][label])
            contributions = [abs(f["contribution"]) for f in e["features"]]
            assert contributions == sorted(contributions, reverse=True) and len(contributions) <= 8
    assert all(u.explanations is None for u in doc.units if u.kind == "boilerplate")


def test_removing_the_top_positive_ngram_lowers_the_score(char_nlp, explained):
    text, doc = explained
    checked = 0
    for i, unit in enumerate(doc.units):
        for label in unit.labels:
            ngrams = [f for f in unit.explanations[label]["features"]
                      if f["kind"] == "text_ngram" and f["contribution"] > 0 and f["name"] in unit.text
                      and all("\u4e00" <= ch <= "\u9fff" for ch in f["name"])]  # words, not punctuation
            if not ngrams:
                continue
            gram = ngrams[0]["name"]
            edited = text[:unit.start] + unit.text.replace(gram, "") + text[unit.end:]
            again = policy_nlp.annotate(edited, nlp=char_nlp)
            twin = [u for u in again.units if u.start == unit.start][0]
            assert twin.text == unit.text.replace(gram, "")
            assert twin.scores[label] < unit.scores[label], (unit.text, label, gram)
            checked += 1
            break
        if checked >= 3:
            break
    assert checked == 3


def test_term_lists_name_the_guide_list_and_the_terms_found(explained):
    _, doc = explained
    found = [f for u in doc.units if u.explanations for e in u.explanations.values() for f in e["features"]
             if f["kind"] == "term_list" and f["name"].startswith("terms[")]
    assert found
    for f in found:
        assert f["source"] == f"LABELS.md term list: {f['list']}"
        assert f["value"] > 0 and f["terms"]
    unit = next(u for u in doc.units if u.explanations and any(f in found for e in u.explanations.values()
                                                                for f in e["features"]))
    f = next(f for e in unit.explanations.values() for f in e["features"] if f in found)
    assert all(term in unit.text for term in f["terms"])


def test_feature_names_map_to_readable_kinds():
    assert describe("text__执法")["kind"] == "text_ngram"
    assert describe("section__下一")["kind"] == "section_ngram"
    assert describe("content__lead_terms[plans]") == {
        "kind": "term_list", "name": "lead_terms[plans]", "list": "plans", "where": "the paragraph lead",
        "source": "LABELS.md term list: plans"}
    assert describe("position__position")["kind"] == "position"
    assert describe("position__after_future_lead")["kind"] == "section_cue"
    assert describe("content__future_wording")["kind"] == "cue"


def test_reviewer_json_with_explanations_is_valid_and_round_trips(char_nlp, explained):
    _, doc = explained
    data = json.loads(doc.to_json())
    jsonschema.validate(data, policy_nlp.load_schema())
    assert policy_nlp.AnnotatedDocument.from_dict(data).to_dict() == data
    plain = policy_nlp.annotate(doc.text, nlp=char_nlp).to_dict()
    assert all("explanations" not in u for u in plain["units"])
    assert [u["scores"] for u in plain["units"]] == [u["scores"] for u in data["units"]]


def test_stream_and_component_cfg_explain_without_changing_the_shared_pipeline(char_nlp):
    texts = [seed_text(SEED_NAMES[0])[:600], seed_text(SEED_NAMES[2])[:600]]
    docs = list(policy_nlp.annotate(texts, nlp=char_nlp, explain=True, explain_top=3))
    assert all(u.explanations and all(len(e["features"]) <= 3 for e in u.explanations.values())
               for d in docs for u in d.units if u.kind != "boilerplate")
    themes = char_nlp.get_pipe("policy_nlp_themes")
    cfg = {"policy_nlp_themes": {"explain_top": 2}}
    for got in (list(char_nlp.pipe(texts, component_cfg=cfg)),
                [char_nlp(texts[0], component_cfg={"policy_nlp_themes": {"explain_top": 2}})]):
        attrs = got[0].spans["units"].attrs["explanations"]
        assert any(a is not None and len(next(iter(a.values()))["features"]) == 2 for a in attrs)
    assert themes.explain_top == 0
    assert "explanations" not in char_nlp(texts[0]).spans["units"].attrs


def test_explain_top_in_the_factory_config(char_nlp, tmp_path):
    char_nlp.to_disk(tmp_path / "m")
    nlp = policy_nlp.load(tmp_path / "m", segmenter="char")
    assert nlp.config["components"]["policy_nlp_themes"]["explain_top"] == 0
    import spacy

    nlp = spacy.load(tmp_path / "m", config={"nlp": {"tokenizer": {"segmenter": "char"}},
                                            "components": {"policy_nlp_themes": {"explain_top": 4}}})
    doc = nlp(seed_text(SEED_NAMES[0])[:600])
    attrs = doc.spans["units"].attrs["explanations"]
    assert any(a is not None and len(next(iter(a.values()))["features"]) == 4 for a in attrs)
    plain = nlp(seed_text(SEED_NAMES[0])[:600], component_cfg={"policy_nlp_themes": {"explain_top": 0}})
    assert "explanations" not in plain.spans["units"].attrs


def test_annotate_explain_builds_the_context_rows_once(char_nlp, monkeypatch):
    import policy_nlp.components.themes as themes_module

    calls = []
    real = themes_module.context_rows
    monkeypatch.setattr(themes_module, "context_rows", lambda *a: calls.append(1) or real(*a))
    policy_nlp.annotate(seed_text(SEED_NAMES[0])[:600], nlp=char_nlp, explain=True)
    assert len(calls) == 1
    list(policy_nlp.annotate([seed_text(SEED_NAMES[0])[:600]] * 2, nlp=char_nlp, explain=True))
    assert len(calls) == 3


def test_explain_rows_on_an_empty_matrix_and_a_pipeline_without_themes(char_nlp):
    model = char_nlp.get_pipe("policy_nlp_themes").model
    assert explain_rows(model, np.empty((0, 10), dtype=object)) == []
    bare = policy_nlp.create_pipeline(segmenter="char")
    bare.remove_pipe("policy_nlp_themes")
    with pytest.raises(ModelError, match="E160"):
        policy_nlp.annotate("一、总体情况\n我们加强执法。", nlp=bare, explain=True)
    read = []

    def texts():  # a stream: E160 before a text is read, and for an empty one too
        read.append(1)
        yield "长" * 50

    for stream in (texts(), iter([])):
        with pytest.raises(ModelError, match="E160"):
            next(policy_nlp.annotate(stream, nlp=bare, explain=True, max_chars=20))
    assert read == []


def test_cli_annotate_explain(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("三、下一步打算\n2024年,我们将继续加强行政执法监督,推进执法公示制度。\n", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(path), "--segmenter", "char", "--explain", "--explain-top", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    sentence = doc["units"][1]
    assert "enforcement" in sentence["labels"]
    e = sentence["explanations"]["enforcement"]
    assert len(e["features"]) == 3 and abs(summed(e) - e["logit"]) < 1e-6 and e["logit"] >= e["threshold_logit"]
    out = tmp_path / "out.jsonl"
    other = tmp_path / "other.txt"
    other.write_text(seed_text(SEED_NAMES[0])[:500], encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(path), str(other), "--segmenter", "char", "--explain", "-o",
                                 str(out), "--no-progress", "--n-process", "2", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and "explanations" in records[0]["units"][1]
    assert all("explanations" in u for r in records for u in r["units"] if u["kind"] != "boilerplate")


def test_a_calibrated_models_threshold_logit_decides_as_the_calibrated_score(tiny_nlp):
    themes = tiny_nlp.get_pipe("policy_nlp_themes")
    assert themes.model.calibrators_  # thresholds tuned on three documents: calibrated
    doc = policy_nlp.annotate(seed_text(SEED_NAMES[1]), nlp=tiny_nlp, explain=True)
    checked = 0
    for unit in doc.units:
        for label, e in (unit.explanations or {}).items():
            if abs(e["logit"] - e["threshold_logit"]) > 1e-6:
                assert (e["logit"] >= e["threshold_logit"]) == (unit.scores[label] >= doc.model["thresholds"][label])
                checked += 1
    assert checked > 100
