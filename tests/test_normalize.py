from policy_nlp.components import normalize as norm_mod
from policy_nlp.components.normalize import fold_width, normalize, to_simplified


def test_fold_width_keeps_length_and_folds_ascii_forms():
    text = "（一）行政執法，２０２４年！Ａ？"
    out = fold_width(text)
    assert len(out) == len(text)
    assert out == "(一)行政執法,2024年!A?"


def test_traditional_text_is_detected_and_converted_length_preserving(seeds):
    text = seeds["000_5ec25145ee5b4dd1.txt"]
    n = normalize(text)
    assert n.script == "traditional"
    assert len(n.text) == len(text)
    assert "延庆区" in n.text and "延慶區" in text


def test_simplified_text_is_left_alone(seeds):
    text = seeds["001_29805cf611cff4c1.txt"]
    n = normalize(text)
    assert n.script == "simplified"
    assert n.text == fold_width(text)


def test_charwise_fallback_when_opencc_changes_length(monkeypatch):
    class Stretching:
        def convert(self, s):  # a converter whose phrase table changes the length
            return s.replace("著", "着着") if len(s) > 1 else {"著": "着", "書": "书"}.get(s, s)

    monkeypatch.setattr(norm_mod, "_converter", lambda config: Stretching())
    out, charwise = to_simplified("著書立說", "t2s")
    assert charwise is True
    assert out == "着书立說" and len(out) == 4


def test_fold_width_is_the_full_width_table_applied_char_by_char():
    import random

    table = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    rng = random.Random(11)
    alphabet = ["\uff00", "\uff01", "\uff5e", "\uff5f", "，", "Ａ", "１", "a", "中", "\u3000", "\ud800", "😀", "\n"]
    texts = ["", "中文", "\ud800ｂ"] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
                                      for _ in range(500)]
    texts += ["".join(rng.choice(alphabet[4:]) for _ in range(n)) for n in (510, 511, 512, 513, 3000)]  # both paths
    texts += ["中" * n + end for n in (510, 511, 512, 2000) for end in ("", "，")]
    for text in texts:
        assert fold_width(text) == text.translate(table), ascii(text)


def _plain_normalize(text: str) -> norm_mod.Normalized:
    """`normalize` as it was: the CJK characters OpenCC changed counted whatever its output."""
    import numpy as np

    folded = fold_width(text)
    simplified, charwise = to_simplified(folded)
    before = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    after = np.frombuffer(simplified.encode("utf-32-le"), dtype=np.uint32)
    cjk = ((before >= 0x4E00) & (before <= 0x9FFF)) | ((before >= 0x3400) & (before <= 0x4DBF))
    changed = int((cjk & (before != after)).sum())
    if cjk.sum() and changed / cjk.sum() >= norm_mod.TRADITIONAL_RATIO:
        return norm_mod.Normalized(simplified, "traditional", charwise)
    return norm_mod.Normalized(folded, "simplified", False)


def test_a_text_opencc_leaves_as_it_is_is_simplified_without_counting(seeds):
    """The shortcut for OpenCC's output equal to the folded text gives what counting the changed characters
    gives: on the seeds, their Traditional conversions, the distinct work reports, texts near the 2 % share of
    Traditional characters, and edge cases."""
    import random
    from pathlib import Path

    import opencc

    root = Path(__file__).resolve().parent.parent
    texts = list(seeds.values()) + [opencc.OpenCC("s2t").convert(t) for t in seeds.values()]
    texts += [p.read_text(encoding="utf-8") for p in sorted((root / "training" / "corpus" / "work_reports").glob("*.txt"))[:20]]
    rng = random.Random(5)
    body = "法治政府建设推进依法行政工作情况报告" * 3
    texts += [body[:k] + "國" * n + "，ＡＢ" for k in (0, 20, 50) for n in range(0, 4)]
    texts += ["".join(rng.choice("國们中文，Ａ １\n\U00020000😀") for _ in range(rng.randint(0, 30))) for _ in range(300)]
    texts += ["", " ", "\u3000", "中", "國", "😀", "\U00020000", "一" * 100_000]
    assert any(_plain_normalize(t).script == "traditional" for t in texts)
    for text in texts:
        assert normalize(text) == _plain_normalize(text), ascii(text[:40])


def test_zero_width_characters_become_spaces_and_the_length_is_kept():
    from policy_nlp.components.normalize import ZERO_WIDTH

    text = "法\u200b治\u200c政\u200d府\u2060建\ufeff设"
    assert fold_width(text) == "法 治 政 府 建 设" == normalize(text).text
    assert "".join(fold_width(c) for c in ZERO_WIDTH) == " " * len(ZERO_WIDTH)
    long = "（一）加强执法。\u200b" * 100  # the arrays' path: both kinds of change at once
    assert fold_width(long) == "(一)加强执法。 " * 100
    assert fold_width("\u3000 \u200a") == "\u3000 \u200a"  # white space already: left alone


def test_zero_width_characters_change_no_unit_label_or_metadata(char_nlp, seeds):
    """A report with U+200B inside its words and after every sentence end reads as without them: no unit of
    zero-width characters only, the same kinds, labels and metadata; the offsets and text are the input's."""
    import policy_nlp

    text = seeds["001_29805cf611cff4c1.txt"]
    marked = text.replace("法治", "法\u200b治").replace("。", "。\u200b")
    plain, doc = policy_nlp.annotate(text, nlp=char_nlp), policy_nlp.annotate(marked, nlp=char_nlp)
    assert char_nlp(marked).text == marked == doc.text
    assert all(u.text == marked[u.start:u.end] and u.text.strip("\u200b \n") for u in doc.units)
    assert [(u.kind, u.labels) for u in doc.units] == [(u.kind, u.labels) for u in plain.units]
    assert doc.metadata == plain.metadata and doc.metadata["kind"]["value"] == "rule_of_law_report"
    assert doc.warnings == plain.warnings == []
