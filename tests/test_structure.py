import pytest
from spacy.tokens import DocBin

from policy_nlp.pipeline import create_pipeline
from policy_nlp.components.unit_table import section_indices


def _structured(text):
    nlp = create_pipeline("char")
    return nlp.get_pipe("policy_nlp_report_structure")(nlp.make_doc(text))


def test_units_headings_and_sentences_in_builtins():
    text = "索引号 123\n一、主要成效\n(一)执法\n开展检查3次。办理复议5件。\n二、存在的问题\n执法不规范。"
    doc = _structured(text)
    units = doc.spans["units"]
    assert [u.label_ for u in units] == ["boilerplate", "heading", "heading", "sentence", "sentence", "heading",
                                         "sentence"]
    assert [s.label_ for s in doc.spans["headings"]] == ["level_1", "level_2", "level_1"]
    sents = [s.text.strip() for s in doc.sents]
    assert sents == [u.text for u in units]
    paths = [[units[j].text for j in section_indices(doc, i)] for i in range(len(units))]
    assert paths[4] == ["一、主要成效", "(一)执法"]
    assert paths[6] == ["二、存在的问题"]
    assert units[4]._.section == ["一、主要成效", "(一)执法"]


def test_doc_to_json_and_docbin_keep_the_structure(seeds):
    doc = _structured(seeds["002_4ca8cfc4920ed3ee.txt"])
    data = doc.to_json()
    assert len(data["spans"]["units"]) == len(doc.spans["units"])
    nlp = create_pipeline("char")
    restored = list(DocBin(docs=[doc], store_user_data=True).get_docs(nlp.vocab))[0]
    assert [(s.start_char, s.end_char, s.label_) for s in restored.spans["units"]] == \
        [(s.start_char, s.end_char, s.label_) for s in doc.spans["units"]]
    assert [t.is_sent_start for t in restored] == [t.is_sent_start for t in doc]


def test_unit_scores_are_spacys_span_scores():
    """Unit boundaries and kinds scored by spaCy's `Scorer.score_spans` (PRFScore): one heading right, a
    sentence the reference keeps whole split in two."""
    from spacy.tokens import Span
    from spacy.training import Example

    from policy_nlp.components.structure import score_units

    predicted = _structured("一、主要成效\n开展检查3次。办理复议5件。")
    reference = predicted.copy()
    heading, first, second = predicted.spans["units"]
    reference.spans["units"] = [Span(reference, heading.start, heading.end, label="heading"),
                                Span(reference, first.start, second.end, label="sentence")]
    scores = score_units([Example(predicted, reference)])
    assert scores["units_p"] == pytest.approx(1 / 3) and scores["units_r"] == pytest.approx(1 / 2)
    assert scores["units_f"] == pytest.approx(0.4)
    assert scores["units_per_type"] == {"heading": {"p": 1.0, "r": 1.0, "f": 1.0},
                                        "sentence": {"p": 0.0, "r": 0.0, "f": 0.0}}


def test_structure_serialisers_honour_exclude(tmp_path):
    from policy_nlp.components.structure import ReportStructure
    from policy_nlp.errors import ModelError
    from policy_nlp.rules import report_rules_v1

    saved = create_pipeline("char").get_pipe("policy_nlp_report_structure")
    other = ReportStructure(rules=report_rules_v1())
    assert other.from_bytes(saved.to_bytes(), exclude=["rules"]).rules == report_rules_v1()
    assert other.from_bytes(saved.to_bytes(exclude=["rules"])).rules == report_rules_v1()
    assert other.from_bytes(saved.to_bytes()).rules == saved.rules
    saved.to_disk(tmp_path / "without", exclude=["rules"])
    assert list((tmp_path / "without").iterdir()) == []
    kept = ReportStructure(rules=report_rules_v1()).from_disk(tmp_path / "without", exclude=["rules"])
    assert kept.rules == report_rules_v1()
    with pytest.raises(ModelError) as err:
        ReportStructure().from_disk(tmp_path / "without")
    assert err.value.code == "E008"


def test_the_rectification_part_is_a_part_kind_that_carries_no_label():
    from policy_nlp.components.unit_table import units_in_part

    text = ("一、主要成效\n开展执法检查3次。\n二、上年存在不足及整改情况\n（一）关于执法不规范问题的整改\n完成整改。\n"
            "三、存在的问题\n执法不规范。\n四、2025年工作安排\n2025年，我区将深化改革。")
    doc = _structured(text)
    units = doc.spans["units"]
    parts = dict(zip((u.text for u in units), units.attrs["parts"]))
    assert parts["二、上年存在不足及整改情况"] == parts["完成整改。"] == "rectification"
    assert [units[i].text for i in units_in_part(units, "shortcomings")] == ["三、存在的问题", "执法不规范。"]


def test_sentence_starts_in_one_array_write_equal_setting_them_token_by_token(seeds):
    """`set_sentence_starts`: 1 at token 0 and each unit start, -1 (not unset) everywhere else, as setting
    `is_sent_start` token by token gives; a one-token and an empty Doc too."""
    from spacy.attrs import SENT_START
    from spacy.tokens import Doc

    from policy_nlp.components.structure import set_sentence_starts

    nlp = create_pipeline("char")
    for text in list(seeds.values())[:2] + ["中", "一、总体情况。我们做了。", ""]:
        doc = nlp.get_pipe("policy_nlp_report_structure")(nlp.make_doc(text))
        starts = sorted({s.start for s in doc.spans["units"]} | ({0} if len(doc) else set()))
        by_token = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
        for token in by_token:
            token.is_sent_start = token.i in starts
        fresh = nlp.make_doc(text)
        set_sentence_starts(fresh, starts)
        assert fresh.to_array([SENT_START]).tolist() == by_token.to_array([SENT_START]).tolist()
        assert [t.is_sent_start for t in fresh] == [t.is_sent_start for t in by_token] == \
            [t.is_sent_start for t in doc]
