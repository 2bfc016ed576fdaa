import json

import jsonschema
import pytest

import policy_nlp
from policy_nlp.document import SCHEMA_ID, AnnotatedDocument


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


def test_from_dict_refuses_other_schemas():
    with pytest.raises(ValueError):
        AnnotatedDocument.from_dict({"schema": "something/v0", "text": "", "units": []})
