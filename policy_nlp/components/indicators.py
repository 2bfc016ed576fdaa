"""`policy_nlp_indicators`: quantitative indicators (counts, amounts, rates and their changes) per unit.

Reads: the unit table in `doc.spans[units_key]` (set by `policy_nlp_report_structure`; boilerplate units are
skipped), the themes the theme model decided (`labels`/`decided` in the group's attrs, when present) and
`Doc._.norm_text`.
Writes: `doc.spans[indicators_key]`: one span per quantity mention, labelled with the canonical indicator
name from the vocabulary (or `unmapped`); the records in the group's attrs `records`, one dict per span in
the same order, with the fields of the gold format (`training/INDICATORS.md`): start, end, text, value,
value_max, qualifier, unit, phrase, phrase_start, phrase_end, role, change, canonical; plus unit_index,
theme, themes and year. Offsets index the input text; text and phrase are the input's own characters.

The extraction is rule-based: `extract_quantities` is a pure function over the normalised text of one unit
(Simplified, ASCII digits and punctuation; same length as the input). The vocabulary of canonical
indicators (`IndicatorVocabulary`, packaged as `policy_nlp/rules/indicators_v1.json`) comes from the config
(`{"@misc": "policy_nlp.indicator_vocabulary.v1"}`) and is saved with the pipeline (`vocabulary.json`).
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import json
import re
import string
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

import numpy as np
import srsly
from spacy import util
from spacy.attrs import IDX, NORM, ORTH
from spacy.language import Language
from spacy.scorer import PRFScore
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.util import registry

from ..errors import ModelError
from ..rules.regex_prefix import scan_pattern
from ..rules.regex_safety import backtracking_risk
from .normalize import _codepoints
from .unit_table import INDICATORS_KEY, UNITS_KEY, register_keys

VOCABULARY_FILE = "vocabulary.json"
RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
UNMAPPED = "unmapped"
# A unit's label compared as its hash (`Span.label`): `Span.label_` looks the string up in the vocabulary's
# store and decodes it, for every unit of every document.
_BOILERPLATE = get_string_id("boilerplate")
_HEADING = get_string_id("heading")
FIELDS = ("start", "end", "text", "value", "value_max", "qualifier", "unit", "phrase", "phrase_start",
          "phrase_end", "role", "change", "canonical", "value_written", "unit_written", "measure", "status")


# ---------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16384)
def _simplify(text: str) -> str:
    from .normalize import fold_width, to_simplified

    return to_simplified(fold_width(text))[0]


@dataclass(frozen=True)
class IndicatorEntry:
    name: str
    theme: str
    description: str
    units: tuple[str, ...]
    phrases: tuple[str, ...]
    per_capita: bool = False
    objects: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = {"name": self.name, "theme": self.theme, "description": self.description,
               "units": list(self.units), "phrases": list(self.phrases)}
        if self.per_capita:
            out["per_capita"] = True
        if self.objects:
            out["objects"] = list(self.objects)
        return out


RULE_PATTERNS = ("plans_heading", "target_cue", "result_cue", "target_after", "threshold_verb", "settle_gap",
                 "per_capita", "derived_before", "derived_after", "own_measure")


@dataclass(frozen=True, eq=False)
class IndicatorRules:
    """The rules of a version-2 vocabulary (its `rules` object): regular expressions that tell targets from
    results (`plans_heading`, `target_cue`, `result_cue`, `target_after`), a threshold passed from the value
    a sentence settles on (`threshold_verb`, `settle_gap`), per-capita values (`per_capita`), a phrase that
    names a derived measure rather than the indicator (`derived_before`/`derived_after`: 单位GDP水耗), a
    quantity's own phrase that names its measure (`own_measure`: 仲裁结案率, 民生支出), and the units that count
    objects (`count_units`). Validate with `from_dict` (E180)."""

    patterns: Mapping[str, re.Pattern]
    count_units: frozenset

    @classmethod
    def from_dict(cls, data: Any, source: str) -> "IndicatorRules":
        if not isinstance(data, Mapping):
            raise ModelError("E180", source=source, detail="'rules' is not a JSON object")
        unknown = set(data) - set(RULE_PATTERNS) - {"count_units"}
        missing = set(RULE_PATTERNS) - set(data)
        if unknown or missing:
            raise ModelError("E180", source=source,
                             detail=f"unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
        patterns = {}
        for key in RULE_PATTERNS:
            try:
                patterns[key] = re.compile(data[key])
            except (TypeError, re.error) as exc:
                raise ModelError("E180", source=source, detail=f"'{key}' is not a regular expression ({exc})")
            risk = backtracking_risk(data[key])
            if risk:
                raise ModelError("E180", source=source, detail=f"'{key}' can backtrack catastrophically ({risk})")
        units = data.get("count_units", [])
        if not isinstance(units, list) or not all(isinstance(u, str) and u for u in units):
            raise ModelError("E180", source=source, detail="'count_units' must be a list of strings")
        return cls(patterns, frozenset(units))

    def __post_init__(self) -> None:
        """Each pattern an attribute of its own (`rules.per_capita`): the records of a document read them
        thousands of times, and a plain attribute is read without a `__getattr__` call. `result_cue_in`:
        whether `result_cue` occurs in a string (`_occurs_in`)."""
        for key, pattern in self.patterns.items():
            object.__setattr__(self, key, pattern)
        object.__setattr__(self, "result_cue_in", _occurs_in(self.patterns["result_cue"]))


def _occurs_in(pattern: re.Pattern):
    """A function telling whether `pattern.search(text)` finds a match (its truth value, not the match).
    A pattern that does not open with a literal or a class (`result_cue`: `(?<![比较])(?:去年|上年)…|过去一年|…`)
    is tried at every position, alternative by alternative. The class of the characters a match can start
    with (`first_char_class`, worked out when the rules load), then `pattern` in a look-ahead inside a
    look-behind over that character, stops only where a match can start (`re`'s class prefix search, in C)
    and matches `pattern` there: the same positions match, in half the time on the work reports' sentences.
    Without a first-character class, `pattern.search` itself (`regex_prefix.scan_pattern`)."""
    scan = scan_pattern(pattern)
    return scan.search if scan is not None else pattern.search


def _longest_first(hits: list[tuple]) -> list[tuple]:
    """spaCy's `filter_spans` over hits that open with their (start, end) character offsets, given in start
    order, one per start: where two overlap the longer wins, the first of equal length. The caller
    (`_search`) calls it only when two overlap, having seen it while searching. Sorting by length alone
    keeps hits of equal length in start order (the sort is stable), as (-length, start) did."""
    kept, seen = [], set()
    for hit in sorted(hits, key=lambda h: h[0] - h[1]):
        s, e = hit[0], hit[1]
        if s not in seen and e - 1 not in seen:
            kept.append(hit)
            seen.update(range(s, e))
    return sorted(kept)


@dataclass(eq=False)
class IndicatorVocabulary:
    """Canonical indicators and the phrases that name them. Build with `from_dict`/`from_file`."""

    name: str
    version: int
    entries: tuple[IndicatorEntry, ...]
    source: str = "<dict>"
    rules_data: Mapping[str, Any] | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> "IndicatorVocabulary":
        """Validate a vocabulary document ({name, version, indicators: [...]}); a bad one raises E090."""
        if not isinstance(data, Mapping) or not isinstance(data.get("indicators"), list):
            raise ModelError("E090", source=source, detail="expected a JSON object with an 'indicators' list")
        entries, seen = [], set()
        for k, item in enumerate(data["indicators"]):
            if not isinstance(item, Mapping):
                raise ModelError("E090", source=source, detail=f"indicator {k} is not an object")
            name, phrases, units = item.get("name"), item.get("phrases"), item.get("units", [])
            if not isinstance(name, str) or not name or name == UNMAPPED:
                raise ModelError("E090", source=source, detail=f"indicator {k} has no usable 'name'")
            if name in seen:
                raise ModelError("E090", source=source, detail=f"indicator '{name}' is listed twice")
            if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p for p in phrases):
                raise ModelError("E090", source=source, detail=f"indicator '{name}' needs a list of phrases")
            if not isinstance(units, list) or not all(isinstance(u, str) and u for u in units):
                raise ModelError("E090", source=source, detail=f"indicator '{name}': 'units' must be strings")
            objects = item.get("objects", [])
            if not isinstance(objects, list) or not all(isinstance(o, str) and o for o in objects):
                raise ModelError("E090", source=source, detail=f"indicator '{name}': 'objects' must be strings")
            seen.add(name)
            entries.append(IndicatorEntry(name, str(item.get("theme") or name.split(".")[0]),
                                          str(item.get("description", "")), tuple(units), tuple(phrases),
                                          bool(item.get("per_capita", False)), tuple(objects)))
        rules = data.get("rules")
        if rules is not None:
            IndicatorRules.from_dict(rules, source)
        return cls(str(data.get("name", "policy_nlp.indicators")), int(data.get("version", 1)), tuple(entries),
                   source, dict(rules) if rules is not None else None)

    @classmethod
    def from_file(cls, path: str | Path) -> "IndicatorVocabulary":
        from ..rules import read_json

        return cls.from_dict(read_json(path, "E090"), str(path))

    def extended(self, other: "IndicatorVocabulary") -> "IndicatorVocabulary":
        """A copy with `other`'s entries added (an entry of the same name gets the other's phrases and units
        added to its own)."""
        data = self.to_dict()
        by_name = {e["name"]: e for e in data["indicators"]}
        for entry in other.entries:
            if entry.name in by_name:
                mine = by_name[entry.name]
                mine["phrases"] = list(dict.fromkeys(mine["phrases"] + list(entry.phrases)))
                mine["units"] = list(dict.fromkeys(mine["units"] + list(entry.units)))
            else:
                data["indicators"].append(entry.to_dict())
        return IndicatorVocabulary.from_dict(data, f"{self.source} + {other.source}")

    def to_dict(self) -> dict:
        out = {"name": self.name, "version": self.version}
        if self.rules_data is not None:
            out["rules"] = dict(self.rules_data)
        out["indicators"] = [e.to_dict() for e in self.entries]
        return out

    @property
    def rules(self) -> IndicatorRules | None:
        """The compiled rules (None for a version-1 vocabulary, which has none: no result/target flag, no
        per-capita, threshold or counted-object checks, as before)."""
        if "rules" not in self._cache:
            self._cache["rules"] = (IndicatorRules.from_dict(self.rules_data, self.source)
                                    if self.rules_data is not None else None)
        return self._cache["rules"]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @property
    def fingerprint(self) -> str:
        canon = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    def __eq__(self, other) -> bool:
        return isinstance(other, IndicatorVocabulary) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self):
        return (_vocabulary_from_data, (self.to_dict(), self.source))

    # -- look-ups -------------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    def entry(self, name: str) -> IndicatorEntry | None:
        return self._index().get(name)

    def theme(self, name: str | None) -> str | None:
        entry = self._index().get(name) if name else None
        return entry.theme if entry else None

    def themes(self) -> dict[str, str]:
        """Each indicator's theme by name (what `theme` answers for a name it knows; the component looks up
        each record's in it without two method calls)."""
        if "themes" not in self._cache:
            self._cache["themes"] = {e.name: e.theme for e in self.entries}
        return self._cache["themes"]

    def _index(self) -> dict[str, IndicatorEntry]:
        if "index" not in self._cache:
            self._cache["index"] = {e.name: e for e in self.entries}
        return self._cache["index"]

    def _pattern(self) -> tuple[re.Pattern | None, dict[str, tuple[str, ...]]]:
        if "pattern" not in self._cache:
            owners: dict[str, list[str]] = {}
            for e in self.entries:
                for p in e.phrases:
                    owners.setdefault(_simplify(p), []).append(e.name)
            self._cache["pattern"] = (re.compile(phrase_trie_pattern(owners)) if owners else None,
                                      {p: tuple(names) for p, names in owners.items()})
        return self._cache["pattern"]

    def match(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """Vocabulary phrases in text[start:end] (Simplified): (start, end, phrase, indicator names), left to
        right. Of the longest phrase starting at each position, where two overlap the longer wins, the first
        of equal length (spaCy's `filter_spans`, over character offsets)."""
        return self._search(text, start, len(text) if end is None else end)

    def _search(self, text: str, start: int, end: int) -> list[tuple[int, int, str, tuple[str, ...]]]:
        """The longest phrase at each start (the trie's alternatives are tried longest first), each hit made
        once in its final shape; overlaps are resolved only when the search saw one (nearly never)."""
        pattern, owners = self._pattern()
        if pattern is None:
            return []
        hits, overlap, last_end = [], False, -1
        m = pattern.search(text, start, end)
        while m:
            s, e = m.span()
            phrase = m.group()
            hits.append((s, e, phrase, owners[phrase]))
            overlap = overlap or s < last_end
            last_end = e
            m = pattern.search(text, s + 1, end)
        return _longest_first(hits) if overlap else hits

    def canonical(self, phrase: str) -> str | None:
        """The canonical name a wording maps to (the longest vocabulary phrase inside it), else None."""
        text = _simplify(phrase)
        hits = self.match(text)
        if not hits:
            return None
        s, e, p, names = max(hits, key=lambda h: (h[1] - h[0], -h[0]))
        return names[0]


def phrase_trie_pattern(phrases) -> str:
    """A regular expression of the phrases as a trie (`审(?:结(?:行政复议案件|…)|查…)`): at each position it
    matches what `"|".join(phrases sorted longest first)` matches, the longest phrase starting there, but
    tries only the phrases that go on with the next character instead of every phrase in turn. The first
    characters are dispatched in two steps (`_first_char_groups`)."""
    trie: dict = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}  # a phrase ends here
    return _first_char_groups(trie)


_FIRST_CHAR_GROUP = 32  # first characters per look-ahead group (measured: 24–40 alike, 16 slower)


def _first_char_groups(trie: dict) -> str:
    """The trie's root as `(?=[all first chars][all second chars])(?:(?=[group 1])(?:a…|b…)|(?=[group 2])(?:…)|…)`.
    `re` skips to a possible first character by itself, but there it tries the root's alternatives one after
    another (one per first character, ~160); the look-ahead over each group of `_FIRST_CHAR_GROUP` first
    characters lets it pass a whole group at once (the phrase search takes ~0.6× the time on the work
    reports). The outer look-ahead turns away every other position with set tests (`re` no longer skips them
    by itself, as the pattern no longer opens with a literal per branch): a first character, then, when no
    phrase is a single character, a character that comes second in some phrase (`_second_chars`). About a
    third of a report's characters can open a phrase, and most of them are not followed by a second
    character of any: those no longer enter the groups (the vocabulary's phrase search ≈ 0.63× as long)."""
    firsts = sorted(ch for ch in trie if ch)
    if len(firsts) <= _FIRST_CHAR_GROUP:
        return _trie_regex(trie, root=True)
    groups = [firsts[i:i + _FIRST_CHAR_GROUP] for i in range(0, len(firsts), _FIRST_CHAR_GROUP)]
    alternatives = ["(?=" + _char_set(g) + ")(?:" + "|".join(re.escape(ch) + _trie_regex(trie[ch]) for ch in g)
                    + ")" for g in groups]
    seconds = _second_chars(trie)
    return ("(?=" + _char_set(firsts) + (_char_set(seconds) if seconds else "") + ")(?:" + "|".join(alternatives)
            + ")")


def _second_chars(trie: dict) -> list[str]:
    """The characters that come second in the trie's phrases, or none when a phrase is a single character
    (it needs no second one: the units of `_UNIT_RE`, 件)."""
    if any("" in trie[ch] for ch in trie if ch):
        return []
    return sorted({second for ch in trie if ch for second in trie[ch]})


def _char_set(chars: list[str]) -> str:
    return "[" + "".join(re.escape(ch) for ch in chars) + "]"


def _trie_regex(node: dict, root: bool = False) -> str:
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if "" in node:  # the shorter phrase ending here is tried last: the longest one matches first
        return "(?:" + "|".join(branches) + "|)" if branches else ""
    if root or len(branches) == 1:
        return "|".join(branches)
    return "(?:" + "|".join(branches) + ")"


def _vocabulary_from_data(data: dict, source: str) -> IndicatorVocabulary:
    return IndicatorVocabulary.from_dict(data, source)


@functools.lru_cache(maxsize=4)
def packaged_vocabulary(version: int = 2) -> IndicatorVocabulary:
    """The vocabulary shipped as `policy_nlp/rules/indicators_v{version}.json`."""
    path = RULES_DIR / f"indicators_v{version}.json"
    if not path.is_file():
        raise ModelError("E090", source=str(path), detail=f"no packaged vocabulary of version {version}")
    return IndicatorVocabulary.from_file(path)


@registry.misc("policy_nlp.indicator_vocabulary.v1")
def indicator_vocabulary_v1(extra_path: str = "") -> IndicatorVocabulary:
    """The packaged vocabulary version 1 (no rules), plus the entries of a JSON file of your own if
    `extra_path`. Kept so that configs naming it build what they built before."""
    return _with_extra(packaged_vocabulary(1), extra_path)


@registry.misc("policy_nlp.indicator_vocabulary.v2")
def indicator_vocabulary_v2(extra_path: str = "") -> IndicatorVocabulary:
    """The packaged vocabulary version 2 (the default): version 1's entries, `general.gdp_per_capita`,
    per-capita and counted-object information, and the rules for targets, thresholds and derived measures."""
    return _with_extra(packaged_vocabulary(2), extra_path)


def _with_extra(vocab: IndicatorVocabulary, extra_path: str) -> IndicatorVocabulary:
    return vocab.extended(IndicatorVocabulary.from_file(extra_path)) if extra_path else vocab


DEFAULT_VOCABULARY_CONFIG = {"@misc": "policy_nlp.indicator_vocabulary.v2"}


# ---------------------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------------------
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def parse_chinese_number(s: str) -> float | None:
    """Value of a Chinese numeral (三百, 一千二百, 十二, 两, 百, 三万五千); None if it is not one."""
    if not s:
        return None
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _CN_DIGIT:
            if digit is not None:  # 一二 (digit by digit): read as a digit string
                digit = digit * 10 + _CN_DIGIT[ch]
            else:
                digit = _CN_DIGIT[ch]
        elif ch in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[ch]
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            total = (total + (section or 1)) * _CN_BIG[ch]
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


def parse_number(s: str) -> float | None:
    """An Arabic (1,200 / 3.41) or Chinese (三百 / 十二) number."""
    s = s.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", s):
        return float(s.replace(",", ""))
    return parse_chinese_number(s)


_SCALE = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000),
          "百": Decimal(100)}


_PLAIN_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def exact_value(num: str, scale: str | None = None) -> int | float | None:
    """A number as written (`2390.26`, `1,200`, `三百`) times its 万/亿/千/百 scale, computed in decimal so that
    `2390.26亿` is 239026000000 (not 239026000000.00003); an int when integral. None if `num` is no number."""
    return _exact_value(num, scale)


@functools.lru_cache(maxsize=4096)
def _exact_value(num: str, scale: str | None) -> int | float | None:
    """`exact_value`, kept for the last calls (a record reads its number twice: scaled, and as written)."""
    digits = num.strip().replace(",", "")
    if _PLAIN_NUMBER_RE.fullmatch(digits):
        d = Decimal(digits)
    else:
        value = parse_chinese_number(digits)
        if value is None:
            return None
        d = Decimal(int(value))
    if scale:
        d *= _SCALE[scale]
    return int(d) if d == d.to_integral_value() else float(d)


# units: surface form (normalised text) → base unit.
_UNITS: dict[str, str] = {u: u for u in (
    "个百分点", "人次", "家次", "户次", "件次", "场次", "批次", "轮次", "班次", "架次", "车次", "工作日", "平方米",
    "平方公里", "立方米", "公顷", "公里", "千米", "千瓦时", "千瓦", "学时", "课时", "小时", "分钟", "美元", "元",
    "件", "次", "人", "名", "位", "家", "户", "个", "项", "期", "场", "篇", "条", "份", "批", "所", "座", "套", "辆",
    "部", "类", "轮", "宗", "起", "处", "本", "卷", "亩", "吨", "头", "只", "台", "盏", "支", "张", "架", "幅", "床",
    "度", "倍", "岁", "天", "日", "县", "乡", "市", "栋", "册", "株", "艘", "所", "例", "组", "队", "届", "间", "块",
    "片", "段", "座", "棵", "米", "年", "P", "%", "‰", "㎡", "家(次)", "条(个)", "户(次)", "人(次)", "微克/立方米")}
_UNITS.update({"㎡": "平方米", "家(次)": "家（次）", "条(个)": "条（个）", "户(次)": "户（次）", "人(次)": "人（次）",
               "平米": "平方米", "km": "公里", "公斤": "公斤"})
# measure word 个 + unit: 3个工作日, 53个批次
_GE_UNITS = {"工作日", "批次", "轮次", "百分点", "场次"}
# The units as a trie (`phrase_trie_pattern`): the longest unit at a position, as the longest-first alternation
# gives it (the unit ends the pattern, so the first unit that matches is the match), with the ~100 units
# tried by their next character instead of one after another (the quantity search ≈ 0.9× as long).
_UNIT_RE = phrase_trie_pattern(_UNITS)
_AR = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN_CHARS = "零〇一二两三四五六七八九十百千"
_CN = rf"[{_CN_CHARS}]+"
_PRE = r"不少于|不低于|不超过|不高于|不足|至少|超过|将近|接近|大约|约|近|超|逾|多达"
_SEP = r"至|到|-|—|~|～|－|–"
# Every quantity starts with a prefix's first character or a numeral: the look-ahead lets `search` skip to one.
_PRE_FIRST = "".join(sorted({alt[0] for alt in _PRE.split("|")}))
_QTY_FIRST = rf"(?=[\d{_PRE_FIRST}{_CN_CHARS}])"
_QTY_RE = re.compile(
    rf"{_QTY_FIRST}(?P<pre>{_PRE})?(?P<num>{_AR}|{_CN})"
    rf"(?:(?P<sep>{_SEP})(?P<num2>{_AR}|{_CN}))?"
    rf"(?P<more1>余|多)?(?P<scale>万亿|亿|万|千(?![米瓦克伏])|百)?(?P<more2>余|多)?(?P<ge>个(?=工作日|批次|轮次|百分点|场次))?"
    rf"(?P<unit>{_UNIT_RE})")
# The groups of `_QTY_RE` in order, as `m.groups()` gives them (the record and its checks read them at once).
_QTY_GROUPS = ("pre", "num", "sep", "num2", "more1", "scale", "more2", "ge", "unit")
_QUALIFIER_PRE = {"不少于": "at_least", "不低于": "at_least", "至少": "at_least", "不超过": "at_most",
                  "不高于": "at_most", "不足": "at_most", "超过": "more_than", "超": "more_than", "逾": "more_than",
                  "多达": None, "将近": "nearly", "接近": "nearly", "近": "nearly", "大约": "about", "约": "about"}
_TRAIL = {"以上": "more_than", "左右": "about", "以内": "at_most", "以下": "at_most"}
_VERB_QUALIFIER = ("突破", "迈上", "超过", "超")  # right before a number: more_than
_VERB_LAST = frozenset(v[-1] for v in _VERB_QUALIFIER)  # the character right before the number, if any is

_CLAUSE_DELIMS = "，,；;。!?：:\n"
_SENTENCE_DELIMS = "。!?;；\n"
_ITEM_DELIMS = _CLAUSE_DELIMS + "、"
_NEXT_BLOCK = {  # a unit followed by these characters is part of a word, not a measure
    "个": "月人体性案字别", "次": "性日序级", "条": "例件款线目", "部": "门署分位长", "项": "目赛",
    "期": "间限末望待刊", "场": "所景地景域馆", "名": "义称单录额牌字", "家": "庭属乡长", "元": "素旦宵月化",
    "人": "民员大口工才", "类": "型别似", "批": "准复示评", "起": "来步草诉点", "处": "理置罚分室级长",
    "本": "级地市区科土着", "份": "额", "度": "假", "天": "然津气", "日": "期常报", "市": "场级委民政长属区",
    "县": "级委城域区长", "乡": "镇村级", "所": "有属在以得长", "位": "于置列居次", "支": "持付出撑援队部",
    "张": "贴", "台": "账阶湾", "米": "", "轮": "次", "架": "构", "组": "织建成", "队": "伍", "间": "接",
    "片": "区", "段": "落", "届": "", "例": "如", "块": "", "床": "位", "头": "部", "只": "有是要", "倍": "增",
    "岁": "以", "户": "籍口外", "吨": "级", "座": "谈", "号": "", "亩": "产",
}
_LETTER_BEFORE_CHARS = frozenset(string.ascii_letters + string.digits + "_.·:/-+#＋")  # [A-Za-z0-9_.·:/\-+#＋]
_NAME_AFTER = re.compile(
    r"^(?:制度|机制|体系|工程|行动|计划|清单|服务|模式|方案|战略|理念|保障|联动|目标|任务|工作法|举措|办法|原则|"
    r"要求|标准|规定|同步|融合|合一|一体|统一|全覆盖|覆盖|齐抓|共治|联|大|级|线|网|化|型|同|为|是|结合)")
_TIME_CONTEXT = re.compile(r"(时限|压缩|缩短|缩减|办结|时间|提速|减至|用时|至|内)")
_CN_OK_UNITS = {"个", "次", "场", "家", "名", "项", "市", "县", "乡", "元", "件", "批", "所", "条", "人", "位"}
_BASIS_RE = r"同比|较上年同期|比上年同期|较去年同期|比去年同期|较上年|比上年|较去年|比去年|环比|同口径对比"
_UP = r"增长|增加|提高|提升|上升|增幅|上涨|扩大|增"
_DOWN = r"下降|减少|降低|压缩|缩短|精简|压减|下滑|降价|回落|缩减|减|降"
_CHANGE_AFTER = r"了|均|分别|约|达|幅度为|幅度"
_CHANGE_BEFORE_RE = re.compile(
    rf"(?P<basis>{_BASIS_RE})?(?:分别|均|平均|再)?(?P<verb>{_UP}|{_DOWN}|持平)(?:{_CHANGE_AFTER})*$")
_DOWN_SET = set(_DOWN.split("|"))
_BASIS_NAMES = {"同比": "同比", "较上年": "较上年", "比上年": "较上年", "较去年": "较上年", "比去年": "较上年",
                "环比": "环比", "较上年同期": "同比", "比上年同期": "同比", "较去年同期": "同比", "比去年同期": "同比"}
_PHRASE_STRIP_HEAD = re.compile(
    r"^(?:全年|全区|全市|全省|全县|新区|累计|共计|共|先后|其中|目前|今年|当年|已|均|各类|各级|年内|年均|并|"
    r"依法|积极|组织|开展|办理|完成|新增|新建|实现|建成|举办|举行|受理|审查|出具|发放|提供|接待|收到|"
    r"推动|推进|实施|落实|清理|制定|出台|召开|培训|帮助|帮扶|服务|惠及|带动|设立|建立|编制|发布|印发|参加|"
    r"协调|处理|调处|化解|查处|立案|审结|办结|整改|排查|检查|抽查|评查|聘请|选派|支持|改造|新改建|建设|"
    r"对|向|为|与|和|及|在|从|将|把|由|被|给|的)+")
_TAIL_WORDS = (
    r"达到|达|为|是|共计|共|计|约|超过|超|近|逾|突破|保持|稳定在|控制在|提升至|提高至|提高到|增加至|增至|"
    r"扩大到|扩大至|下降至|降至|压缩至|缩短至|减少至|增长|下降|增加|减少|提高|提升|降低|压缩|精简|压减|分别|均|"
    r"已|累计|总计|合计|全年|年均|的|了|有|在|以上|左右")
_PHRASE_STRIP_TAIL = re.compile(rf"(?:{_TAIL_WORDS})+$")


def _last_chars(*alternations: str) -> frozenset:
    """The last characters of the words of `|`-separated alternations. A pattern that ends in one of these
    words and `$` matches a clause (which holds no line break) only if the clause ends with one of them: the
    clauses that do not are not searched."""
    return frozenset(w[-1] for alternation in alternations for w in alternation.split("|"))


_TAIL_LAST = _last_chars(_TAIL_WORDS)
_CHANGE_LAST = _last_chars(_UP, _DOWN, "持平", _CHANGE_AFTER)


def _delimiter_codes() -> np.ndarray:
    """Per code point, which delimiter sets hold it: 3 a sentence delimiter (also a clause and an item
    delimiter), 2 a clause delimiter only (also an item one), 1 an item delimiter only (、), 0 none; one more
    place past the largest, where any code point beyond it is looked up. The sets nest (sentence within
    clause within item), which one code per character relies on."""
    assert set(_SENTENCE_DELIMS) <= set(_CLAUSE_DELIMS) <= set(_ITEM_DELIMS)
    codes = np.zeros(max(map(ord, _ITEM_DELIMS)) + 2, dtype=np.uint8)
    for delims, code in ((_ITEM_DELIMS, 1), (_CLAUSE_DELIMS, 2), (_SENTENCE_DELIMS, 3)):
        codes[[ord(c) for c in delims]] = code
    return codes


_DELIMITER_CODES = _delimiter_codes()


def _find_delimiters(text: str) -> tuple[list[int], list[int], list[int]]:
    """The offsets (ascending) of the clause, sentence and item delimiters of a document's text, from one
    look-up of each code point's `_DELIMITER_CODES` (clipped: a code point past the table reads its last
    place): the item delimiters are every nonzero place, the clause and sentence ones those of code 2-3 and
    3. Before, a table and a pass over the code points per set (twice the numpy calls)."""
    codes = _DELIMITER_CODES.take(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32),
                                  mode="clip")
    items = codes.nonzero()[0]
    kinds = codes[items]
    return items[kinds >= 2].tolist(), items[kinds == 3].tolist(), items.tolist()


# `_quantities` called per unit without the document's lists (`extract_quantities`) reads them here: the
# units of one text ask in a row.
_delimiters = functools.lru_cache(maxsize=8)(_find_delimiters)


def _bounds_at(delimiters: tuple, pos: int, lo: int, hi: int) -> tuple[int, int, int, int, int, int]:
    """The clause, sentence and item around a record's start `pos` (lo <= pos < hi) within text[lo:hi], as
    `_around` finds them over each of `_delimiters`: found once per record and read by each of its steps
    (before, each step asked for its bounds again). Written out for the three (a record's every step waits
    on it): a third cheaper than three `_around` calls."""
    clauses, sentences, items = delimiters
    k, j, i = bisect.bisect_left(clauses, pos), bisect.bisect_left(sentences, pos), bisect.bisect_left(items, pos)
    if pos > lo:
        c0 = clauses[k - 1] + 1 if k and clauses[k - 1] >= lo else lo
        s0 = sentences[j - 1] + 1 if j and sentences[j - 1] >= lo else lo
        i0 = items[i - 1] + 1 if i and items[i - 1] >= lo else lo
    else:
        c0 = s0 = i0 = pos
    return (c0, clauses[k] if k < len(clauses) and clauses[k] < hi else hi,
            s0, sentences[j] if j < len(sentences) and sentences[j] < hi else hi,
            i0, items[i] if i < len(items) and items[i] < hi else hi)


def _around(offsets: list[int], pos: int, lo: int, hi: int) -> tuple[int, int]:
    """The span around `pos` within text[lo:hi] between the delimiters at `offsets` (ascending): from after
    the last one before `pos` to the first at or after it."""
    k = bisect.bisect_left(offsets, pos)
    s = (max(lo, offsets[k - 1] + 1) if k else lo) if pos > lo else pos
    if pos >= hi:
        return s, pos
    return s, offsets[k] if k < len(offsets) and offsets[k] < hi else hi


_KIND_AFTER_RE = re.compile(r"(企业|项目|单位|工业|规模|的)")
_YEAR_RE = re.compile(r"(19|20)\d\d")
_BASIS_BEFORE_RE = re.compile(rf"({_BASIS_RE})[^，,；;。]*$")


def _is_rejected(text: str, m: re.Match, lo: int, hi: int, groups: tuple) -> bool:
    """Years, dates, ordinals, document numbers, names and slogans. The groups every check reads are read
    once here and handed on (each quantity the search finds passes through all of the checks). The later
    checks are called only where they can answer: a number in Chinese numerals is never inside a short
    quote, a number in digits has a verdict only with one of `_VERDICT_UNITS`, and a short quote needs a ”
    within 6 characters after it. `groups`: `m.groups()` (`_QTY_GROUPS`), read once by the caller."""
    pre, num, _, _, _, scale, _, _, unit = groups
    s, e = m.span()
    chinese = not num[0].isdigit()
    if _rejected_by_neighbours(text, lo, hi, s, e, pre, unit) \
            or _rejected_by_unit(text, m, lo, hi, s, e, unit, scale, chinese):
        return True
    if chinese:
        return _rejected_chinese_number(text, m, lo, hi)
    if unit in _VERDICT_UNITS:
        verdict = _arabic_number_verdict(text, lo, hi, s, e, pre, num, unit)
        if verdict is not None:
            return verdict
    return _inside_short_quote(text, m, lo, hi, chinese, unit)


_REJECTED_BEFORE = _LETTER_BEFORE_CHARS | {"第"}
_OPEN_MARKS = frozenset("〔[(【(")
_CLOSE_MARKS = frozenset("〕])")


def _rejected_by_neighbours(text: str, lo: int, hi: int, s: int, e: int, pre: str | None, unit: str) -> bool:
    """What stands right next to the number: a letter (PM2.5, 2026-01-31, 5G, v1.2), 第 (第一, 第十四届), 以下
    (做好以下10个方面的工作: the speech's outline), brackets around it, the next block of a date. Read as
    single characters: with a prefix (不少于) the character before the number is the prefix's own, which is
    none of these, so only the one before the prefix is looked at."""
    if s > lo:
        before = text[s - 1]
        if before in _REJECTED_BEFORE if pre is None else before == "第":
            return True
        if before == "下" and s - 2 >= lo and text[s - 2] == "以":
            return True
        if pre is None and before in _OPEN_MARKS and text[e:e + 1] in _CLOSE_MARKS:
            return True
    if e < hi:
        follows = _NEXT_BLOCK.get(unit)
        return bool(follows) and text[e] in follows
    return False


def _rejected_by_unit(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, unit: str, scale: str | None,
                      chinese: bool) -> bool:
    """Units that name a time, an age, a year, a capacity or a place rather than an amount achieved, a
    document title, a threshold that defines a kind. The checks are pure and their results or-ed: the
    unit's own check (`_CHECK_OF_UNIT`) only for the few units that have one, so that most quantities (件,
    %, 元, 个 …) pass them at one dict look-up."""
    check = _CHECK_OF_UNIT.get(unit)
    if check is not None and check(text, m, lo, hi, s, e, scale):
        return True
    if _inside_title(text, s, lo, hi):
        return True  # 《关于…5个清单的通知》: a document title
    if chinese and _DIGIT_RE.match(text, e, e + 1):
        return True  # 三个100%
    if e + 2 <= hi and text[e:e + 2] in _TRAIL and _KIND_AFTER_RE.match(text[e + 2:e + 4]):
        return True  # 产值10亿元以上企业: a threshold that defines a kind
    return False


def _is_a_time(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    return _is_date_or_deadline(text, m, lo, hi)


def _is_an_age(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    return "寿命" not in text[max(lo, s - 12):s]


def _is_a_year(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    """Years and periods (2024年, 连续3年); 受教育年限14.2年 is a measure."""
    return "年限" not in text[max(lo, s - 10):s]


def _is_a_capacity(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    """A capacity inside a project's designation (亚太轻合金10万吨…项目)."""
    return _is_project_capacity(text, s, e, lo)


def _is_unscaled(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    return not scale


def _is_a_place(text: str, m: re.Match, lo: int, hi: int, s: int, e: int, scale: str | None) -> bool:
    return _is_place_name(text, s, e, lo)


class _UnitCheck(NamedTuple):
    """A check of `_rejected_by_unit` that only quantities of `units` can fail: `check(text, m, lo, hi, s,
    e, scale)` is True where the quantity is no amount achieved."""

    units: tuple[str, ...]
    check: Callable[..., bool]


_UNIT_CHECKS = (
    _UnitCheck(("天", "日", "小时", "分钟", "工作日"), _is_a_time),
    _UnitCheck(("岁",), _is_an_age),
    _UnitCheck(("年",), _is_a_year),
    _UnitCheck(("吨", "千瓦", "立方米", "千瓦时"), _is_a_capacity),
    _UnitCheck(("度", "米"), _is_unscaled),
    _UnitCheck(("县", "乡", "市"), _is_a_place),
)
_CHECK_OF_UNIT = {unit: c.check for c in _UNIT_CHECKS for unit in c.units}  # one check per unit (a test says so)


def _is_date_or_deadline(text: str, m: re.Match, lo: int, hi: int) -> bool:
    """A day or hour count that is a date (3月5日) or has no time context around it."""
    s, e, num_start = m.start(), m.end(), m.start("num")
    if text[max(lo, num_start - 1):num_start] == "月" or text[max(lo, num_start - 3):num_start].endswith("月"):
        return True
    if m.group("unit") == "日" and re.match(r"\d", text[max(lo, num_start - 2):num_start][-1:] or "x"):
        return True
    return not _TIME_CONTEXT.search(text[max(lo, s - 8):s]) and not _TIME_CONTEXT.search(text[e:min(hi, e + 4)])


def _is_project_capacity(text: str, s: int, e: int, lo: int) -> bool:
    if not re.match(r"[\u4e00-\u9fff]", text[e:e + 1]):
        return False
    window = re.split(r"[，,；;。]", text[e:e + 24])[0]
    return text[max(lo, s - 2):s] == "年产" or bool(re.search(r"项目|装置|电站|产能|技改|生产线|光热|发电|造粒", window))


def _is_place_name(text: str, s: int, e: int, lo: int) -> bool:
    """A place count is recorded where the places are listed (西宁、海东两市); else it is a name."""
    listed = re.search(r"[、]", text[max(lo, s - 12):s])
    if text[e:e + 1] and text[e] not in _ITEM_DELIMS + "大实共均全的“0123456789" and not listed:
        return True
    return not re.search(r"[、]|[\u4e00-\u9fff]{2}(?:县|乡|市)?$|\d[县乡市]$", text[max(lo, s - 12):s])


def _rejected_chinese_number(text: str, m: re.Match, lo: int, hi: int) -> bool:
    """A number in Chinese numerals: only with a countable unit or a scale, never in a name or a slogan."""
    s, e, num_start = m.start(), m.end(), m.start("num")
    num, unit, scale = m.group("num"), m.group("unit"), m.group("scale")
    if unit not in _CN_OK_UNITS and not scale:
        return True
    if num in ("一", "二", "十") and not scale:
        return True  # 一次性, 一网通办, 一件事 …
    if parse_chinese_number(num) is None or m.group("sep"):
        return True
    rest = text[e:min(hi, e + 4)]
    if _NAME_AFTER.match(rest):
        return True
    if _inside_open_quote(text, s, lo) and text.find("”", e, hi) >= 0:
        return True  # inside quotes: a slogan
    prev = text[max(lo, num_start - 1):num_start]
    if prev in ("、", "是", "抓", "个", "两", "第", "十", "这", "那", "每", "前", "后", "近", "再", "各", "逐", "之", "于"):
        return True
    return unit == "次" and rest[:1] in ("会", "全", "党", "集", "常")


_YEAR_LIKE_UNITS = ("个", "件", "年", "天", "日")
_NAME_UNITS = ("个", "项", "类", "张", "条", "级", "大")
_VERDICT_UNITS = frozenset(_YEAR_LIKE_UNITS + _NAME_UNITS)


def _arabic_number_verdict(text: str, lo: int, hi: int, s: int, e: int, pre: str | None, num: str,
                          unit: str) -> bool | None:
    """A number in digits: False when it is a year-like count that stands (skipping the quote check), True
    inside a programme name, None when undecided. The unit is asked about first: most quantities have none
    of these units and need no pattern run."""
    if unit in _YEAR_LIKE_UNITS and not pre and _YEAR_RE.fullmatch(num.replace(",", "")):
        return False  # 2024个? only when it cannot be a year: a year is followed by 年 (never a unit here)
    if unit in _NAME_UNITS and _NAME_AFTER.match(text[e:min(hi, e + 4)]) \
            and _inside_open_quote(text, s, lo):
        return True  # “1+3+N”, 3个全覆盖: a number inside a programme name
    return None


def _inside_short_quote(text: str, m: re.Match, lo: int, hi: int, chinese: bool, unit: str) -> bool:
    """Inside a short quoted programme title such as “百村三年行”: a closing ” at most 6 characters after the
    quantity, at most 12 after the opening “. The checks that need no search come first, then the one
    bounded search for the closing mark (most quantities have none near them)."""
    if chinese or unit == "%":
        return False
    s, e = m.span()
    close = text.find("”", e, min(hi, e + 7))
    if close < 0:
        return False
    more1, more2 = m.group("more1", "more2")
    if more1 is not None or more2 is not None or not _inside_open_quote(text, s, lo):
        return False
    return close - text.rfind("“", lo, s) <= 12


def _inside_open_quote(text: str, s: int, lo: int) -> bool:
    """An opening “ before `s` (in the clause from `lo`) that is not closed yet."""
    return text.rfind("“", lo, s) > text.rfind("”", lo, s)


def _inside_title(text: str, s: int, lo: int, hi: int) -> bool:
    """True inside 《…》 (a document or book title)."""
    o = text.rfind("《", lo, s)
    return o >= 0 and text.rfind("》", lo, s) < o and text.find("》", s, hi) >= 0


_DIGIT_RE = re.compile(r"\d")
# A text holding a word character (CJK or Latin letter) and no digit, in one call (no word character is a digit).
_WORDS_NO_DIGIT_RE = re.compile(r"\D*?[\u4e00-\u9fffA-Za-z]\D*")
_PHRASE_AFTER_RE = re.compile(r"^(?:的)?([^\d，,、；;。:：]{2,14}?)(?:进行|开展|实施|获|入选|参加|参与|通过|实现|达|被|已|全部|"
                              r"分别|累计|共|均|的|等|和|中|$)")


def _phrase(text: str, s: int, e: int, lo: int, hi: int, at: tuple, items: list[int]) -> tuple[str | None,
                                                                                               int | None,
                                                                                               int | None]:
    """A short noun phrase next to the quantity text[s:e] (before it, else after it), in the same item (`at`:
    the record's `_bounds_at`; `items`: the offsets of the item delimiters)."""
    cs = at[4]
    before = text[cs:s]
    if before[-1:] in _TAIL_LAST:
        before = _PHRASE_STRIP_TAIL.sub("", before)
    head = _PHRASE_STRIP_HEAD.match(before)
    b0 = cs + (head.end() if head else 0)
    b1 = cs + len(before)
    if b1 - b0 > 14:
        b0 = b1 - 14
    if b1 - b0 >= 2 and _WORDS_NO_DIGIT_RE.fullmatch(text, b0, b1):
        return text[b0:b1], b0, b1
    ce = at[5] if at[5] >= e else _around(items, e, lo, hi)[1]  # the item goes on past the number (1,200)
    after = text[e:ce]
    m = _PHRASE_AFTER_RE.match(after)
    if m:
        a0 = e + m.start(1)
        return text[a0:e + m.end(1)], a0, e + m.end(1)
    return None, None, None


def _canonical(vocab, text: str, rec: dict, hi: int, candidates: list) -> tuple[str | None, tuple | None]:
    """The canonical name of a record: the nearest vocabulary phrase of its clause (then of its sentence before
    it) whose indicator measures in the record's unit (any unit for a change). With the vocabulary's rules
    also: not a phrase that names a derived measure (单位GDP水耗) or a rate of another theme's object
    (企业诉求办结率), a per-capita value only for a per-capita indicator, a count only for an indicator naming
    what it counts (`135个无物业小区`), a phrase after the record only up to the next 、, and a phrase of an
    earlier clause only when the record's own clause names no rate or amount of its own. `candidates`: the
    phrases of the record's sentence that may name an indicator (`_sentence_phrases`)."""
    if not candidates:  # most sentences name no indicator: nothing else to look up
        return None, None
    s, e = rec["start"], rec["end"]
    at = rec["_at"]
    rules = vocab.rules
    cs, ce = at[0], at[1]
    counted = _counted_object(text, rec, hi, rules)
    item_end = _item_end(text, at[5], hi) if rules is not None else at[3]

    best, best_key = None, None
    for ms, me, phrase, names in candidates:
        names = _compatible(vocab, names, rec, counted)
        if not names:
            continue
        if ms >= s and ms < e:
            continue
        in_clause = cs <= ms and me <= ce
        if not in_clause and ms > e or ms >= item_end:
            continue
        if not in_clause and rules is not None and _names_its_own(text, rec, cs, rules):
            continue
        distance = s - me if me <= s else ms - e + 3
        key = (0 if in_clause else 1, distance)
        if best_key is None or key < best_key:
            best, best_key = (ms, me, phrase, names[0]), key
    if best is None:
        return None, None
    return best[3], best


def _compatible(vocab: IndicatorVocabulary, names: tuple[str, ...], rec: dict, counted: str) -> tuple[str, ...]:
    """The indicators of `names` whose units the record may measure (any unit for a change) and, with the
    vocabulary's rules, that `_fits` the record. Kept per vocabulary for each combination of what this
    depends on (the records of a document ask about the same phrases again and again)."""
    key = (names, rec["role"] == "change", rec["unit"], counted, rec.get("measure") == "per_capita")
    memo = vocab._cache.setdefault("compatible", {})
    found = memo.get(key)
    if found is None:
        if len(memo) >= 8192:
            memo.clear()
        found = memo[key] = tuple(_compatible_names(vocab, names, rec, counted))
    return found


def _compatible_names(vocab: IndicatorVocabulary, names: tuple[str, ...], rec: dict, counted: str):
    rules = vocab.rules
    for n in names:
        entry = vocab.entry(n)
        if not (rec["role"] == "change" or rec["unit"] in _measured_units(entry) or not entry.units):
            continue
        if rules is not None and not _fits(entry, rec, counted):
            continue
        yield n


@functools.lru_cache(maxsize=4096)
def _measured_units(entry: IndicatorEntry) -> frozenset[str]:
    """The units a record may have to measure `entry`: its units, canonical, and those without 万."""
    return frozenset({_UNITS.get(u, u) for u in entry.units} | {u[1:] for u in entry.units if u.startswith("万")})


def _item_end(text: str, item_end: int, hi: int) -> int:
    """A vocabulary phrase after a record is its own only up to the next 、 (`…企业2家、认定国家高新技术企业15家`;
    `item_end`: where the record's item ends)."""
    return item_end if text[item_end:item_end + 1] == "、" else hi


def _other_theme(vocab: IndicatorVocabulary, before: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """No indicator of the phrase before shares a theme with the rate's (企业诉求 | 办结率, not 热线工单 | 办结率)."""
    return not {vocab.theme(n) for n in before} & {vocab.theme(n) for n in names}


def _derived(text: str, ms: int, me: int, lo: int, hi: int, rules: IndicatorRules) -> bool:
    """The phrase text[ms:me] is part of a derived measure: 万元GDP水耗, 单位地区生产总值能耗, 工业增加值占比."""
    return bool(rules.derived_before.search(text[max(lo, ms - 3):ms])
                or rules.derived_after.search(text[me:min(hi, me + 6)]))


def _fits(entry: IndicatorEntry, rec: dict, counted: str) -> bool:
    """A per-capita value only for a per-capita indicator; a count naming its object only for an indicator
    whose phrases or objects name it."""
    if rec.get("measure") == "per_capita" and not entry.per_capita:
        return False
    if counted:
        return any(_share_a_word(counted, w) for w in entry.phrases + entry.objects)
    return True


def _share_a_word(a: str, b: str) -> bool:
    """Two wordings with two characters in a row in common (调解工作室 / 调解工作站)."""
    return any(a[k:k + 2] in b for k in range(len(a) - 1))


_OBJECT_RE = re.compile(r"[\u4e00-\u9fff“”]{2,16}")  # a quoted name counts too: 26个省定标准“一件事”
_OBJECT_STOP = re.compile(r"的|和|与|及|等|进行|实施|开展|完成|纳入|获得|获|被|中|已|均|共|累计|参与|参加|通过|实现|达|"
                          r"在|到|为|投入|建成|开工|开业|落户|落地|升级|调整|整治|改造|建设|签约|申报|提供|目前|全部|"
                          r"分别|同比|较|比")


def _counted_object(text: str, rec: dict, hi: int, rules: IndicatorRules | None) -> str:
    """What a count names right after its unit (`135个无物业小区` → 无物业小区), else ''."""
    if rules is None or rec["role"] != "level" or rec["unit"] not in rules.count_units:
        return ""
    m = _OBJECT_RE.match(text, rec["_tail"], hi)
    if not m:
        return ""
    stop = _OBJECT_STOP.search(m.group())
    word = m.group()[:stop.start()] if stop else m.group()
    return word if len(word) >= 2 else ""


def _names_its_own(text: str, rec: dict, clause_start: int, rules: IndicatorRules) -> bool:
    """The record's clause names the rate or amount it measures (`确保仲裁结案率不低于95%`, `民生支出54.8亿元`):
    a phrase of an earlier clause is then another indicator's."""
    ps, pe = rec["phrase_start"], rec["phrase_end"]
    return ps is not None and ps >= clause_start and bool(rules.own_measure.search(text[ps:pe]))


def extract_quantities(norm_text: str, start: int, end: int, vocabulary=None, *, plans: bool = False) -> list[dict]:
    """Indicator quantities in one unit, `norm_text[start:end]` (normalised text: Simplified, ASCII digits
    and punctuation, same length as the input, so every offset is an offset into the input).

    Returns one dict per quantity mention, with the gold fields (`training/INDICATORS.md`): start, end, text
    (the normalised characters), value (exact, scaled to the base unit), value_max, qualifier, unit, phrase,
    phrase_start, phrase_end, role (level|change|threshold), change ({direction, value, unit, basis} or None),
    canonical (a vocabulary name or None), value_written and unit_written (`2390.26`, `亿元`), and, when the
    vocabulary has rules (version 2), measure (total|per_capita|rate) and status (result|target; `plans`:
    the unit lies in the report's plans part); without rules both are None.
    """
    return [dict(zip(FIELDS, map(rec.get, FIELDS))) for rec in _quantities(norm_text, start, end, vocabulary, plans)]


def _quantities(text: str, lo: int, hi: int, vocabulary, plans: bool, delimiters: tuple | None = None,
                people: bool = True) -> list[dict]:
    """`extract_quantities`' records as they are made: the fields of `FIELDS` in order (without rules,
    measure and status None), then the working fields (`_tail`; `_at`, the record's `_bounds_at`;
    `_direction`, `_basis`), which the component removes (`_finish_record`). `delimiters`: the text's
    `_delimiters`, when the caller read them once for all its units (else read once a quantity is found:
    most units hold none). `people`: False when the caller found no `_PEOPLE_TAIL_RE` in the whole text,
    so that no unit of it is searched for a count of people."""
    found: list[dict] = []
    pos = lo
    while pos < hi:
        m = _QTY_RE.search(text, pos, hi)
        if not m:
            break
        groups = m.groups()  # read once for the checks and the record
        if _is_rejected(text, m, lo, hi, groups):
            pos = m.start(2) + len(groups[1]) if groups[0] is None else m.end(1)  # past the number (or prefix)
            pos = max(pos, m.start() + 1)
            continue
        pos = m.end()
        delimiters = delimiters or _delimiters(text)
        found.append(_record(text, m, lo, hi, delimiters, groups))
    if people and _PEOPLE_TAIL_RE.search(text, lo, hi):
        _add_people(text, lo, hi, found, delimiters)
    if not found:
        return []
    # roles and changes
    out: list[dict] = []
    prev = None
    for rec in found:
        s = rec["start"]
        cs = rec["_at"][0]
        cm = None
        if s > cs and text[s - 1] in _CHANGE_LAST:  # the change pattern ends with one of these characters
            cm = _CHANGE_BEFORE_RE.search(text[max(cs, s - 12):s])
        if cm and text[max(lo, s - len(cm.group()) - 1):s - len(cm.group())] == "新" and cm.group("verb") == "增":
            cm = None
        direction = basis = None
        if cm:
            verb = cm.group("verb")
            direction = "flat" if verb == "持平" else ("decrease" if verb in _DOWN_SET else "increase")
            basis = _BASIS_NAMES.get(cm.group("basis")) if cm.group("basis") else None
            if basis is None:
                bm = _BASIS_BEFORE_RE.search(text[cs:s])
                basis = _BASIS_NAMES.get(bm.group(1)) if bm else None
        elif prev is not None and text[prev["end"]:s] == "、" and prev.get("_direction"):
            direction, basis = prev["_direction"], prev["_basis"]  # 分别增长4%、6%
        if direction:
            change = {"direction": direction, "value": rec["value"], "unit": rec["unit"], "basis": basis}
            if cm is not None and prev is not None and prev["role"] == "level" and prev["change"] is None:
                gap = text[prev["_tail"]:s - len(cm.group())]
                if gap in ("", "，", ",", "、"):
                    prev["change"] = change
                    prev["_direction"], prev["_basis"] = direction, basis
                    continue
            rec["role"] = "change"
            rec["change"] = change
            rec["_direction"], rec["_basis"] = direction, basis
        out.append(rec)
        prev = rec
    if vocabulary is None:
        return out
    rules = vocabulary.rules
    candidates, sentence_start = [], None
    for k, rec in enumerate(out):
        at = rec["_at"]
        if at[2] != sentence_start:  # the records are in text order: a sentence's records come in a row
            sentence_start = at[2]
            candidates = _sentence_phrases(vocabulary, text, at[2], at[3], lo, hi, rules)
        if rules is not None:
            if k + 1 < len(out):
                _mark_threshold(text, rec, out[k + 1], rules)
            rec["measure"] = _measure(text, rec, rules)
            rec["status"] = _status(text, rec, hi, rules, plans)
        canonical, hit = _canonical(vocabulary, text, rec, hi, candidates)
        rec["canonical"] = canonical
        if hit is not None and (rec["phrase"] is None or abs(hit[1] - rec["start"]) <= 1):
            rec["phrase"], rec["phrase_start"], rec["phrase_end"] = text[hit[0]:hit[1]], hit[0], hit[1]
    if rules is not None:
        _pair_lists(text, out, lo, hi, vocabulary)
    return out


def _add_people(text: str, lo: int, hi: int, found: list[dict], delimiters: tuple | None) -> None:
    """The people counts (`_PEOPLE_RE`: 1.2万农民) of text[lo:hi] that no other quantity covers, added to
    `found`, which is kept in text order (the quantity search makes its records in that order, so only a
    unit holding a people count sorts them)."""
    count = len(found)
    for m in _PEOPLE_RE.finditer(text, lo, hi):
        before = text[max(lo, m.start() - 1):m.start()]
        if before in _LETTER_BEFORE_CHARS or any(r["start"] <= m.start() < r["end"] for r in found):
            continue
        found.append(_people_record(text, m, lo, hi, delimiters or _delimiters(text)))
    if len(found) > count:
        found.sort(key=lambda r: r["start"])


def _sentence_phrases(vocab: IndicatorVocabulary, text: str, ss: int, se: int, lo: int, hi: int,
                      rules: IndicatorRules | None) -> list:
    """The vocabulary phrases of the sentence text[ss:se] that may name the indicator of one of its records,
    found once for the sentence's records (`_quantities` walks them in a row): with the rules, not those that
    are part of a derived measure (单位GDP水耗) nor a rate of another theme's object (企业诉求办结率), neither of
    which depends on the record. Before, each record checked each phrase of its sentence again (and the
    phrases were kept per document text for the sentence's next record; now each sentence is searched once)."""
    hits = vocab._search(text, ss, se)
    return hits if rules is None or not hits else _candidates(vocab, text, hits, lo, hi, rules)


def _candidates(vocab: IndicatorVocabulary, text: str, hits: list, lo: int, hi: int, rules: IndicatorRules) -> list:
    """The sentence's phrases less those that are part of a derived measure or a rate of another theme's
    object (企业诉求 | 办结率: a rate right after a phrase of which no indicator shares its theme)."""
    out, previous = [], (None, ())
    for hit in hits:
        ms, me, phrase, names = hit
        qualified = ms == previous[0] and phrase.endswith("率") and _other_theme(vocab, previous[1], names)
        previous = (me, names)
        if not qualified and not _derived(text, ms, me, lo, hi, rules):
            out.append(hit)
    return out




def _pair_lists(text: str, records: list[dict], lo: int, hi: int, vocab: IndicatorVocabulary) -> None:
    """`调解成功率、仲裁结案率达75%、95%以上`: quantities listed with 、 after as many wordings listed with 、, the
    first naming an indicator, take the canonical name of their own wording, in order (or none)."""
    k = 0
    while k < len(records):
        j = k
        while j + 1 < len(records) and records[j + 1]["start"] == records[j]["_tail"] + 1 \
                and text[records[j]["_tail"]] == "、":  # the next record right after a 、
            j += 1
        run = records[k:j + 1]
        k = j + 1
        if len(run) == 1:  # most quantities stand alone: no wordings to pair
            continue
        cs = run[0]["_at"][0]
        items = text[cs:run[0]["start"]].split("、")
        if len(items) == len(run) and vocab.canonical(items[0]):
            for rec, item in zip(run, items):
                name = vocab.canonical(item)
                entry = vocab.entry(name) if name else None
                fits = entry is not None and (rec["role"] == "change" or not entry.units or rec["unit"] in entry.units)
                rec["canonical"] = name if fits else None


def _mark_threshold(text: str, a: dict, b: dict, rules: IndicatorRules) -> None:
    """`突破4000亿元，达4601.5亿元`: a level passed on the way (after 突破/超过 …) to the value the sentence
    settles on (the next level `b` in the same unit, after 达/为 …) becomes a `threshold`. Asked in the
    records' walk before `a`'s status and name are read (`b` is not yet changed then)."""
    if (a["role"] == "level" and b["role"] == "level" and a["unit"] == b["unit"]
            and rules.threshold_verb.search(text[max(0, a["start"] - 4):a["start"]])
            and rules.settle_gap.search(text[a["_tail"]:b["start"]])):
        a["role"] = "threshold"


def _measure(text: str, rec: dict, rules: IndicatorRules) -> str:
    """`rate` (%, ‰, 个百分点), `per_capita` (人均… before it in its clause), else `total`."""
    if rec["unit"] in ("%", "‰", "个百分点"):
        return "rate"
    cs = rec["_at"][0]
    return "per_capita" if rules.per_capita.search(text, cs, rec["start"]) else "total"


def _status(text: str, rec: dict, hi: int, rules: IndicatorRules, plans: bool) -> str:
    """`target` in the plans part or after target wording in its sentence (目标, 力争, 确保 …), or a change
    stated as `…左右`; `result` otherwise, and wherever its sentence says it looks back (去年, 已完成 …)."""
    ss = rec["_at"][2]
    before = text[ss:rec["start"]]
    if rules.result_cue_in(before):
        return "result"
    if plans or rules.target_cue.search(before) or rules.target_after.match(text, rec["_tail"], hi):
        return "target"
    about_change = rec["role"] == "change" and text[rec["end"]:rec["end"] + 2] == "左右"
    return "target" if about_change else "result"


_PEOPLE = r"农牧民|农民工|农民|群众|婴幼儿|儿童|学生|居民|职工|劳动者|老人|人口|家庭|困难群众|脱贫人口"
_PEOPLE_RE = re.compile(  # opens with a look-ahead on its first characters, as `_QTY_RE` does
    rf"(?=[\d{_PRE_FIRST}])(?P<pre>{_PRE})?(?P<num>{_AR})(?P<more1>余|多)?(?P<scale>万|亿)(?P<more2>余|多)?(?={_PEOPLE})")
# What every match of `_PEOPLE_RE` holds (its scale, 余/多, the people named): a unit without it has no count
# of people. This pattern opens with a class, so `re` looks for it in C; the people pattern tries each number
# of the unit.
_PEOPLE_TAIL_RE = re.compile(rf"[万亿][余多]?(?:{_PEOPLE})")


def _people_record(text: str, m: re.Match, lo: int, hi: int, delimiters: tuple) -> dict:
    """带动3.78万农牧民: a count of people without a measure word (unit 人, implied)."""
    value = _exact_value(m.group("num"), m.group("scale"))
    pre = m.group("pre")
    qualifier = _QUALIFIER_PRE.get(pre) if pre else None
    if m.group("more1") or m.group("more2"):
        qualifier = "more_than"
    s, e = m.start(), m.end()
    ce = e
    while ce < hi and text[ce] not in _ITEM_DELIMS and ce - e < 8 and text[ce] not in "就享受获参":
        ce += 1
    phrase = text[e:ce] if ce > e else None
    return {"start": s, "end": e, "text": text[s:e], "value": value, "value_max": None, "qualifier": qualifier,
            "unit": "人", "phrase": phrase, "phrase_start": e if phrase else None, "phrase_end": ce if phrase else None,
            "role": "level", "change": None, "canonical": None, "value_written": _exact_value(m.group("num"), None),
            "unit_written": m.group("scale") + "人", "measure": None, "status": None, "_tail": e,
            "_at": _bounds_at(delimiters, s, lo, hi)}


def _record(text: str, m: re.Match, lo: int, hi: int, delimiters: tuple, groups: tuple) -> dict:
    """A quantity's record, its keys in their final order (those of `FIELDS`, measure and status None until
    the rules set them), then the working fields `_tail` and `_at` (`_finish_record` removes them).
    `groups`: `m.groups()` (`_QTY_GROUPS`), read once by the caller."""
    pre, num, _, num2, more1, scale, more2, _, unit_s = groups
    unit = _UNITS.get(unit_s, unit_s)
    if unit in ("%", "‰", "个百分点"):
        scale = None
    written = _exact_value(num, None)
    value = written if scale is None else _exact_value(num, scale)  # most quantities have no scale
    value_max = _exact_value(num2, scale) if num2 else None
    qualifier = _QUALIFIER_PRE.get(pre) if pre else None
    s, e = m.span()
    if more1 or more2:
        qualifier = "more_than"
    tail = e
    trail = _TRAIL.get(text[e:e + 2]) if e + 2 <= hi else None  # 以上, 左右, 以内, 以下
    if trail:
        qualifier = qualifier or trail
        tail = e + 2
    if pre is None and s > lo and text[s - 1] in _VERB_LAST and text[max(lo, s - 2):s].endswith(_VERB_QUALIFIER):
        qualifier = qualifier or "more_than"
    at = _bounds_at(delimiters, s, lo, hi)
    phrase, ps, pe = _phrase(text, s, e, lo, hi, at, delimiters[2])
    return {"start": s, "end": e, "text": text[s:e], "value": value, "value_max": value_max,
            "qualifier": qualifier, "unit": unit, "phrase": phrase, "phrase_start": ps, "phrase_end": pe,
            "role": "level", "change": None, "canonical": None, "value_written": written,
            "unit_written": (scale or "") + unit, "measure": None, "status": None, "_tail": tail, "_at": at}


# ---------------------------------------------------------------------------------------------------------
# Component
# ---------------------------------------------------------------------------------------------------------
def score_indicators(examples, indicators_key: str = INDICATORS_KEY, **kwargs) -> dict:
    """Value+unit precision/recall/F1 of the predicted indicator records against the reference docs'
    records (a match: overlapping offsets, equal unit, value within 1e-6 relative), counted in spaCy's
    `PRFScore`."""
    score = PRFScore()
    for eg in examples:
        gold = _records_of(eg.reference, indicators_key)
        pred = _records_of(eg.predicted, indicators_key)
        good = sum(1 for g, p in match_records(gold, pred) if p is not None and same_value(g, p))
        score += PRFScore(tp=good, fp=len(pred) - good, fn=len(gold) - good)
    return {f"indicators_{k}": v for k, v in score.to_dict().items()}


def _records_of(doc: Doc, key: str) -> list[dict]:
    group = doc.spans.get(key)
    return list(group.attrs.get("records", [])) if group is not None else []


def same_value(gold: dict, pred: dict) -> bool:
    """Equal unit and value (within 1e-6 relative)."""
    g, p = gold.get("value"), pred.get("value")
    if g is None or p is None or gold.get("unit") != pred.get("unit"):
        return False
    return abs(float(g) - float(p)) <= 1e-6 * max(abs(float(g)), abs(float(p)), 1e-12)


def match_records(gold: list[dict], pred: list[dict]) -> list[tuple[dict, dict | None]]:
    """Each gold record with the predicted record overlapping it most (each prediction used once)."""
    used: set[int] = set()
    out = []
    for g in gold:
        best, best_overlap = None, 0
        for k, p in enumerate(pred):
            if k in used:
                continue
            overlap = min(g["end"], p["end"]) - max(g["start"], p["start"])
            if overlap > best_overlap:
                best, best_overlap = k, overlap
        if best is not None:
            used.add(best)
        out.append((g, pred[best] if best is not None else None))
    return out


@registry.scorers("policy_nlp.indicators_scorer.v1")
def make_indicators_scorer():
    return score_indicators


@Language.factory(
    "policy_nlp_indicators",
    assigns=["doc.spans"],
    requires=["doc.spans"],
    default_config={"units_key": UNITS_KEY, "indicators_key": INDICATORS_KEY, "vocabulary": DEFAULT_VOCABULARY_CONFIG,
                    "scorer": {"@scorers": "policy_nlp.indicators_scorer.v1"}},
    default_score_weights={"indicators_f": 0.0, "indicators_p": None, "indicators_r": None},
)
def make_indicators(nlp: Language, name: str, units_key: str, indicators_key: str, vocabulary: IndicatorVocabulary,
                    scorer=None):
    return IndicatorExtractor(name, units_key=units_key, indicators_key=indicators_key, vocabulary=vocabulary,
                              scorer=scorer)


class IndicatorExtractor:
    """Rule-based: stateless apart from its `IndicatorVocabulary`, which it saves with the pipeline."""

    def __init__(self, name: str = "policy_nlp_indicators", *, units_key: str = UNITS_KEY,
                 indicators_key: str = INDICATORS_KEY, vocabulary: IndicatorVocabulary | None = None, scorer=None):
        self.name = name
        self.units_key = units_key
        self.indicators_key = indicators_key
        self.vocabulary = vocabulary if vocabulary is not None else indicator_vocabulary_v2()
        self.scorer = scorer or score_indicators

    def __call__(self, doc: Doc) -> Doc:
        from ..model.features import report_year_of

        from .unit_table import span_key

        group = doc.spans.get(self.units_key)
        if group is None:  # the structure component was configured with another key: follow it
            group = doc.spans.get(span_key(doc, "units"))
        if group is None:
            raise ModelError("E002", name=self.name)
        norm = doc._.norm_text
        attrs = group.attrs if len(group) else {}
        labels, decided = attrs.get("labels"), attrs.get("decided")
        year = report_year_of(norm) or None
        units = list(group)
        plans = plans_part(group, norm, self.vocabulary.rules, units)
        spans: list[Span] = []
        records: list[dict] = []
        if labels is None or decided is None:
            labels, decided = [], [()] * len(units)
        themed = _themed(decided, [k for k, label in enumerate(labels) if label == "plans"])
        theme_of = self.vocabulary.themes().get
        raw = input_text = None  # the input's text, read at the first unit holding a record (short texts hold none)
        delimiters = _find_delimiters(norm)  # once for all units, fresh for each document
        people = _PEOPLE_TAIL_RE.search(norm) is not None  # most reports hold no count of people at all
        for i, unit in enumerate(units):
            if unit.label == _BOILERPLATE:
                continue
            found = _quantities(norm, unit.start_char, unit.end_char, self.vocabulary, plans[i] or themed[i],
                                delimiters, people)
            if not found:
                continue
            if raw is None:
                raw = _input_text(doc, norm)
                input_text = None if raw is norm else raw  # None: the records' slices are the input's own
            themes = [label for label, d in zip(labels, decided[i]) if d]
            for rec in found:
                span = doc.char_span(rec["start"], rec["end"], label=rec["canonical"] or UNMAPPED,
                                     alignment_mode="expand")
                if span is not None:
                    spans.append(span)
                    records.append(_finish_record(rec, input_text, i, theme_of(rec["canonical"]), themes, year))
        doc.spans[self.indicators_key] = spans
        doc.spans[self.indicators_key].attrs["records"] = records
        register_keys(doc, units=self.units_key, indicators=self.indicators_key)
        return doc

    def score(self, examples, **kwargs) -> dict:
        return self.scorer(examples, indicators_key=self.indicators_key, **kwargs)

    # -- serialisation ------------------------------------------------------------------------------------
    # One field, `vocabulary`; `exclude=["vocabulary"]` leaves it out (spaCy's `util` serialisers).
    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return util.to_bytes({"vocabulary": self.vocabulary.to_dict}, exclude)

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "IndicatorExtractor":
        def read(payload) -> None:
            self.vocabulary = IndicatorVocabulary.from_dict(payload, f"{self.name} (bytes)")

        try:
            msg = dict(srsly.msgpack_loads(data))
        except Exception as exc:  # noqa: BLE001  (any damage to the bytes)
            raise ModelError("E090", source=f"{self.name} (bytes)", detail=str(exc)) from None
        util.from_dict(msg, {"vocabulary": read}, exclude)
        return self

    def to_disk(self, path, *, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {VOCABULARY_FILE: lambda p: p.write_text(self.vocabulary.to_json(), encoding="utf-8")},
                     exclude)

    def from_disk(self, path, *, exclude=tuple()) -> "IndicatorExtractor":
        util.from_disk(path, {VOCABULARY_FILE: self._read_vocabulary}, exclude)
        return self

    def _read_vocabulary(self, vocab_path: Path) -> None:
        if not vocab_path.is_file():
            raise ModelError("E091", name=self.name, path=str(vocab_path))
        self.vocabulary = IndicatorVocabulary.from_file(vocab_path)


def _themed(decided: list, positions: list[int]) -> list[bool]:
    """Per unit: is a theme at one of `positions` (the label "plans") among its decided themes? One pass over
    the rows for the one position a label list has (no generator per unit)."""
    if len(positions) != 1:
        return [any(k < len(row) and bool(row[k]) for k in positions) for row in decided]
    k = positions[0]
    return [k < len(row) and bool(row[k]) for row in decided]


def plans_part(group, norm_text: str, rules: IndicatorRules | None, units: list[Span] | None = None) -> list[bool]:
    """Per unit of the unit group: does it lie under a heading of the plans part (`二、2023年重点工作安排`,
    `下一步工作打算`: the rules' `plans_heading`)? All False without rules. `units`: the group's spans, when
    the caller has them already (each pass over a span group makes a `Span` per unit)."""
    parents = group.attrs.get("parents") if len(group) else None
    if rules is None or parents is None:
        return [False] * len(group)
    heading = [u.label == _HEADING and bool(rules.plans_heading.search(norm_text, u.start_char, u.end_char))
               for u in (group if units is None else units)]
    if not any(heading):  # no plans heading (most openings of a report): no unit lies under one
        return [False] * len(group)
    out: list[bool] = []
    for i in range(len(group)):
        p = parents[i]
        out.append(p >= 0 and (heading[p] or out[p]))
    return out


def _input_text(doc: Doc, norm: str) -> str:
    """The input's text (`doc.text`), built once per document: the records' text and phrase are slices of it.
    The normalised text `norm` has the input's length and differs from it only at the characters
    normalisation changed, whose offsets and input characters the tokenizer keeps (`changed_characters`): the
    input is the normalised text with those code points put back (one numpy assignment), or the normalised
    text itself where the tokenizer recorded that nothing changed. Without that record (a `Doc` made before
    the tokenizer kept it, or whose `user_data` lost it) the changed tokens (the tokenizer set their `norm_`,
    so their NORM differs from their ORTH) are found by one array comparison and their text put back. Only a
    `Doc` the tokenizer did not make reads `doc.text`, which walks every token. Before, each record's two
    slices were patched at the changed characters inside them (a bisection and a copy per slice)."""
    from .tokenizer import changed_characters, unchanged_input

    text = unchanged_input(doc)
    if text is not None:
        return text
    if _tokenizer_norm(doc) != norm:
        return doc.text
    changed = changed_characters(doc)
    if changed is None:
        changed = _changed_tokens(doc, len(norm))
    offsets, chars = changed
    if not offsets:
        return norm
    points = _codepoints(norm).copy()
    points[offsets] = _codepoints(chars)
    return points.tobytes().decode("utf-32-le", "surrogatepass")


def _changed_tokens(doc: Doc, length: int) -> tuple[list[int], str]:
    """The offsets and input characters of the changed tokens' characters (as `changed_characters` gives
    those the tokenizer kept): a token ends where the next one starts."""
    arr = doc.to_array([ORTH, NORM, IDX]).reshape(len(doc), 3)
    bounds = np.append(arr[:, 2].astype(np.int64), length)
    offsets, chars = [], []
    for k in np.flatnonzero(arr[:, 0] != arr[:, 1]).tolist():
        a, b = int(bounds[k]), int(bounds[k + 1])
        offsets.extend(range(a, b))
        chars.append(doc[k].text_with_ws[:b - a])
    return offsets, "".join(chars)


def _tokenizer_norm(doc: Doc) -> str | None:
    """The normalised text the tokenizer recorded, when it made this `Doc` (and set the norms of the tokens
    whose characters normalisation changed); else None."""
    from .tokenizer import USER_DATA_KEY, doc_length

    data = doc.user_data.get(USER_DATA_KEY)
    if not data or "unchanged" not in data or len(data.get("norm_text", "")) != doc_length(doc):
        return None
    return data["norm_text"]


def _finish_record(rec: dict, raw: str | None, unit_index: int, theme: str | None, themes: list[str], year) -> dict:
    """The component's record, made from one of `_quantities`' records in place (its keys are in their final
    order already): the working fields removed, `text` and `phrase` the input's characters (slices of `raw`,
    `_input_text`; None when the input is the normalised text itself), then unit_index, theme, themes and
    year. Before, a second dict of 21 fields was built per record from the first."""
    del rec["_tail"], rec["_at"]
    if "_direction" in rec:
        del rec["_direction"], rec["_basis"]
    if raw is not None:
        rec["text"] = raw[rec["start"]:rec["end"]]
        if rec["phrase_start"] is not None:
            rec["phrase"] = raw[rec["phrase_start"]:rec["phrase_end"]]
    rec["unit_index"], rec["theme"], rec["themes"], rec["year"] = unit_index, theme, themes, year
    return rec


def with_input_text(rec: dict, raw: str) -> dict:
    """A copy of a record with `text` and `phrase` taken from the input at the same offsets."""
    out = dict(rec)
    if isinstance(rec.get("change"), dict):
        out["change"] = dict(rec["change"])
    out["text"] = raw[rec["start"]:rec["end"]]
    if rec.get("phrase_start") is not None:
        out["phrase"] = raw[rec["phrase_start"]:rec["phrase_end"]]
    return out


__all__ = ["IndicatorVocabulary", "IndicatorEntry", "IndicatorExtractor", "extract_quantities", "make_indicators",
           "indicator_vocabulary_v1", "packaged_vocabulary", "parse_number", "parse_chinese_number",
           "score_indicators", "match_records", "same_value", "with_input_text", "UNMAPPED", "VOCABULARY_FILE"]
