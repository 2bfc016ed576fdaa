import json

import pytest
import spacy
from spacy.training import Example

from policy_nlp.errors import ModelError
from policy_nlp.pipeline import create_pipeline


def test_calling_an_untrained_component_names_the_fix():
    nlp = create_pipeline("char")
    with pytest.raises(ModelError) as info:
        nlp("一、执法\n开展执法检查。")
    assert info.value.code == "E001"
    assert "policy_nlp.load()" in str(info.value)


def test_themes_without_structure_is_a_coded_error(char_nlp):
    themes = char_nlp.get_pipe("policy_nlp_themes")
    with pytest.raises(ModelError) as info:
        themes(char_nlp.make_doc("开展执法检查。"))
    assert info.value.code == "E002"


def test_scores_spans_and_cats(char_nlp, seeds):
    doc = char_nlp(seeds["002_4ca8cfc4920ed3ee.txt"])
    group = doc.spans["units"]
    assert group.attrs["labels"] == ["enforcement", "dispute_resolution", "business_environment", "shortcomings",
                                     "plans"]
    assert len(group.attrs["scores"]) == len(group)
    themes = doc.spans["themes"]
    assert {s.label_ for s in themes} == set(group.attrs["labels"])
    plan_heading = next(u for u in group if u.text == "三、下一步工作计划")
    assert "plans" in plan_heading._.themes
    assert plan_heading._.scores["plans"] > 0.5
    assert all(0.0 <= v <= 1.0 for v in doc.cats.values())


def test_initialize_from_examples(seeds):
    from policy_nlp.labelled_data import read_corpus

    corpus = read_corpus()
    nlp = create_pipeline("char")
    examples = []
    for name in list(corpus.documents)[:3]:
        text = corpus.documents[name]
        ref = nlp.get_pipe("policy_nlp_report_structure")(nlp.make_doc(text))
        units = corpus.units_of(name)
        ref.spans["themes"] = [ref.char_span(u.start, u.end, label=label) for u in units for label in u.labels]
        examples.append(Example(nlp.make_doc(text), ref))
    nlp.initialize(lambda: examples)
    themes = nlp.get_pipe("policy_nlp_themes")
    assert set(themes.labels) == {"enforcement", "dispute_resolution", "business_environment", "shortcomings",
                                  "plans"}
    doc = nlp(seeds["004_09ab2a23c5e0d572.txt"])
    assert len(doc.spans["themes"]) > 10


def test_save_load_gives_identical_output(char_nlp, seeds, tmp_path):
    char_nlp.to_disk(tmp_path / "m")
    import policy_nlp

    again = policy_nlp.load(tmp_path / "m", segmenter="char")
    for text in seeds.values():
        a, b = char_nlp(text), again(text)
        assert a.spans["units"].attrs["scores"] == b.spans["units"].attrs["scores"]
        assert [(s.start, s.end, s.label_) for s in a.spans["themes"]] == \
            [(s.start, s.end, s.label_) for s in b.spans["themes"]]
    cfg = json.loads((tmp_path / "m" / "policy_nlp_themes" / "cfg.json").read_text())
    assert set(cfg) >= {"labels", "thresholds", "model_sha256", "versions"}
    assert cfg["versions"]["scikit-learn"]


def test_tampered_model_file_is_refused(char_nlp, tmp_path):
    char_nlp.to_disk(tmp_path / "m")
    with open(tmp_path / "m" / "policy_nlp_themes" / "model.joblib", "ab") as fh:
        fh.write(b"x")
    with pytest.raises(ModelError) as info:
        spacy.load(tmp_path / "m", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    assert info.value.code == "E003"


def test_incompatible_sklearn_version_is_refused(char_nlp, tmp_path):
    char_nlp.to_disk(tmp_path / "m")
    path = tmp_path / "m" / "policy_nlp_themes" / "cfg.json"
    cfg = json.loads(path.read_text())
    cfg["versions"]["scikit-learn"] = "0.20.0"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ModelError) as info:
        spacy.load(tmp_path / "m", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    assert info.value.code == "E004"
    assert "scikit-learn==0.20.0" in str(info.value)
