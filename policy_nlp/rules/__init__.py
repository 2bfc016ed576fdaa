"""Report rules as versioned data (the JSON files in this folder) and their loader.

A `ReportRules` object is built from a JSON document (`policy_nlp/rules/report_rules_v*.json`, or one of
your own), passed to the components through their config (`rules = {"@misc": "policy_nlp.report_rules.v1"}`)
and saved with the pipeline: the structure component writes it to its directory and the theme model holds
its own copy, so a saved pipeline keeps answering the same when the package's defaults change. Adapting to
another site's chrome is a config change (`extra_metadata_keys`, `extra_chrome_phrases`) or a rules file
(`policy_nlp.report_rules_file.v1`), not a fork.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping

from spacy.util import registry

from .. import jsonio
from ..errors import ModelError
from .regex_prefix import PrefixScan, first_char_class
from .regex_safety import backtracking_risk

RULES_DIR = Path(__file__).resolve().parent
FORMAT = "policy_nlp.report_rules"
_REQUIRED = ("name", "version", "heading_patterns", "metadata_keys", "chrome_phrases", "breadcrumb_separators",
             "signoff_pattern", "date_line_pattern", "lexicon", "part_cues", "future_pattern")
# Structure that does not depend on line breaks (version 3 on); rules without them segment as before.
_OPTIONAL_PATTERNS = ("part_title_pattern", "title_pattern", "run_in_next_pattern", "not_part_heading_pattern",
                      "back_matter_pattern", "plans_part_pattern", "review_part_pattern", "problems_part_pattern",
                      "problems_opening_pattern", "outlook_pattern", "rectification_part_pattern")
PART_PATTERNS = ("plans_part_pattern", "review_part_pattern", "problems_part_pattern", "problems_opening_pattern",
                 "back_matter_pattern", "outlook_pattern")


def read_json(path: str | Path, code: str):
    """The JSON document in a rules or vocabulary file; an unreadable file raises `code` naming it."""
    return jsonio.read(path, lambda detail: ModelError(code, source=str(path), detail=detail))


def alternation(patterns: list[re.Pattern], capture: bool = False) -> re.Pattern | None:
    """The patterns as one alternation, a group around each when `capture` (`lastindex` then names the branch
    that matched). None where a pattern has capture groups of its own (a back reference by number would point
    elsewhere in the alternation) or flags of its own, or the alternation does not compile (inline global
    flags in one pattern)."""
    if any(p.groups or p.flags != re.UNICODE for p in patterns):
        return None
    wrap = "({})" if capture else "(?:{})"
    try:
        return re.compile("|".join(wrap.format(p.pattern) for p in patterns))
    except re.error:
        return None


@dataclass(frozen=True, eq=False)
class ReportRules:
    """The rules one pipeline uses. Build it with `ReportRules.from_dict`; compare by `fingerprint`."""

    data: Mapping[str, Any]
    source: str = "<dict>"
    _compiled: dict = field(default_factory=dict, repr=False, compare=False)

    # -- construction -------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<dict>") -> "ReportRules":
        """Validate and wrap a rules document; a missing key or a bad pattern raises E008."""
        if not isinstance(data, Mapping):
            raise ModelError("E008", source=source, detail="the rules must be a JSON object")
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise ModelError("E008", source=source, detail=f"missing keys: {', '.join(missing)}")
        rules = cls(json.loads(json.dumps(dict(data), ensure_ascii=False)), source)
        try:
            rules.heading_patterns  # noqa: B018  (compiles every pattern once, here)
            rules.heading_start_re  # noqa: B018
            rules.part_cues  # noqa: B018
            rules.future_re  # noqa: B018
            rules.signoff_re  # noqa: B018
            rules.date_line_re  # noqa: B018
            rules.inline_chrome_scan  # noqa: B018
            for key in _OPTIONAL_PATTERNS:
                rules.optional_re(key)
            for label, terms in rules.lexicon.items():
                if not all(isinstance(t, str) and t for t in terms):
                    raise ValueError(f"lexicon '{label}' holds an empty or non-string term")
            for pattern in _patterns(rules.data):
                risk = pattern not in _packaged_patterns() and backtracking_risk(pattern)
                if risk:
                    raise ValueError(f"the pattern {pattern[:60]!r} can backtrack catastrophically ({risk})")
        except (re.error, TypeError, ValueError, KeyError) as exc:
            raise ModelError("E008", source=source, detail=str(exc)) from None
        return rules

    @classmethod
    def from_file(cls, path: str | Path) -> "ReportRules":
        return cls.from_dict(read_json(path, "E008"), str(path))

    def extended(self, *, metadata_keys: List[str] = (), chrome_phrases: List[str] = ()) -> "ReportRules":
        """A copy with more metadata keys and chrome phrases (a site's own page furniture)."""
        if not metadata_keys and not chrome_phrases:
            return self
        data = dict(self.data)
        data["metadata_keys"] = list(dict.fromkeys(list(data["metadata_keys"]) + list(metadata_keys)))
        data["chrome_phrases"] = list(dict.fromkeys(list(data["chrome_phrases"]) + list(chrome_phrases)))
        return ReportRules.from_dict(data, self.source + " (extended)")

    # -- serialisation ------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return json.loads(json.dumps(self.data, ensure_ascii=False))

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: equal rules, equal fingerprint."""
        canon = json.dumps(self.data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.data['name']}/v{self.data['version']}"

    def __eq__(self, other) -> bool:
        return isinstance(other, ReportRules) and other.fingerprint == self.fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __reduce__(self):  # pickles as plain data: no compiled patterns, no functions
        return (_rules_from_data, (self.to_dict(), self.source))

    # -- compiled views -----------------------------------------------------------------------------------
    # Built once per rules object: the ones asked for on every line of a report are cached properties (then
    # a plain attribute), the others kept in `_compiled` by name.
    def _memo(self, key, build):
        try:
            return self._compiled[key]
        except KeyError:
            value = self._compiled[key] = build()
            return value

    def derived(self, key: str, build):
        """A value another module derives from these rules (a compiled pattern), built once per rules object:
        `build()` the first time `key` is asked for."""
        try:  # the look-up inline: asked for on every line of a report
            return self._compiled["derived", key]
        except KeyError:
            return self._memo(("derived", key), build)

    @functools.cached_property
    def heading_patterns(self) -> tuple[tuple[int, re.Pattern], ...]:
        return tuple((int(h["level"]), re.compile(h["pattern"])) for h in self.data["heading_patterns"])

    @property
    def metadata_keys(self) -> tuple[str, ...]:
        return tuple(self.data["metadata_keys"])

    @functools.cached_property
    def metadata_key_re(self) -> re.Pattern:
        return re.compile(
            r"^(?:" + "|".join(sorted(map(re.escape, self.metadata_keys), key=len, reverse=True)) + r")(?:[:\s]|$)")

    @property
    def chrome_phrases(self) -> tuple[str, ...]:
        return tuple(self.data["chrome_phrases"])

    @property
    def breadcrumb_separators(self) -> tuple[str, ...]:
        return tuple(self.data["breadcrumb_separators"])

    @functools.cached_property
    def signoff_re(self) -> re.Pattern:
        return re.compile(self.data["signoff_pattern"])

    @functools.cached_property
    def date_line_re(self) -> re.Pattern:
        return re.compile(self.data["date_line_pattern"])

    @property
    def lexicon(self) -> dict[str, tuple[str, ...]]:
        return self._memo("lexicon", lambda: {k: tuple(v) for k, v in self.data["lexicon"].items()})

    @functools.cached_property
    def part_cues(self) -> dict[str, re.Pattern]:
        return {k: re.compile(v) for k, v in self.data["part_cues"].items()}

    @functools.cached_property
    def future_re(self) -> re.Pattern:
        return re.compile(self.data["future_pattern"])

    @property
    def inline_chrome_re(self) -> re.Pattern | None:
        """Page chrome inside a line (breadcrumbs, date and share bars, footers, crawler headers), or None."""
        patterns = self.data.get("inline_chrome_patterns") or []
        return self._memo("inline_chrome", lambda: re.compile("|".join(f"(?:{p})" for p in patterns))
                          if patterns else None)

    @functools.cached_property
    def inline_chrome_scan(self) -> PrefixScan | None:
        """The in-line chrome matches found by a scan that skips, in C, the characters no chrome pattern
        starts with (`regex_prefix.PrefixScan`: the same matches as `inline_chrome_re.finditer`), or None."""
        return PrefixScan(self.inline_chrome_re) if self.inline_chrome_re is not None else None

    def optional_re(self, key: str) -> re.Pattern | None:
        """One of the optional patterns (`_OPTIONAL_PATTERNS`), compiled, or None where the rules lack it."""
        try:  # the look-up inline: asked for on every line of a report
            return self._compiled[key]
        except KeyError:
            return self._memo(key, lambda: re.compile(self.data[key]) if self.data.get(key) else None)

    @functools.cached_property
    def names_parts(self) -> bool:
        """True when the rules find the problems passage and the plans part (`PART_PATTERNS`, v3 on). Worked
        out once per rules object (six pattern look-ups, asked for by every report)."""
        return all(self.optional_re(key) is not None for key in PART_PATTERNS)

    @functools.cached_property
    def splits_run_in_headings(self) -> bool:
        """True when headings and part titles inside running text start units of their own (asked for on
        every line: a plain attribute after the first time)."""
        return bool(self.data.get("split_run_in_headings", False))

    @functools.cached_property
    def heading_start_re(self) -> re.Pattern | None:
        """The class of characters a heading marker can start with (`regex_prefix.first_char_class` of the
        heading patterns together), or None when the patterns allow no such class."""
        return _class_re("|".join(f"(?:{p.pattern})" for _, p in self.heading_patterns))

    def optional_start_re(self, key: str) -> re.Pattern | None:
        """The class of characters a match of an optional pattern (`optional_re(key)`) can start with, or
        None (kept by the key's name: hashing a compiled pattern hashes its whole code)."""
        return self._memo(key + ":start", lambda: _class_re(self.optional_re(key).pattern)
                          if self.optional_re(key) is not None else None)

    def optional_match_at(self, key: str, text: str, start: int, end: int) -> re.Match | None:
        """`optional_re(key).match(text[start:end])` (a slice: `^` and look-behinds see its start), or None
        without the pattern; the slice is cut only when the character at `start` can start a match (most
        sentences start with one that cannot)."""
        pattern = self.optional_re(key)
        if pattern is None:
            return None
        first = self.optional_start_re(key)
        if first is not None and not first.match(text, start, end):
            return None
        return pattern.match(text[start:end])

    def run_in_cut_re(self, opening: bool) -> re.Pattern | None:
        """One character a heading marker (or, with `opening`, a run-in sentence opening,
        `run_in_next_pattern`) can start with, from the patterns' first-character classes; None when a
        pattern has no such class. A class and not a look-ahead, so that `finditer` skips in C to the
        next such character (a zero-width look-ahead is tried at every position of the line)."""
        def build():
            keys = [first_char_class("|".join(f"(?:{p.pattern})" for _, p in self.heading_patterns))]
            if opening:
                next_start = self.optional_re("run_in_next_pattern")
                keys.append(first_char_class(next_start.pattern) if next_start is not None else None)
            return re.compile("|".join(keys)) if all(keys) else None

        return self._memo(("run_in_cut", opening), build)

    @functools.cached_property
    def heading_alternation(self) -> re.Pattern | None:
        """The heading patterns as one alternation, a group around each: the first that matches at a line's
        start is the branch that matches (`lastindex`), so one call answers what trying them in turn did
        (a line that opens with a marker's character, 2024年… too, was tried against every pattern). None
        where a pattern has groups or flags of its own, or the alternation does not compile."""
        return alternation([p for _, p in self.heading_patterns], capture=True)

    def heading_marker(self, text: str, start: int = 0, end: int | None = None) -> tuple[int, re.Match] | None:
        """The level and match of the first heading pattern that matches at the start of `text[start:end]`,
        else None. Most lines start with a character no marker starts with: one class match rules them out
        (and the slice is cut only for the others)."""
        end = len(text) if end is None else end
        first = self.heading_start_re
        if first is not None and not first.match(text, start, end):
            return None
        line = text if start == 0 and end == len(text) else text[start:end]
        either = self.heading_alternation
        if either is not None:
            m = either.match(line)
            if m is None:
                return None
            level, pattern = self.heading_patterns[m.lastindex - 1]
            return level, pattern.match(line)
        for level, pattern in self.heading_patterns:
            m = pattern.match(line)
            if m:
                return level, m
        return None

    def heading_level(self, text: str, start: int = 0, end: int | None = None) -> int | None:
        """Level of a heading marker at the start of `text[start:end]` (stripped, normalised), else None."""
        marker = self.heading_marker(text, start, end)
        return marker[0] if marker else None


def _class_re(pattern: str, flags: int = 0) -> re.Pattern | None:
    first = first_char_class(pattern, flags)
    return re.compile(first) if first else None


def _patterns(data: Mapping[str, Any]) -> list[str]:
    """Every regular expression of a rules document, found by its key (of any version): a `*_pattern` string,
    the items of a `*_patterns` list (strings, or objects with a `pattern`) and the `part_cues` values."""
    found = list(data["part_cues"].values())
    for key, value in data.items():
        if key.endswith("_pattern") and value:
            found.append(value)
        elif key.endswith("_patterns"):
            found += [item["pattern"] if isinstance(item, Mapping) else item for item in value or ()]
    return found


@functools.lru_cache(maxsize=1)
def _packaged_patterns() -> frozenset[str]:
    """The patterns of the packaged rules files, which pass the backtracking check as they are: a few of their
    in-line chrome patterns nest a repeat that a required separator keeps from backtracking, which the check
    cannot see; the same pattern in a model's rules.json is the packaged one."""
    return frozenset(pattern for path in RULES_DIR.glob("report_rules_v*.json")
                     for pattern in _patterns(json.loads(path.read_text(encoding="utf-8"))))


def _rules_from_data(data: dict, source: str) -> ReportRules:
    return ReportRules.from_dict(data, source)


@functools.lru_cache(maxsize=8)
def packaged_rules(version: int) -> ReportRules:
    """The rules shipped as `policy_nlp/rules/report_rules_v{version}.json`."""
    path = RULES_DIR / f"report_rules_v{version}.json"
    if not path.is_file():
        raise ModelError("E008", source=str(path), detail=f"no packaged rules of version {version}")
    return ReportRules.from_file(path)


LATEST_VERSION = 5


@registry.misc("policy_nlp.report_rules.v1")
def report_rules_v1(extra_metadata_keys: List[str] = [], extra_chrome_phrases: List[str] = []) -> ReportRules:  # noqa: B006
    """The packaged rules, version 1, optionally with a site's extra metadata keys and chrome phrases."""
    return packaged_rules(1).extended(metadata_keys=extra_metadata_keys, chrome_phrases=extra_chrome_phrases)


@registry.misc("policy_nlp.report_rules.v2")
def report_rules_v2(extra_metadata_keys: List[str] = [], extra_chrome_phrases: List[str] = []) -> ReportRules:  # noqa: B006
    """The packaged rules, version 2 (term lists narrowed to the guide's phrases, work-report part names)."""
    return packaged_rules(2).extended(metadata_keys=extra_metadata_keys, chrome_phrases=extra_chrome_phrases)


@registry.misc("policy_nlp.report_rules.v3")
def report_rules_v3(extra_metadata_keys: List[str] = [], extra_chrome_phrases: List[str] = []) -> ReportRules:  # noqa: B006
    """The packaged rules, version 3 (v2, and structure that does not depend on line breaks: chrome cut out
    of a line, headings inside running text, target lines and back matter)."""
    return packaged_rules(3).extended(metadata_keys=extra_metadata_keys, chrome_phrases=extra_chrome_phrases)


@registry.misc("policy_nlp.report_rules.v4")
def report_rules_v4(extra_metadata_keys: List[str] = [], extra_chrome_phrases: List[str] = []) -> ReportRules:  # noqa: B006
    """The packaged rules, version 4 (v3, and the rectification part as a part of its own, sign-off variants,
    a 学法 term list and the guide's wider business-environment list)."""
    return packaged_rules(4).extended(metadata_keys=extra_metadata_keys, chrome_phrases=extra_chrome_phrases)


@registry.misc("policy_nlp.report_rules.v5")
def report_rules_v5(extra_metadata_keys: List[str] = [], extra_chrome_phrases: List[str] = []) -> ReportRules:  # noqa: B006
    """The packaged rules, version 5 (v4, and a page footer's chrome cut out of running text: 责任编辑, 上一篇/下一篇,
    相关链接, 主办单位, 网站标识码, ICP and 公网安备 numbers, 版权所有 …)."""
    return packaged_rules(5).extended(metadata_keys=extra_metadata_keys, chrome_phrases=extra_chrome_phrases)


@registry.misc("policy_nlp.report_rules_file.v1")
def report_rules_file_v1(path: str) -> ReportRules:
    """Rules from a JSON file of your own (same keys as the packaged ones)."""
    return ReportRules.from_file(path)


def default_rules() -> ReportRules:
    """The rules new pipelines use by default (the latest packaged version)."""
    return registry.misc.get(f"policy_nlp.report_rules.v{LATEST_VERSION}")()


DEFAULT_RULES_CONFIG = {"@misc": f"policy_nlp.report_rules.v{LATEST_VERSION}"}
