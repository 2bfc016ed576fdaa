"""`rules.regex_prefix`: the first-character class of a pattern and the scan that finds exactly the matches
`finditer` finds, on the rules' in-line chrome patterns over real reports and on random patterns and texts."""
from __future__ import annotations

import random
import re

import pytest

from policy_nlp.components.normalize import normalize
from policy_nlp.rules import packaged_rules
from policy_nlp.rules.regex_prefix import PrefixScan, first_char_class

from conftest import ROOT

WORK_REPORTS = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))
EDGE_TEXTS = ["", " ", "\n\n", "a", "中", "𠀀", "時間:2024年1月2日", "發佈時間:2024-01-02 10:20",
              "当前位置:首页>政务公开>法治政府建设 发布时间:2024-01-02", "𠀀" * 50 + "浏览次数:12次" + "𠀀" * 50,
              "分享到:微信 微博 QQ空间" * 3, "打印 关闭", "=== 正文 ===", "来源:某区司法局" * 200]


def _finditer_spans(pattern: re.Pattern, text: str, pos: int, endpos: int) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text, pos, endpos) if m.end() > m.start()]


def _lines(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"[^\n]+", text)]


@pytest.mark.parametrize("version", [3, 4])
def test_the_chrome_scan_finds_what_finditer_finds_on_the_reports(version, seeds):
    """Per line and over the whole text, on the seeds, the work reports (no text repeats), edge cases and
    random cuts of the seeds (a cut can start or end inside a chrome match)."""
    rules = packaged_rules(version)
    scan, pattern = rules.inline_chrome_scan, rules.inline_chrome_re
    assert scan.scan is not None  # the packaged patterns get the fast scan
    texts = [normalize(t).text for t in seeds.values()]
    texts += [normalize(p.read_text(encoding="utf-8")).text for p in WORK_REPORTS]
    texts += EDGE_TEXTS
    found = 0
    for text in texts:
        for s, e in _lines(text) + [(0, len(text))]:
            expected = _finditer_spans(pattern, text, s, e)
            assert scan.spans(text, s, e) == expected
            found += len(expected)
    assert found > 20  # the seeds and edge cases have chrome: the comparison saw matches
    rng = random.Random(5)
    for _ in range(300):
        text = rng.choice(texts[:len(seeds)])
        a = rng.randrange(len(text))
        b = rng.randrange(a, min(len(text), a + 400) + 1)
        assert scan.spans(text, a, b) == _finditer_spans(pattern, text, a, b)


def test_rules_without_in_line_chrome_have_no_scan():
    assert packaged_rules(1).inline_chrome_scan is None and packaged_rules(2).inline_chrome_scan is None


@pytest.mark.parametrize("pattern, expected", [
    ("abc", "[a]"), ("a|b", "[ab]"), ("a?b", "[ab]"), ("(?:x|y)*z", "[xyz]"), (r"\d+年", r"[\d]"),
    ("[一-十]、", "[一-十]"), (r"(?<=x)ab", "[a]"), (r"^\s*a", r"[\sa]"), ("(?=a)[ab]c", "[ab]"),
])
def test_the_first_character_class(pattern, expected):
    got = first_char_class(pattern)
    assert got is not None
    assert {c for c in "abcxyz一二十3 年" if re.fullmatch(got, c)} == {c for c in "abcxyz一二十3 年"
                                                                     if re.fullmatch(expected, c)}


@pytest.mark.parametrize("pattern", ["a*", "(?:a|)", ".b", "[^a]b", r"(a)?\1b", "(?i)ab", "a|.", r"\bx?", ""])
def test_patterns_that_can_start_anywhere_or_match_nothing_have_no_class(pattern):
    assert first_char_class(pattern) is None


def test_a_pattern_with_groups_or_without_class_scans_with_finditer():
    for source in ("(a)b", "a*", "(?i)ab"):
        scan = PrefixScan(re.compile(source))
        assert scan.scan is None
        assert scan.spans("xaAbab", 0, 6) == _finditer_spans(scan.pattern, "xaAbab", 0, 6)


_ATOMS = ["a", "b", "中", "𠀀", "[ab]", "[a-c]", r"\d", r"\s", r"\w", "[^a]", ".", "(?=a)", "(?!b)", "(?<=a)", "^",
          "$", r"\b"]


def _random_pattern(rng: random.Random, depth: int = 0) -> str:
    """A random pattern of literals, classes, anchors, look-arounds, groups, repeats and alternatives."""
    parts = []
    for _ in range(rng.randrange(1, 4)):
        roll = rng.random()
        if roll < 0.2 and depth < 2:
            item = "(?:" + "|".join(_random_pattern(rng, depth + 1) for _ in range(rng.randrange(1, 4))) + ")"
        else:
            item = rng.choice(_ATOMS)
        if not item.startswith(("(?=", "(?!", "(?<", "^", "$", "\\b")) and rng.random() < 0.3:
            item += rng.choice(["?", "*", "+", "{2}", "{1,3}?", "??"])
        parts.append(item)
    return "".join(parts)


def test_the_scan_equals_finditer_on_random_patterns_and_texts():
    rng = random.Random(11)
    alphabet = "ab c中𠀀1\n"
    scanned = 0
    for _ in range(1500):
        source = _random_pattern(rng)
        try:
            pattern = re.compile(source)
        except re.error:
            continue
        scan = PrefixScan(pattern)
        scanned += scan.scan is not None
        for _ in range(5):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
            a = rng.randrange(len(text) + 1)
            b = rng.randrange(a, len(text) + 1)
            assert scan.spans(text, a, b) == _finditer_spans(pattern, text, a, b), (source, text, a, b)
    assert scanned > 300  # most random patterns got the fast scan


@pytest.mark.parametrize("pattern, flags, expected", [
    ("^a", 0, True), (r"\Aa", 0, True), ("(?:^a)", 0, True), ("^(?:a|b)c", 0, True), ("^a|b", 0, False),
    ("(?:^a|b)", 0, False), ("(^a)", 0, False), ("a^", 0, False), ("a", 0, False), ("", 0, False),
    ("(?m)^a", 0, False), ("^a", re.MULTILINE, False)])
def test_anchored_at_start(pattern, flags, expected):
    from policy_nlp.rules.regex_prefix import anchored_at_start

    assert anchored_at_start(re.compile(pattern, flags)) is expected


def test_an_anchored_pattern_matches_only_strings_opening_with_its_first_class():
    """What `anchored_at_start` promises: on random strings, an anchored pattern's `search` finds a match
    only where the string's first character is in `first_char_class`, and at 0."""
    from policy_nlp.rules.regex_prefix import anchored_at_start

    rng = random.Random(3)
    patterns = [p for p in ("^(?:20\\d\\d年|今后|下一步)[^。]{0,5}?将", "^a|^b", "\\A[ab]+c", "^(?:x|y)?z")
                if anchored_at_start(re.compile(p))]
    assert len(patterns) == 4
    for p in patterns:
        pattern, first = re.compile(p), re.compile(first_char_class(p))
        for _ in range(500):
            text = "".join(rng.choice("2024年今后下一步将abcxyz。\n ") for _ in range(rng.randrange(12)))
            m = pattern.search(text)
            assert m is None or (m.start() == 0 and first.match(text)), (p, text)
