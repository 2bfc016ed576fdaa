import subprocess
import sys
import textwrap

import pytest

import policy_nlp
from policy_nlp.errors import ModelError


def test_load_errors_are_coded(tmp_path):
    with pytest.raises(ModelError) as info:
        policy_nlp.load(tmp_path)
    assert info.value.code == "E005"
    with pytest.raises(ModelError) as info:
        policy_nlp.load(segmenter="jieba")
    assert info.value.code == "E006"


def test_pipeline_components(char_nlp):
    assert char_nlp.lang == "zh"
    assert char_nlp.pipe_names[:2] == ["policy_nlp_report_structure", "policy_nlp_themes"]
    assert char_nlp.pipe_names == policy_nlp.create_pipeline("char").pipe_names
    assert char_nlp.tokenizer.segmenter == "char"


def test_spacy_load_works_in_a_fresh_process_without_importing_the_package(char_nlp, tmp_path, seeds):
    char_nlp.to_disk(tmp_path / "m")
    doc = char_nlp(seeds["003_8464521e0b384c22.txt"])
    expected = [(s.start_char, s.end_char, s.label_) for s in doc.spans["themes"]]
    assert expected
    script = textwrap.dedent(f"""
        import json, sys, spacy
        nlp = spacy.load({str(tmp_path / 'm')!r}, config={{"nlp": {{"tokenizer": {{"segmenter": "char"}}}}}})
        text = open({str(tmp_path / 'seed.txt')!r}, encoding="utf-8").read()
        doc = nlp(text)
        print(json.dumps([(s.start_char, s.end_char, s.label_) for s in doc.spans["themes"]]))
    """)
    (tmp_path / "seed.txt").write_text(seeds["003_8464521e0b384c22.txt"], encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    import json

    assert [tuple(x) for x in json.loads(lines[0])] == expected


def test_offline_without_cached_weights_names_the_command(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_NLP_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(policy_nlp.PolicyNLPError) as info:
        policy_nlp.load(allow_download=False)
    assert info.value.code == "E010"
    assert "policy-nlp download" in str(info.value) and "segmenter='char'" in str(info.value)


# -- serialisation, analysis and evaluation of a trained pipeline (a small one trained by the tests) ---------
def _reviewer_json(nlp, texts):
    """The reviewer JSON without `model.sha256`: that is the hash of the model file, and a re-saved model
    file is a new pickle of the same estimator (same answers, other bytes)."""
    out = []
    for t in texts:
        doc = policy_nlp.annotate(t, nlp=nlp)
        assert len(doc.model.pop("sha256")) == 64
        out.append(doc.to_json())
    return out


def test_to_bytes_from_bytes_gives_identical_output(tiny_nlp, seeds):
    texts = list(seeds.values())[:3]
    restored = policy_nlp.create_pipeline("char").from_bytes(tiny_nlp.to_bytes())
    assert restored.get_pipe("policy_nlp_themes").labels == tiny_nlp.get_pipe("policy_nlp_themes").labels
    assert _reviewer_json(restored, texts) == _reviewer_json(tiny_nlp, texts)


def test_to_disk_load_gives_identical_output(tiny_nlp, seeds, tmp_path):
    texts = list(seeds.values())[:3]
    tiny_nlp.to_disk(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m" / "policy_nlp_themes").iterdir()) == ["cfg.json", "model.pkl"]
    assert (tmp_path / "m" / "policy_nlp_report_structure" / "rules.json").is_file()
    again = policy_nlp.load(tmp_path / "m", segmenter="char")
    assert _reviewer_json(again, texts) == _reviewer_json(tiny_nlp, texts)


def test_analyze_pipes_shows_no_problems(tiny_nlp):
    analysis = tiny_nlp.analyze_pipes()
    assert all(not problems for problems in analysis["problems"].values())
    assert "doc.spans" in analysis["summary"]["policy_nlp_themes"]["requires"]


def test_nlp_evaluate_on_corpus_examples(tiny_model):
    from policy_nlp.learn.examples import corpus_examples
    from policy_nlp.learn.labelled_data import read_corpus

    from conftest import SEEDS, SEED_UNITS

    nlp = policy_nlp.load(tiny_model, segmenter="char")
    corpus = read_corpus([SEED_UNITS], SEEDS)
    examples = corpus_examples(nlp, corpus, nlp.get_pipe("policy_nlp_report_structure").rules)
    scores = nlp.evaluate(list(examples.values()))
    for key in ("themes_macro_f", "themes_per_type", "units_f"):
        assert key in scores, key
    assert 0.0 < scores["themes_macro_f"] <= 1.0 and 0.5 < scores["units_f"] <= 1.0
    assert set(scores["themes_per_type"]) == set(nlp.get_pipe("policy_nlp_themes").labels)


def test_a_pipeline_directory_without_meta_json_is_a_coded_error(tiny_model, tmp_path):
    import shutil

    from policy_nlp.errors import PolicyNLPError

    copy = tmp_path / "m"
    shutil.copytree(tiny_model, copy)
    (copy / "meta.json").unlink()
    with pytest.raises(PolicyNLPError) as info:
        policy_nlp.load(copy, segmenter="char")
    assert info.value.code == "E104" and "policy-nlp train" in str(info.value)


def test_the_model_info_carries_the_model_hash(tiny_nlp, char_nlp):
    a, b = policy_nlp.model_info(tiny_nlp), policy_nlp.model_info(char_nlp)
    assert len(a["sha256"]) == 64 and a["sha256"] != b["sha256"]
    assert policy_nlp.model_info(policy_nlp.load(segmenter="char"))["sha256"] == b["sha256"]


# -- the shipped model's answers on the seeds (0.5.1), recorded when it was trained: a refactoring keeps them ----
# sha256 of the JSON lines (sorted keys, without `model.sha256`, which hashes the package version too) of the
# five seeds and their first 2,000 characters, annotated with the character segmenter.
SHIPPED_OUTPUT_SHA256 = {
    False: "209aace4d763ef1f4ab6b962281f6b5c67777bc1bfaa41013f28db3e5cf1cb73",
    True: "df07823b271da87cf7efd166c05ed25824bdc2946f41b34ea81ffa9a7d830640",
}


def _output_sha256(docs) -> str:
    import hashlib
    import json

    lines = []
    for d in docs:
        data = d.to_dict()
        data["model"].pop("sha256")
        lines.append(json.dumps(data, ensure_ascii=False, sort_keys=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _seed_texts(seeds) -> list[str]:
    texts = [seeds[name] for name in sorted(seeds)]
    return texts + [t[:2000] for t in texts]


@pytest.mark.parametrize("explain", [False, True])
def test_shipped_model_gives_the_recorded_output_streamed_and_one_by_one(char_nlp, seeds, explain):
    texts = _seed_texts(seeds)
    streamed = policy_nlp.annotate(iter(texts), nlp=char_nlp, explain=explain, batch_size=3)
    assert _output_sha256(streamed) == SHIPPED_OUTPUT_SHA256[explain]
    single = [policy_nlp.annotate(t, nlp=char_nlp, explain=explain) for t in texts]
    assert _output_sha256(single) == SHIPPED_OUTPUT_SHA256[explain]


def test_fingerprint_ignores_explain_top_and_the_estimator_recipe_line(tmp_path):
    """A plain `hyperparameters` table (pipelines saved before the recipe was registered) and the same table
    with its `@misc` line are the same model; explanations change no label."""
    import shutil

    import spacy

    from policy_nlp.model_dir import record_files
    from policy_nlp.pipeline import model_fingerprint, shipped_model_path

    shipped = policy_nlp.load(segmenter="char")
    shutil.copytree(shipped_model_path(), tmp_path / "m")
    config = tmp_path / "m" / "config.cfg"
    recipe = '@misc = "policy_nlp.theme_estimator.v1"\n'
    assert recipe in config.read_text(encoding="utf-8")
    shutil.copytree(tmp_path / "m", tmp_path / "plain")
    (tmp_path / "plain" / "config.cfg").write_text(config.read_text(encoding="utf-8").replace(recipe, ""),
                                                  encoding="utf-8")
    record_files(tmp_path / "plain")
    plain = policy_nlp.load(tmp_path / "plain", segmenter="char")
    assert model_fingerprint(plain) == model_fingerprint(shipped)
    explaining = spacy.load(tmp_path / "m", config={"nlp": {"tokenizer": {"segmenter": "char"}},
                                                   "components": {"policy_nlp_themes": {"explain_top": 3}}})
    assert model_fingerprint(explaining) == model_fingerprint(shipped)
    other = spacy.load(tmp_path / "m", config={"nlp": {"tokenizer": {"segmenter": "char"}},
                                              "components": {"policy_nlp_themes": {"hyperparameters": {"C": 1.0}}}})
    other.get_pipe("policy_nlp_themes").model = shipped.get_pipe("policy_nlp_themes").model
    assert model_fingerprint(other) != model_fingerprint(shipped)


def test_the_model_bytes_do_not_change_when_the_pipeline_scores_text():
    """What the themes component memoises while scoring stays out of the pickled estimator (else the model
    file and the pipeline's fingerprint would depend on whether it had scored anything)."""
    from policy_nlp.model.persistence import dump_estimator

    nlp = policy_nlp.load(segmenter="char")
    model = nlp.get_pipe("policy_nlp_themes").model
    before = dump_estimator(model)
    nlp("一、总体情况\n我们加强行政执法。")
    assert dump_estimator(model) == before
