import pytest

from policy_nlp.corpus.decoding import decode_bytes, decode_text
from policy_nlp.errors import PolicyNLPError

TRADITIONAL = "本府依法行政,推動法治政府建設,加強行政執法監督與行政爭議調解工作。全年辦理行政復議案件12件。\n" * 20
SIMPLIFIED = "本区依法行政，推动法治政府建设，加强行政执法监督与行政争议调解工作。全年办理行政复议案件12件。\n" * 20


def test_big5_is_read_as_big5_not_mangled_as_gbk():
    """Big5 bytes decode as GB18030 to kana, Cyrillic and box drawing (which the plausibility check refuses);
    read as Big5 they are the report."""
    data = TRADITIONAL.encode("big5")
    assert data.decode("gb18030") != TRADITIONAL  # the wrong reading exists
    assert decode_bytes(data) == (TRADITIONAL, "big5")


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8", "utf-16"])
def test_simplified_reports_keep_their_encodings(encoding):
    expected = {"gbk": "gb18030", "utf-16": "utf-16"}.get(encoding, encoding)
    assert decode_bytes(SIMPLIFIED.encode(encoding)) == (SIMPLIFIED, expected)


def test_undecodable_bytes_are_e021_with_the_first_bad_byte():
    data = SIMPLIFIED.encode("utf-8")[:30] + b"\xff\xfe\x00\x01" * 40
    with pytest.raises(PolicyNLPError) as info:
        decode_text(data, "broken.txt")
    message = str(info.value)
    assert info.value.code == "E021" and "broken.txt" in message
    assert f"byte 30 of {len(data)}" in message and "ff fe 00 01" in message


def _e021(data: bytes) -> str:
    with pytest.raises(PolicyNLPError) as info:
        decode_text(data, "broken.txt")
    assert info.value.code == "E021"
    return str(info.value)


def test_e021_counts_the_offset_in_the_file_and_names_the_decoder_that_failed():
    """A UTF-8 BOM counts in the offset; a UTF-16 file is named as such; a text full of control characters
    names the first of them, not an invalid byte at 0."""
    good = SIMPLIFIED.encode("utf-8")[:30]
    assert "as UTF-8, byte 33 of" in _e021(b"\xef\xbb\xbf" + good + b"\xff" * 40)
    utf16 = "本区依法行政".encode("utf-16") + b"\x00\xd8" + "依法".encode("utf-16-le")  # a lone surrogate at byte 14
    assert "as UTF-16, byte 14 of" in _e021(utf16)
    controls = ("依法行政" + "\x01" * 50).encode("utf-8")
    message = _e021(controls)
    assert "as UTF-8, byte 12 of" in message and "control character" in message
