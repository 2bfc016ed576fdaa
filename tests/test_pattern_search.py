"""model.pattern_search: searching only the strings that hold a required literal finds what searching every
string finds."""
import re

import numpy as np
import pytest

from policy_nlp.model.pattern_search import BatchSearch, found_in, required_strings
from policy_nlp.rules import default_rules

from conftest import ROOT, SEEDS

PATTERNS = [r"下一步|今后|明年", r"^(?!.*整改).*?(?:不足|(?<!补)短板|存在.{0,6}问题|问题(?:和|与|及))",
            r"(?:^|[,，])(?:我区|全市)?将(?![^,，]{0,40}?纳入)|力争", r"a+b*c", r"(?i)abc", r"(?i:ab)c|d",
            r"x?y", r"[^a]b|c", r"\d+年", r"(?:ab){2,}", r"(?>ab|cd)e", r"^$", r"", r"(a)\1", r"[a-c]d",
            r"哈哈|哈", r"(?x) a  b  # comment", r"𠀀+|\U0001F600", r"abcdeab|xyabcdexy"]


def _strings(seed: int, n: int = 500) -> list[str]:
    rng = np.random.default_rng(seed)
    alphabet = list("abcdexyABC下一步今后明年不足短板补存在问题和整改将纳入力争我区全市,，0123 哈𠀀😀\n")
    return ["".join(rng.choice(alphabet, size=rng.integers(0, 30))) for _ in range(n)] + ["", "\x00", "ab" * 500]


def _lines(paths) -> list[str]:
    return [line for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def _every(patterns, strings) -> np.ndarray:
    return np.array([[p.search(s) is not None for p in patterns] for s in strings],
                    dtype=bool).reshape(len(strings), len(patterns))


def test_the_rules_patterns_on_the_seeds_and_the_reports():
    rules = default_rules()
    patterns = [*rules.part_cues.values(), rules.future_re]
    assert all(required_strings(p) for p in patterns)
    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))
    strings = _lines(sorted(SEEDS.glob("*.txt"))) + _lines(reports)
    got = BatchSearch(patterns).found(strings)
    assert got.any(axis=0).all()
    np.testing.assert_array_equal(got, _every(patterns, strings))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_patterns_on_random_strings(pattern):
    compiled = re.compile(pattern)
    strings = _strings(0)
    np.testing.assert_array_equal(BatchSearch([compiled]).found(strings), _every([compiled], strings))


@pytest.mark.parametrize("pattern", PATTERNS)
def test_found_in_one_text_at_a_time_is_the_search(pattern):
    compiled = re.compile(pattern)
    strings = _strings(1) + ["\ud800", "𠀀" * 3, "将" * 5000]
    assert [found_in(compiled)(s) for s in strings] == [compiled.search(s) is not None for s in strings]


def test_found_in_with_the_rules_patterns_on_the_seeds_the_reports_and_their_traditional_script():
    import opencc

    rules = default_rules()
    lines = _lines(sorted(SEEDS.glob("*.txt"))) + _lines(sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt")))
    lines += opencc.OpenCC("s2t").convert("\n".join(lines[:300])).split("\n")
    sentences = [s for line in lines for s in re.split("(?<=[。；])", line) if s]
    for pattern in [*rules.part_cues.values(), rules.future_re]:
        got = [found_in(pattern)(s) for s in sentences]
        assert got == [pattern.search(s) is not None for s in sentences] and any(got)


def test_what_each_pattern_requires():
    assert required_strings(re.compile(r"下一步|今后")) == {"下一步", "今后"}
    assert required_strings(re.compile(r"存在.{0,6}问题")) == {"存在"}  # one run suffices
    assert required_strings(re.compile(r"x?yz+")) == {"y"}
    assert required_strings(re.compile(r"依法全面履行政府职能|明年")) == {"依法全面", "明年"}  # a run's first four
    assert required_strings(re.compile(r"(?i)abc")) is None  # case-insensitive: not read
    assert required_strings(re.compile(r"a|\d")) is None  # a path without a literal
    assert required_strings(re.compile(r"")) is None


def test_no_strings_and_no_patterns():
    assert BatchSearch([re.compile("a")]).found([]).shape == (0, 1)
    assert BatchSearch([]).found(["a"]).shape == (1, 0)
