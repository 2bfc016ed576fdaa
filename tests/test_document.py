import json

import jsonschema
import pytest

import policy_nlp
from policy_nlp.corpus.document import SCHEMA_ID, AnnotatedDocument, AnnotatedUnit
from policy_nlp.errors import DataError


@pytest.fixture(scope="module")
def annotated(char_nlp, seeds):
    return [policy_nlp.annotate(t, nlp=char_nlp) for t in seeds.values()]


def test_reviewer_json_validates_against_the_published_schema(annotated):
    schema = policy_nlp.load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for doc in annotated:
        data = json.loads(doc.to_json())
        assert data["schema"] == SCHEMA_ID
        jsonschema.validate(data, schema)


def test_schema_rejects_a_broken_document(annotated):
    data = annotated[0].to_dict()
    data["units"][0]["kind"] = "paragraph"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, policy_nlp.load_schema())


def test_round_trip(annotated):
    for doc in annotated:
        again = AnnotatedDocument.from_json(doc.to_json())
        assert again == doc
        assert again.to_dict() == doc.to_dict()


def test_units_carry_sections_and_model_info(annotated):
    doc = annotated[1]
    unit = next(u for u in doc.units if u.text.startswith("全面落实行政复议体制改革"))
    assert unit.section == ["一、主要举措和成效", "(七)加强矛盾争议化解,实现全方位多角度化解社会矛盾"]
    assert doc.model["name"] and doc.model["thresholds"]
    assert "dispute_resolution" in unit.labels


def test_sections_worked_out_per_parent_equal_the_walk_up_the_parents(annotated):
    """`_sections` (each distinct parent's headings once, from its own parent's) equals `headings_above` per
    unit, each unit with a list of its own: on the seeds' unit tables and on random parent lists (each parent
    before its unit, or in any order that ends; negative: none)."""
    import random

    from policy_nlp.components.units import headings_above
    from policy_nlp.corpus.document import _sections

    rng = random.Random(11)
    tables = [([u.text for u in doc.units], [-1] + [i for i, u in enumerate(doc.units[:-1]) if u.kind == "heading"])
              for doc in annotated]
    tables = [(texts, [rng.choice(heads[:1 + sum(h < i for h in heads[1:])]) for i in range(len(texts))])
              for texts, heads in tables]
    for _ in range(100):
        n = rng.randrange(1, 30)
        tables.append(([f"h{i}" for i in range(n)], [rng.choice([-1, -2, *range(i)]) for i in range(n)]))
        order = rng.sample(range(n), n)  # a parent after its unit (the walk still ends): never in a unit table
        parents = [-1] * n
        for k, i in enumerate(order):
            parents[i] = rng.choice([-1, *order[:k]])
        tables.append(([f"h{i}" for i in range(n)], parents))
    for texts, parents in tables:
        got = _sections(texts, parents)
        assert len({id(section) for section in got}) == len(got)
        assert got == [[texts[j] for j in headings_above(parents.__getitem__, i)] for i in range(len(texts))]


def test_units_read_off_the_doc_equal_the_spans_read_one_by_one(char_nlp, seeds):
    """`from_doc` (kinds by label id, looked up once per document; fields built over all units) gives what the
    spans say one by one: offsets, `label_`, sections, labels, scores and explanations, each unit with lists
    and dicts of its own; also for a unit group set by hand (no scores) with a kind the pipeline never
    writes, and for empty and one-character texts."""
    from policy_nlp.components.units import headings_above
    from policy_nlp.pipeline import explain_config

    texts = [*seeds.values(), *(t[:2000] for t in seeds.values()), "", "一", "\n", "𠀀年。"]
    for text in texts:
        doc = char_nlp(text, component_cfg=explain_config(char_nlp, 2))
        if len(doc) > 1:
            doc.spans["hand"] = [doc.char_span(0, 1, label="paragraph", alignment_mode="expand"), doc[1:len(doc)]]
        for key in ("units", "hand"):
            if key not in doc.spans:
                continue
            doc.user_data[("policy_nlp", "span_keys")] = {"units": key}
            got = AnnotatedDocument.from_doc(doc, text=text).units
            group = doc.spans[key]
            attrs = group.attrs
            parents = attrs.get("parents") or [-1] * len(group)
            assert [(u.start, u.end, u.text, u.kind) for u in got] == [
                (s.start_char, s.end_char, s.text, s.label_) for s in group]
            assert [u.section for u in got] == [[group[j].text for j in headings_above(parents.__getitem__, i)]
                                                for i in range(len(group))]
            labels = attrs.get("labels", [])
            assert [u.labels for u in got] == [[lab for lab, d in zip(labels, row) if d]
                                               for row in attrs.get("decided", [[]] * len(group))]
            assert [u.scores for u in got] == [dict(zip(labels, row)) for row in attrs.get("scores", [[]] * len(group))]
            assert [u.explanations for u in got] == list(attrs.get("explanations") or [None] * len(group))
            assert len({id(x) for u in got for x in (u.section, u.labels, u.scores, u.indicators)}) == 4 * len(got)


def test_from_dict_refuses_other_schemas():
    with pytest.raises(ValueError):
        AnnotatedDocument.from_dict({"schema": "something/v0", "text": "", "units": []})


@pytest.fixture(scope="module")
def tiny_annotated(tiny_nlp, seeds):
    """Documents annotated by the small pipeline the tests train (independent of the shipped model)."""
    return [policy_nlp.annotate(t, nlp=tiny_nlp) for t in list(seeds.values())[:2]]


def test_units_are_written_unreviewed_and_read_back_reviewed(tiny_annotated):
    annotated = tiny_annotated
    data = annotated[0].to_dict()
    assert all(u["reviewed"] is False for u in data["units"])
    data["units"][0]["reviewed"] = True
    jsonschema.validate(data, policy_nlp.load_schema())
    doc = AnnotatedDocument.from_json(data)  # a parsed dict is accepted as well as a string
    assert doc.units[0].reviewed and not doc.units[1].reviewed
    assert AnnotatedDocument.from_json(json.dumps(data)) == doc


def _bad(annotated, change):
    data = json.loads(annotated[1].to_json())
    change(data)
    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_json(data)
    return info.value


def test_from_json_rejects_bad_offsets_with_e043(tiny_annotated):
    annotated = tiny_annotated
    def shift(d):
        d["units"][3]["start"] += 1

    def outside(d):
        d["units"][-1]["end"] = len(d["text"]) + 5

    def out_of_order(d):
        d["units"][2], d["units"][3] = d["units"][3], d["units"][2]

    def no_text(d):
        del d["units"][0]["text"]

    for change in (shift, outside, out_of_order, no_text):
        err = _bad(annotated, change)
        assert err.code == "E043", change.__name__
    assert "unit 3" in str(_bad(annotated, shift))
    err = _bad(annotated, lambda d: d.update(text=d["text"][:-50]))
    assert err.code == "E043"


def test_an_error_record_is_valid_json_but_not_a_document():
    record = {"schema": SCHEMA_ID, "id": "a.txt", "error": "[E021] Cannot decode a.txt as UTF-8, UTF-16 or GB18030."}
    jsonschema.validate(record, policy_nlp.load_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "error": "no code"}, policy_nlp.load_schema())
    with pytest.raises(DataError) as info:
        AnnotatedDocument.from_json(record)
    assert info.value.code == "E043" and "error record" in str(info.value)


@pytest.mark.parametrize("label, other, expected", [
    ("plan", "plans", True), ("enforcment", "enforcement", True), ("shortcomigns", "shortcomings", True),
    ("Dispute-Resolution", "dispute_resolution", True), ("plans", "plans", False), ("plots", "plans", False),
    ("enforce", "enforcement", False), ("business_env", "business_environment", False), ("执法", "执法监督", False),
    ("", "plans", False), ("busines_enviroment", "business_environment", True),
])
def test_a_label_looks_like_a_misspelling_within_one_or_two_edits(label, other, expected):
    from policy_nlp.corpus.document import looks_like

    assert looks_like(label, other) is expected


def test_one_unit_type_for_annotated_reviewed_and_labelled_units(seeds):
    """Units of reviewer JSON, of a labelling tool's export and of the training data are one type; where a
    labelled unit came from is never written to reviewer JSON."""
    from policy_nlp.corpus.review_formats import from_doccano
    from policy_nlp.learn.labelled_data import read_corpus

    name, text = next(iter(seeds.items()))
    line = json.dumps({"text": text[:4], "label": ["plans"], "doc": name, "start": 0, "end": 4, "kind": "sentence"},
                      ensure_ascii=False)
    [reviewed] = from_doccano([line])
    labelled = read_corpus().units[0]
    assert type(reviewed) is type(labelled) is AnnotatedUnit
    assert reviewed.reviewed and reviewed.labels == ["plans"] and reviewed.doc == name and reviewed.line == 1
    plain = AnnotatedUnit(labelled.start, labelled.end, labelled.text, labelled.kind, labels=list(labelled.labels),
                          reviewed=labelled.reviewed)
    assert labelled.source and labelled.to_dict() == plain.to_dict()
    assert labelled.to_row() == {"doc": labelled.doc, "start": labelled.start, "end": labelled.end,
                                 "text": labelled.text, "kind": labelled.kind, "labels": labelled.labels}


def test_the_metadata_read_with_the_tokenizers_folded_text_equals_it_read_alone(char_nlp, seeds):
    """`from_doc` hands the metadata a Simplified report's normalised text as its full-width-folded input:
    it is `fold_width(text)` there, and the metadata equal those of the text alone (seeds, their first 2,000
    characters, a Traditional conversion, full-width forms and astral-plane characters, edge cases)."""
    from policy_nlp.components.normalize import _converter, fold_width
    from policy_nlp.corpus.metadata import extract_metadata

    texts = list(seeds.values())
    texts += [t[:2000] for t in texts] + [_converter("s2t").convert(texts[0])]
    texts += ["", " ", "法", "一、总体情况\n" + "全面推进依法行政，（ＡＢ１）𠀀" * 120, "ＡＢＣ\n" * 700]
    for text in texts:
        doc = char_nlp.make_doc(text)
        if doc._.script == "simplified":
            assert doc._.norm_text == fold_width(text)
        got = AnnotatedDocument.from_doc(char_nlp(text), text=text)
        assert got.metadata == extract_metadata(text).to_dict(), text[:30]


def test_the_script_and_conversions_read_from_the_tokenizers_record_equal_the_getters(char_nlp, seeds):
    """`_script_and_conversions` equals `doc._.script`, `t2s_conversion` and, for a Simplified report with a
    conversion, `doc._.norm_text` = `fold_width(text)`: on the seeds, a Traditional conversion, full-width
    forms, astral-plane characters, edge cases, and a Doc without the tokenizer's record."""
    from spacy.tokens import Doc

    from policy_nlp.components.normalize import _converter, fold_width
    from policy_nlp.components.tokenizer import t2s_conversion
    from policy_nlp.corpus.document import _script_and_conversions

    texts = list(seeds.values())
    texts += [_converter("s2t").convert(texts[0]), "", " ", "法", "（ＡＢ１）𠀀全面推进依法行政，" * 50]
    docs = [char_nlp.make_doc(t) for t in texts] + [Doc(char_nlp.vocab, words=["法治", "政府"])]
    for text, doc in zip(texts + [None], docs):
        script, converted, folded = _script_and_conversions(doc)
        assert (script, converted) == (doc._.script, t2s_conversion(doc))
        if converted is not None and script == "simplified":
            assert folded == doc._.norm_text == fold_width(doc.text)
        else:
            assert folded is None
