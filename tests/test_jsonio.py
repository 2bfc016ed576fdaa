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


def test_an_integer_too_long_for_int_is_a_decode_error_and_read_gives_the_callers_code(tmp_path):
    from policy_nlp.jsonio import read

    with pytest.raises(json.JSONDecodeError):
        loads('{"n": 1' + "0" * 5000 + "}")
    for name, content in (("deep.json", "[" * 100_000 + "]" * 100_000), ("broken.json", '{"a": '),
                          ("long.json", "1" * 5000), ("bytes.json", b"\xff")):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(KeyError) as err:  # any exception the caller builds from the detail
            read(path, lambda detail: KeyError(detail))
        assert err.value.args[0]
    with pytest.raises(KeyError):
        read(tmp_path / "missing.json", lambda detail: KeyError(detail))
