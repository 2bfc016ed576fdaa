import json

import pytest

from policy_nlp.corpus.jsonio import loads, script_json
from policy_nlp.errors import DataError


def test_script_json_cannot_end_its_script_element():
    data = {"text": "</script><b>&\u2028\u2029", "label": "执法"}
    out = script_json(data)
    assert not any(ch in out for ch in "<>&\u2028\u2029")
    assert "执法" in out and json.loads(out) == data


def test_json_nested_too_deep_is_a_coded_error():
    with pytest.raises(DataError) as err:
        loads("[" * 100_000 + "]" * 100_000, "deep.json")
    assert err.value.code == "E118"
