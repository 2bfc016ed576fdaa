from policy_nlp.components.normalize import fold_width
from policy_nlp.pipeline import create_pipeline
from policy_nlp.rules import default_rules
from policy_nlp.components.units import segment


def _char_tokenizer():
    return create_pipeline("char").tokenizer


def test_doc_text_is_the_input_and_norms_are_simplified(seeds):
    tok = _char_tokenizer()
    text = seeds["000_5ec25145ee5b4dd1.txt"]
    doc = tok(text)
    assert doc.text == text
    assert doc._.script == "traditional"
    assert len(doc._.norm_text) == len(text)
    token = next(t for t in doc if t.text == "區")
    assert token.norm_ == "区"


def test_tokens_never_cross_unit_boundaries(seeds):
    tok = _char_tokenizer()
    for text in seeds.values():
        doc = tok(text)
        for unit in segment(doc._.norm_text, default_rules()):
            assert doc.char_span(unit.start, unit.end) is not None


def test_full_width_and_ascii_variants_tokenize_the_same_way(seeds):
    tok = _char_tokenizer()
    text = seeds["001_29805cf611cff4c1.txt"]
    full = text.replace(",", "，").replace("(", "（").replace(")", "）").replace(":", "：")
    a, b = tok(text), tok(full)
    assert [t.idx for t in a] == [t.idx for t in b]
    assert b.text == full
    assert b._.norm_text == fold_width(full)


def test_pkuseg_segments_words_and_keeps_offsets(pkuseg_nlp, seeds):
    text = seeds["000_5ec25145ee5b4dd1.txt"]
    doc = pkuseg_nlp.make_doc(text)
    assert doc.text == text
    words = [t.text for t in doc[:6]]
    assert "延慶區" in words  # segmented on the Simplified form, kept in the Traditional original
    assert max(len(t) for t in doc) > 1
    marked = "我区法\u200b治政府建设。\u200b 进一步加强\ufeff执法。"  # zero-width characters: white space tokens
    doc = pkuseg_nlp.make_doc(marked)
    assert doc.text == marked and {t.text for t in doc if t.norm_.isspace()} == {"\u200b", "\u200b ", "\ufeff"}


def test_tokenizer_settings_round_trip(tmp_path):
    nlp = create_pipeline("char", opencc_config="tw2s")
    nlp.tokenizer.to_disk(tmp_path / "tok")
    other = create_pipeline("char")
    other.tokenizer.from_disk(tmp_path / "tok")
    assert other.tokenizer.opencc_config == "tw2s"
    assert create_pipeline("char").tokenizer.opencc_config != "tw2s"  # the setting came from the file


def test_tokenizer_serialisers_honour_exclude(tmp_path):
    nlp = create_pipeline("char", opencc_config="tw2s")
    data = nlp.tokenizer.to_bytes()
    assert create_pipeline("char").tokenizer.from_bytes(data).opencc_config == "tw2s"
    assert create_pipeline("char").tokenizer.from_bytes(data, exclude=["cfg"]).opencc_config == "t2s"
    assert create_pipeline("char").tokenizer.from_bytes(nlp.tokenizer.to_bytes(exclude=["cfg"])).opencc_config == "t2s"
    nlp.tokenizer.to_disk(tmp_path / "without", exclude=["cfg"])
    assert list((tmp_path / "without").iterdir()) == []
    nlp.tokenizer.to_disk(tmp_path / "tok")
    assert create_pipeline("char").tokenizer.from_disk(tmp_path / "tok", exclude=["cfg"]).opencc_config == "t2s"
    assert create_pipeline("char").tokenizer.from_disk(tmp_path / "tok").opencc_config == "tw2s"


def test_unchanged_input_is_the_text_only_when_normalisation_changed_nothing():
    from policy_nlp.components.tokenizer import unchanged_input

    nlp = create_pipeline("char")
    simplified = "一、总体情况\n我们加强行政执法。"
    assert unchanged_input(nlp.make_doc(simplified)) == simplified
    traditional = "一、總體情況\n我們加強行政執法。"
    assert unchanged_input(nlp.make_doc(traditional)) is None
    doc = nlp.make_doc(simplified)
    doc.user_data.clear()  # a doc without the tokenizer's record: unknown, so None
    assert unchanged_input(doc) is None


def test_the_changed_characters_are_where_the_input_and_its_normalised_text_differ(seeds):
    from policy_nlp.components.tokenizer import CHANGED_KEY, changed_characters

    nlp = create_pipeline("char")
    texts = list(seeds.values())[:3] + _work_reports()[:3]
    texts += ["一、總體情況\n我們加強行政執法３１９件。", "𠀋萬億😀　，", "萬", "", "一、总体情况"]
    for text in texts:
        doc = nlp.make_doc(text)
        norm = doc._.norm_text
        differ = [i for i, (a, b) in enumerate(zip(text, norm)) if a != b]
        if not differ:
            assert changed_characters(doc) is None
            continue
        assert changed_characters(doc) == (differ, "".join(text[i] for i in differ))
        doc.user_data[CHANGED_KEY] = {"offsets": differ, "chars": text[differ[0]] * (len(differ) + 1)}  # damaged
        assert changed_characters(doc) is None


def _work_reports() -> list[str]:
    """The distinct reports the throughput benchmark streams (no text repeats across them)."""
    from conftest import ROOT

    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "training/corpus/work_reports").glob("*.txt"))[:20]]


def _hard_texts(seeds, seed: int, n: int) -> list[str]:
    """Edge cases, the seeds, the distinct reports, and random texts of white space, runs, full-width forms,
    zero-width, Traditional and astral-plane characters."""
    import random

    import opencc

    rng = random.Random(seed)
    alphabet = list(" \n\t\u3000\u2028\x1c\xa0\u200b\ufeffab1.%_，Ａｚ１９＿．％－國们\U00020000\U0001F600") + [
        "  ", " \n ", "ＡＢ", "1．5％", "新词" + str(rng.random())]
    texts = ["", " ", "  ", "\n", "  a", "a  b", "a \u3000 b", "中 \n 文 ", "國", "Ａ", "\U0001F600", "１２．５％ 和 3.5%",
             "a\u200b b", "法\u200b治 \u200b\u2060\n\u200b",
             "增长１２．５％，ａｂｃ_ｄ" * 3000, "ａ ｂ  c \u3000 d 國 " * 500 + " ", "一" * 100_000]
    texts += list(seeds.values()) + [opencc.OpenCC("s2t").convert(t) for t in seeds.values()] + _work_reports()
    return texts + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_char_orths_and_spaces_give_the_doc_of_the_token_spans(seeds):
    from spacy.tokens import Doc

    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.tokenizer import char_orths_and_spaces, words_and_spaces

    tok = _char_tokenizer()
    for text in _hard_texts(seeds, 7, 3000):
        norm = normalize(text).text
        words, spaces = words_and_spaces(text, tok.token_spans(norm))
        orths, got_spaces, _ = char_orths_and_spaces(tok.vocab, text, norm)
        assert got_spaces == spaces and orths == [tok.vocab[w].orth for w in words], text
        doc = tok(text)
        assert doc.to_bytes(exclude=["user_data"]) == Doc(tok.vocab, words=words, spaces=spaces).to_bytes(
            exclude=["user_data"]) or norm != text, text
        assert doc.text == text and [t.text for t in doc] == words, text


def test_the_kept_character_table_gives_the_orths_of_a_fresh_look_up(seeds):
    import numpy as np

    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.tokenizer import CharOrths, _lookup_orths, char_orths_and_spaces

    tok = _char_tokenizer()
    known = CharOrths(tok.vocab)
    for text in _hard_texts(seeds, 13, 3000):  # the table fills as the texts go by
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        got = known.orths(codes).tolist()
        assert got == _lookup_orths(tok.vocab, codes).tolist() == [tok.vocab[chr(c)].orth for c in codes.tolist()]
        assert all(type(orth) is int for orth in got), text  # the ints themselves, for `Doc(words=...)`
        norm = normalize(text).text
        assert char_orths_and_spaces(tok.vocab, text, norm, known)[:2] == char_orths_and_spaces(tok.vocab, text, norm)[:2]
    assert known.table[-1] == 0  # the astral characters, looked up every time, are never entered


def test_characters_first_seen_in_a_memory_zone_are_not_kept():
    import pickle

    import numpy as np

    tok = _char_tokenizer()
    with tok.vocab.memory_zone():
        assert [t.text for t in tok("鑫犇")] == ["鑫", "犇"]
    assert tok._char_orths().table[ord("鑫")] == 0
    assert [t.text for t in tok("鑫犇")] == ["鑫", "犇"]  # outside the zone: looked up again, kept
    assert tok._char_orths().table[ord("鑫")] == tok.vocab["鑫"].orth
    copy = pickle.loads(pickle.dumps(tok))
    assert "_char_table" not in copy.__dict__ and [t.text for t in copy("鑫犇")] == ["鑫", "犇"]
    assert np.count_nonzero(copy._char_orths().table) == 2


def test_the_norm_column_sets_the_norms_token_by_token_would(seeds):
    import numpy as np
    from spacy.tokens import Doc

    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.tokenizer import CharOrths, char_orths_and_spaces, set_norms

    tok = _char_tokenizer()
    for text in _hard_texts(seeds, 17, 2000):
        norm = normalize(text).text
        doc = tok(text)
        words, spaces = [t.text for t in doc], [bool(t.whitespace_) for t in doc]
        by_token = Doc(tok.vocab, words=words, spaces=spaces)  # the norms set one token at a time
        changed = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), np.uint32)
                                 != np.frombuffer(norm.encode("utf-32-le"), np.uint32)).tolist()
        for i in sorted({by_token.char_span(c, c + 1, alignment_mode="expand").start for c in changed}):
            by_token[i].norm_ = norm[by_token[i].idx: by_token[i].idx + len(by_token[i])]
        expected = by_token.to_bytes(), [t.norm_ for t in by_token]
        assert (doc.to_bytes(exclude=["user_data"]), [t.norm_ for t in doc]) == expected, text
        bounds = char_orths_and_spaces(tok.vocab, text, norm)[2]
        # offsets read from the Doc, given; the one-character norms by the table of a fresh or the tokenizer's
        for bounds, known in ((None, None), (bounds, None), (bounds, CharOrths(tok.vocab)), (bounds, tok._char_orths())):
            fresh = Doc(tok.vocab, words=words, spaces=spaces)
            assert set_norms(fresh, text, norm, bounds, known)["offsets"] == changed
            assert (fresh.to_bytes(), [t.norm_ for t in fresh]) == expected, text


def test_white_space_ends_at_u3000():
    from policy_nlp.components.tokenizer import _CHAR_FLAGS, _RUN_CHARS

    assert all(not chr(c).isspace() for c in range(len(_CHAR_FLAGS) - 1, 0x110000))
    assert not any(_RUN_CHARS.match(chr(c)) for c in range(0x80, 0x110000))  # the runs are ASCII
    assert _CHAR_FLAGS[ord(" ")] == 2 and _CHAR_FLAGS[ord("a")] == 1 and _CHAR_FLAGS[-1] == 0


def test_a_doc_built_from_orth_ids_is_the_doc_built_from_the_words(seeds):
    from spacy.tokens import Doc

    from policy_nlp.components.tokenizer import orth_ids

    tok = _char_tokenizer()
    for text in _hard_texts(seeds, 11, 300):
        words, spaces = list(text), [False] * len(text)
        by_ids = Doc(tok.vocab, words=orth_ids(tok.vocab, words), spaces=spaces)
        assert by_ids.to_bytes() == Doc(tok.vocab, words=words, spaces=spaces).to_bytes(), text


def test_the_recorded_t2s_conversion_is_opencc_s_output_for_the_folded_input(seeds):
    """`t2s_conversion` gives `to_simplified(fold_width(text))[0]` for the Docs the t2s tokenizer made (seeds,
    their Traditional conversions, the distinct reports, edge and random texts, a text near the 2 % share whose
    conversion is not its normalised text); None when the character-wise fallback ran, for another OpenCC
    config and for a Doc the tokenizer did not make."""
    from spacy.tokens import Doc

    from policy_nlp.components import normalize as norm_mod
    from policy_nlp.components.tokenizer import T2S_KEY, NormalizingChineseTokenizer, t2s_conversion

    tok = _char_tokenizer()
    near = "法治政府建设推进依法行政工作情况报告" * 5 + "國"
    texts = _hard_texts(seeds, 9, 300) + [near]
    kept_apart = 0
    for text in texts:
        doc = tok(text)
        converted, charwise = norm_mod.to_simplified(fold_width(text))
        assert t2s_conversion(doc) == (None if charwise else converted), ascii(text[:40])
        kept_apart += isinstance(doc.user_data.get(T2S_KEY), str)
        assert norm_mod.normalize(text).converted == (None if charwise else converted)
    assert kept_apart and tok(near)._.script == "simplified" and t2s_conversion(tok(near)) != near
    assert t2s_conversion(Doc(tok.vocab, words=["國"])) is None
    assert t2s_conversion(NormalizingChineseTokenizer(tok.vocab, "char", "tw2s")("國")) is None


def test_no_t2s_conversion_is_recorded_when_the_character_wise_fallback_ran(monkeypatch):
    from policy_nlp.components import normalize as norm_mod
    from policy_nlp.components.tokenizer import t2s_conversion

    class Stretching:
        def convert(self, s):
            return s.replace("著", "着着")

    tok = _char_tokenizer()
    monkeypatch.setattr(norm_mod, "_converter", lambda config: Stretching())
    assert norm_mod.normalize("著書").converted is None and t2s_conversion(tok("著書")) is None
    assert t2s_conversion(tok("書")) == "書"


def test_a_text_is_refused_exactly_when_it_holds_a_surrogate_naming_the_first():
    """The UTF-32 encoder's refusal stands for the surrogate regex: random texts of surrogates (lone, paired,
    reversed), astral-plane characters, the code points around the surrogate range, and edge cases."""
    import random

    import pytest

    from policy_nlp.components.tokenizer import _SURROGATE_RE, check_no_surrogate
    from policy_nlp.errors import DataError

    rng = random.Random(21)
    alphabet = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "\ude00\ud83d", "\ud7ff", "\ue000", "😀",
                "\U0010ffff", "中", "a", "\n", "\x00"]
    texts = ["", "a", "中", "\ud800", "\udfff", "😀"] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
                                                      for _ in range(3000)]
    refused = 0
    for text in texts:
        lone = _SURROGATE_RE.search(text)
        if lone is None:
            check_no_surrogate(text)
            continue
        with pytest.raises(DataError) as info:
            check_no_surrogate(text)
        refused += 1
        assert info.value.code == "E117" and f"at character {lone.start()}:" in str(info.value), ascii(text)
    assert 0 < refused < len(texts)


def test_ids_by_string_store_key_build_the_doc_of_the_words_in_and_out_of_a_memory_zone(seeds):
    """Words of several characters, new and known (the seeds and random texts cut at random, runs of digits
    and letters the char segmenter keeps together): the Doc of their ids (`orth_ids`, and the char segmenter's
    `_token_orths`) is the Doc of the words; in a memory zone the new words stay transient, as `vocab[word]`
    keeps them."""
    import random

    from spacy.tokens import Doc

    from policy_nlp.components.tokenizer import orth_ids

    tok = _char_tokenizer()
    rng = random.Random(8)
    for text in _hard_texts(seeds, 12, 200):
        cuts = sorted({0, len(text), *(rng.randrange(len(text) + 1) for _ in range(len(text) // 3))})
        words = [text[a:b] for a, b in zip(cuts, cuts[1:])]
        spaces = [False] * len(words)
        by_ids = Doc(tok.vocab, words=orth_ids(tok.vocab, words), spaces=spaces)
        assert by_ids.to_bytes() == Doc(tok.vocab, words=words, spaces=spaces).to_bytes(), ascii(text[:40])
    new = ["zq%dxv" % rng.randrange(10**9) for _ in range(3)]
    with tok.vocab.memory_zone():
        doc = tok(" ".join(new) + " 12345 國")
        assert [t.text for t in doc][:3] == new and doc[0].orth == tok.vocab[new[0]].orth
        ids = orth_ids(tok.vocab, ["ab" + new[1]])
    assert not any(word in tok.vocab.strings for word in new + ["ab" + new[1]]) and ids


def test_the_table_leaves_the_skipped_positions_unlooked_up():
    """`CharOrths.orths(codes, skip=...)`: the other positions hold the ids of a fresh look-up, a character
    met only at a skipped position is not entered (its position keeps 0), a known one keeps its id."""
    import numpy as np

    from policy_nlp.components.tokenizer import CharOrths

    tok = _char_tokenizer()
    known = CharOrths(tok.vocab)
    known.orths(np.array([ord("中")], dtype=np.uint32))
    codes = np.array([ord(c) for c in "鑫中犇中𠀀"], dtype=np.uint32)
    got = known.orths(codes, skip=np.array([0, 1])).tolist()
    assert got[2:] == [tok.vocab[c].orth for c in "犇中𠀀"] and got[:2] == [0, tok.vocab["中"].orth]
    assert known.table[ord("鑫")] == 0 and known.table[ord("犇")] == tok.vocab["犇"].orth


def test_char_orths_column_is_the_ids_as_uint64(seeds):
    import numpy as np

    from policy_nlp.components.tokenizer import CharOrths

    tok = _char_tokenizer()
    for text in _hard_texts(seeds, 23, 40)[:60]:
        codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
        for known in (CharOrths(tok.vocab), tok._char_orths()):  # nothing known yet, and filled as it goes
            expected = known.orths(codes).astype(np.uint64)
            for table in (CharOrths(tok.vocab), known):
                column = table.column(codes)
                assert column.dtype == np.uint64 and column.tolist() == expected.tolist(), text[:40]
