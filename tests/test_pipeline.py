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
    assert char_nlp.pipe_names == ["policy_nlp_report_structure", "policy_nlp_themes"]
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
