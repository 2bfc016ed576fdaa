"""Splitting a report into units: sentences, heading lines and page chrome.

Reads the *normalised* text (same length as the input, see `normalize.py`) and a `ReportRules` object,
and returns the report's unit table: one `Unit` per unit with its offsets into the original input, kind,
heading level, paragraph line and parent heading. The rules follow the label guide: split at
。！？ (and ASCII !?) and at line breaks; a heading line (`一、…`, `（三）…`, `1．…`, `第一部分…`)
is a unit of its own; web-page chrome, metadata and sign-offs are units of kind `boilerplate`. With rules
version 3 the structure does not depend on line breaks (`report_lines`: chrome cut out of a line, headings
inside running text on lines of their own) and the problems passage and the plans part are found
(`mark_parts`).
"""
from __future__ import annotations

import bisect
import functools
import operator
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy

from ..rules import ReportRules, alternation
from ..rules.regex_prefix import anchored_at_start, first_char_class

KINDS = ("heading", "sentence", "boilerplate")

SENTENCE_END = "。!?"  # after width folding ！？ are ! ?
LINE_BREAKS = "\r\n\u2028\u2029\x0b\x0c\x85"  # what ends a line, everywhere in the package
LINE_RE = re.compile(f"[^{LINE_BREAKS}]+")  # a line's text
_CLOSERS = "”’」』)》\"'】"
# A unit ends after a run of terminators and any closing quotes/brackets that follow them.
_SENTENCE_RE = re.compile(r"[^。!?]*(?:[。!?]+[" + re.escape(_CLOSERS) + r"]*|$)")
_SENTENCE_END_RE = re.compile(f"[{SENTENCE_END}]")
_SENTENCE_SPAN_RE = re.compile(r"\s*(" + _SENTENCE_RE.pattern + ")")  # a piece; group 1 without leading space

_MAX_VALUE_LEN = 40
_MAX_SIGNATURE_LEN = 30
_MAX_TITLE_LEN = 60
_MAX_PART_HEADING_LEN = 40
_PROBLEMS_WINDOW = 5  # paragraph lines before the plans part searched for the problems passage
_MIN_RUN_IN_TITLE = 4  # characters of a heading's own title before a run-in sentence may start
_MAX_CHROME_LINE = 100  # with rules that split running text, a longer line with a sentence end is never all chrome
# What `\\s`, `str.isspace` and `str.strip` take as white space (the test checks it against every code point).
WHITE_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_BULLETS = "•·●▪■◆>-"  # what a line may open with, stripped with white space (`_BULLET_RE`)
_BULLET_RE = re.compile(rf"^[{re.escape(_BULLETS)}\s]+")


@dataclass(slots=True)  # slots: a report makes one per unit (≈ 8 % cheaper to make, quicker to read)
class Unit:
    """One row of a report's unit table. `start`/`end` index the original text; `level` is the heading
    level (0 = the title, or a part heading without a marker, which opens a section; 1–4 by marker; -1 for
    non-headings); `line` the paragraph line the unit sits in; `parent` the
    index of the innermost heading above it (-1 at top level; the title is no parent); `part` the report
    part it lies in (`problems`, `plans`, `rectification`) or ""."""

    start: int
    end: int
    kind: str
    level: int = -1
    line: int = 0
    parent: int = -1
    part: str = ""  # `problems`, `plans`, `rectification` (v4 on) or "": found by rules that name parts (v3 on)


def headings_above(parent: Callable[[int], int], i: int) -> list[int]:
    """Indices of the headings above row `i` of a unit table, outermost first: the walk up `parent(j)` (the
    row's parent heading, -1 at top level) that the unit table, the getters and the reviewer JSON share."""
    path = []
    j = parent(i)
    while j >= 0:
        path.append(j)
        j = parent(j)
    return path[::-1]


def section_path(units: Sequence[Unit], i: int) -> list[int]:
    """Indices of the headings above unit `i`, outermost first."""
    return headings_above(lambda j: units[j].parent, i)


def _compact(s: str) -> str:
    """`s` without white space (`str.split` splits at the characters `\\s` matches)."""
    return "".join(s.split())


def is_chrome_line(line: str, rules: ReportRules) -> bool:
    """True for page chrome and metadata lines of government web pages."""
    bare = _unbulleted(line)
    compact = _compact(bare)
    if not compact:
        return False
    key_re = rules.metadata_key_re
    if key_re.match(bare) or (compact != bare and key_re.match(compact)):  # most lines hold no white space
        return True
    if len(compact) > 80 or not _chrome_hint_re(rules).search(compact):
        return False  # no chrome phrase and no breadcrumb separator: neither check below can hold
    if len(compact) <= 60 and any(p in compact for p in rules.chrome_phrases):
        return True
    # A breadcrumb trail: 首页 > 政务公开 > 法治政府建设 (no sentence end, short).
    if len(compact) <= 80 and sum(compact.count(sep) for sep in rules.breadcrumb_separators) >= 2 \
            and not any(c in compact for c in SENTENCE_END):
        return True
    return False


def _unbulleted(line: str) -> str:
    """`line` without the bullets and white space it opens with (`_BULLET_RE.sub`); most lines open with
    neither, and a look-up of the first character spares them the substitution call."""
    if not line or (line[0] not in _BULLETS and not line[0].isspace()):
        return line
    return _BULLET_RE.sub("", line)


def _chrome_hint_re(rules: ReportRules) -> re.Pattern:
    """Any chrome phrase or breadcrumb separator, built once per rules object: most lines hold none, and one
    search rules out both of `is_chrome_line`'s checks for them (a Python step per phrase and separator)."""
    return rules.derived("units.chrome_hint", lambda: re.compile(
        "|".join(map(re.escape, rules.chrome_phrases + rules.breadcrumb_separators))))


def _is_key_only(line: str, rules: ReportRules) -> bool:
    compact = _compact(_unbulleted(line)).rstrip(":")
    return compact in rules.metadata_keys


def _split_sentences(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Character ranges of the sentences in the stripped line `text[s:e]`, surrounding white space removed:
    the pieces `_SENTENCE_RE` cuts (text up to a run of sentence ends and the closers after it), each from
    its first character that is not white space. Found by `str.find` of 。 (a regex scans a character class
    at ≈ 5 ns a character, `find` a fraction of that), and by the regex in a line with ! or ?."""
    if text.find("!", s, e) >= 0 or text.find("?", s, e) >= 0:
        return [span for span in map(_GROUP_1, _SENTENCE_SPAN_RE.finditer(text, s, e)) if span[0] != span[1]]
    out, a = [], s
    while (end := text.find("。", a, e)) >= 0:
        end += 1
        while end < e and text[end] == "。":
            end += 1
        while end < e and text[end] in _CLOSERS:
            end += 1
        out.append((a, end))
        a = end
        while a < e and text[a].isspace():
            a += 1
    if a < e:  # the line's end is not white space: no piece needs stripping at its end
        out.append((a, e))
    return out


_GROUP_1 = operator.methodcaller("span", 1)


_COLON_RE = re.compile(r":\s*")


# A line's text without surrounding white space: from its first character that is not white space to its
# last (line breaks are white space, so the greedy run stops at the line's end and backtracks only over the
# white space that ends it). Where \n is the text's only line break, the run is `[^\n]*`, which the regex
# engine scans several times faster than a class (≈ 1.3 against ≈ 3.5 ns a character).
_STRIPPED_LINE_RE = re.compile(f"\\S(?:[^{LINE_BREAKS}]*\\S)?")
_STRIPPED_NEWLINE_LINE_RE = re.compile("\\S(?:[^\n]*\\S)?")
_OTHER_LINE_BREAKS = LINE_BREAKS.replace("\n", "")


def _lines(text: str) -> list[tuple[int, int]]:
    """Ranges of the non-blank lines of `text`, stripped of surrounding white space: one regex pass over the
    text, not a Python step per line (blank lines included) to strip it."""
    only_newlines = not any(c in text for c in _OTHER_LINE_BREAKS)  # `in` scans far faster than the regex
    pattern = _STRIPPED_NEWLINE_LINE_RE if only_newlines else _STRIPPED_LINE_RE
    return [m.span() for m in pattern.finditer(text)]


def _strip(text: str, s: int, e: int) -> tuple[int, int] | None:
    """The range [s, e) without surrounding white space; None when nothing is left."""
    piece = text[s:e]
    stripped = piece.strip()
    if not stripped:
        return None
    s += len(piece) - len(piece.lstrip())
    return s, s + len(stripped)


def _cut_chrome(text: str, s: int, e: int, rules: ReportRules) -> list[tuple[int, int, bool]]:
    """A stripped line cut into its in-line page chrome (True) and the text between (False), white space
    stripped; a line without chrome as it is."""
    scan = rules.inline_chrome_scan
    spans = scan.spans(text, s, e) if scan is not None else None
    if not spans:
        return [(s, e, False)]
    out, pos = [], s
    for start, end in spans:
        for a, b, is_chrome in ((pos, start, False), (start, end, True)):
            piece = _strip(text, a, b)
            if piece:
                out.append((*piece, is_chrome))
        pos = end
    piece = _strip(text, pos, e)
    if piece:
        out.append((*piece, False))
    return out


def _opens_line(text: str, start: int, end: int, rules: ReportRules) -> bool:
    """True when the sentence `text[start:end]` inside running text starts a heading line: a heading marker
    or a part title. One `match` of their alternation (`_opening_alternation`) where the rules allow it,
    not a Python loop over the heading patterns and a second look-up of the part title."""
    either = _opening_alternation(rules)
    if either is not None:
        return either.match(text[start:end]) is not None  # a slice: `^` and look-behinds see its start
    return rules.heading_level(text, start, end) is not None or bool(
        rules.optional_match_at("part_title_pattern", text, start, end))


def _opening_alternation(rules: ReportRules) -> re.Pattern | None:
    """The heading patterns and the part title as one alternation, built once per rules object: it matches
    where one of them matches. None where a pattern has capture groups (a back reference by number would
    point elsewhere in the alternation) or flags of its own, or the alternation does not compile."""
    def build() -> re.Pattern | None:
        patterns = [p for _, p in rules.heading_patterns]
        part_title = rules.optional_re("part_title_pattern")
        return alternation(patterns + [part_title] if part_title is not None else patterns)

    return rules.derived("units.opening_alternation", build)


def _opens_sentence(next_start, line: str, at: int) -> bool:
    """True when a sentence opening starts at `at`, white space skipped."""
    while at < len(line) and line[at].isspace():
        at += 1
    return bool(next_start.match(line, at))


# What lets a pattern's match depend on the characters after it: end anchors, word boundaries, look-aheads,
# atomic groups and possessive quantifiers (a conservative spelling check: an escaped one counts too).
_LOOKS_PAST_MATCH = ("$", "\\Z", "\\b", "\\B", "(?=", "(?!", "(?>", "*+", "++", "?+", "}+")


@functools.lru_cache(maxsize=64)
def prefix_closed(pattern: re.Pattern) -> bool:
    """True when `pattern` has none of `_LOOKS_PAST_MATCH`: then a match within a string's first n characters
    is one within its first n + k as well, so `pattern.match(s, 0, k)` failing rules out `pattern.fullmatch(s, 0,
    end)` for every end up to k."""
    return not any(token in pattern.pattern for token in _LOOKS_PAST_MATCH)


def _run_in_end(line: str, rules: ReportRules, first: bool) -> int:
    """Where a heading run into its first sentence ends, or 0: the longest part title (or, for the first
    line, the report's title) followed by a sentence opening (`run_in_next_pattern`:
    `三、2024年工作安排2024年,我局将…` → after 安排; tried only at the ends `_cut_candidates` gives, not
    at every end up to `limit`: a part heading line paid ≈ 3 µs for twenty `fullmatch` calls); else,
    after a heading marker, the first heading marker, or in a line with a sentence end the first sentence
    opening, at least `_MIN_RUN_IN_TITLE` characters on, before the first sentence end and not after
    punctuation (`一、主要举措和成效(一)…` → after 成效; `一、主要指标持续向好2015年,…。` → after 向好)."""
    next_start = rules.optional_re("run_in_next_pattern")
    if next_start is None:
        return 0
    limit = min(len(line) - 1, _MAX_PART_HEADING_LEN + 10)
    for pattern, closed in _run_in_titles(rules)[first]:
        if closed and not pattern.match(line, 0, limit):
            continue  # no prefix of the line up to `limit` matches
        for end in reversed(_cut_candidates(line, 2, limit + 1, rules, True)):  # longest first
            if pattern.fullmatch(line, 0, end) and _opens_sentence(next_start, line, end):
                return end
    found = rules.heading_marker(line)
    if found is None:
        return 0
    marker = found[1]
    sentence_end = _SENTENCE_END_RE.search(line)  # one scan in C, not a Python step per character
    has_end = sentence_end is not None  # else a heading line of its own: only a marker cuts it
    stop = min(limit, sentence_end.start()) if has_end else limit
    for end in _cut_candidates(line, marker.end() + _MIN_RUN_IN_TITLE, stop, rules, has_end):
        if line[end - 1] in _CLOSERS + ",;:、()（）" or line[end - 1].isascii():  # not after punctuation, digits
            continue  # or inside ASCII words (PM2.5、PM10 is no heading)
        if _heading_follows(line, end, rules) or (has_end and _opens_sentence(next_start, line, end)):
            return end
    return 0


def _run_in_titles(rules: ReportRules) -> tuple[tuple[tuple[re.Pattern, bool], ...], ...]:
    """The title patterns `_run_in_end` tries, each with `prefix_closed`, built once per rules object and
    indexed by `first`: the part title; for the first line the report's title too. Looking `prefix_closed` up
    by the compiled pattern hashed the pattern's whole code on every line (≈ 0.8 µs, half of a short line's
    `_run_in_end`), and a key made per call cost ≈ 0.3 µs a line."""
    def build() -> tuple[tuple[tuple[re.Pattern, bool], ...], ...]:
        variants = []
        for keys in (("part_title_pattern",), ("part_title_pattern", "title_pattern")):
            patterns = [rules.optional_re(key) for key in keys]
            variants.append(tuple((p, prefix_closed(p)) for p in patterns if p is not None))
        return tuple(variants)

    return rules.derived("units.run_in_titles", build)


def _cut_candidates(line: str, lo: int, stop: int, rules: ReportRules, opening: bool) -> range | list[int]:
    """The positions in [lo, stop) where, white space skipped, a heading marker (or with `opening` a
    sentence opening) can start: each character of `rules.run_in_cut_re` found from `lo` (scanned in C, up
    to the first at or past `stop - 1`) and the white space right before it; every position without that
    pattern. The white space is walked back only to the character after the previous one found, which
    already accounts for the positions before it."""
    cut_re = rules.run_in_cut_re(opening)
    if cut_re is None:
        return range(lo, stop)
    out: list[int] = []
    floor = lo
    for m in cut_re.finditer(line, lo):
        at = start = m.start()
        while at > floor and line[at - 1].isspace():
            at -= 1
        out += range(at, min(start + 1, stop))
        if start + 1 >= stop:
            break
        floor = start + 1
    return out


def _heading_follows(line: str, at: int, rules: ReportRules) -> bool:
    """True when a heading marker starts at `at`, white space skipped (`line[at:].lstrip()`)."""
    while at < len(line) and line[at].isspace():
        at += 1
    return rules.heading_level(line, at) is not None


def _later_sentence_starts(text: str, s: int, e: int, openings: Sequence[int]) -> list[int]:
    """The starts of the sentences of `text[s:e]` after its first (as `_split_sentences` cuts them: after a
    run of sentence ends and closers, white space skipped) at a character a heading marker or a part title
    can start with: the `openings` of the whole text (`_line_openings`) inside the piece that such a run
    really precedes within it (a position the scan found may follow white space or a closer only)."""
    out = []
    for q in openings[bisect.bisect_right(openings, s):bisect.bisect_left(openings, e)]:
        j = q - 1
        while j >= s and text[j].isspace():
            j -= 1
        while j >= s and text[j] in _CLOSERS:
            j -= 1
        if j >= s and text[j] in SENTENCE_END:
            out.append(q)
    return out


# The values of `_opening_table`: in uint8 arithmetic `next - previous` is `_OPENS - _RUN` (3) for the pair
# (run, opening) only (0, 1 and 4 differ by 1, 4, -1 = 255, -3 = 253, -4 = 252 otherwise): one subtraction
# and one comparison find the pairs.
_RUN, _OPENS = 1, 4


def _line_openings(text: str, rules: ReportRules) -> list[int]:
    """Every position of `text` whose character can open a line (`_OPENS`) right after one of a sentence
    end's run (`_RUN`), in one numpy pass over the code points of the whole text: a regex scan of each line
    for a sentence end followed by such a character cost ≈ 6 ns a character, this ≈ 1.5 ns."""
    if len(text) < 2:
        return []
    classes = _opening_table(rules).take(numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), numpy.uint32))
    return ((classes[1:] - classes[:-1] == _OPENS - _RUN).nonzero()[0] + 1).tolist()


def _opening_table(rules: ReportRules) -> numpy.ndarray:
    """One value per code point, built once per rules object: `_RUN` for the characters of a sentence end's
    run (sentence ends, closers, white space), `_OPENS` for the others a heading marker or a part title can
    start with (the first-character class of `_opens_line`'s patterns; every other character where they
    have none), else 0. The class is tried on every code point by the regex engine itself."""
    def build() -> numpy.ndarray:
        table = numpy.zeros(0x110000, numpy.uint8)
        patterns = [p.pattern for _, p in rules.heading_patterns]
        part_title = rules.optional_re("part_title_pattern")
        patterns += [part_title.pattern] if part_title is not None else []
        first = first_char_class("|".join(f"(?:{p})" for p in patterns))
        if first is None:
            table[:] = _OPENS
        else:
            table[[m.start() for m in re.finditer(first, _every_character())]] = _OPENS
        table[[ord(c) for c in SENTENCE_END + _CLOSERS + WHITE_SPACE]] = _RUN
        return table

    return rules.derived("units.opening_table", build)


def _split_running_text(text: str, s: int, e: int, rules: ReportRules, first: bool,
                        openings: Sequence[int]) -> list[tuple[int, int]]:
    """A line of running text split before every sentence, or text after a colon, that starts a heading, and
    after a title run into its first sentence: the lines it would have had with its line breaks. `openings`:
    `_line_openings` of the whole text; `text[s:e]` is stripped (a piece of `_cut_chrome`)."""
    starts = [a for a in _later_sentence_starts(text, s, e, openings) if _opens_line(text, a, e, rules)]
    starts += [m.end() for m in _COLON_RE.finditer(text, s, e)  # 现将情况报告如下:一、主要举措…
               if m.end() < e and rules.heading_level(text, m.end(), e) is not None]
    if not starts:  # most lines: one piece, already stripped, unless a title runs into its first sentence
        cut = _run_in_end(text[s:e], rules, first)
        return [(s, e)] if not cut else [r for r in (_strip(text, s, s + cut), _strip(text, s + cut, e)) if r]
    starts = sorted(set(starts))
    out = []
    for a, b in zip([s] + starts, starts + [e]):
        cut = _run_in_end(text[a:b], rules, first and a == s)
        out += [(a, a + cut), (a + cut, b)] if cut else [(a, b)]
    return [r for r in (_strip(text, a, b) for a, b in out) if r]


def report_lines(norm_text: str, rules: ReportRules) -> list[tuple[int, int, bool]]:
    """The report's lines as (start, end, is_chrome): its non-blank lines, the chrome cut out of those that
    are not chrome through and through (rules with `inline_chrome_patterns`, v3 on), and with rules that
    split running text their run-in headings on lines of their own."""
    return [(s, e, is_chrome) for s, e, is_chrome, _ in _report_lines(norm_text, rules)]


def _report_lines(norm_text: str, rules: ReportRules) -> list[tuple[int, int, bool, bool | None]]:
    """`report_lines`, each with `is_chrome_line` of its text where it is a whole line of the report (None
    for the pieces of a cut line): `segment` asks that again of every line."""
    out: list[tuple[int, int, bool, bool | None]] = []
    openings = _line_openings(norm_text, rules) if rules.splits_run_in_headings else []
    first = True  # no piece other than chrome yet (kept as the pieces come, not looked for in `out` per line)
    for ls, le in _lines(norm_text):
        line = norm_text[ls:le]
        chrome_line = is_chrome_line(line, rules)
        if chrome_line and not any(c in SENTENCE_END for c in line):
            out.append((ls, le, True, True))  # a line of chrome stays one unit
            continue
        for s, e, is_chrome in _cut_chrome(norm_text, ls, le, rules):
            if is_chrome or not rules.splits_run_in_headings:
                out.append((s, e, is_chrome, chrome_line if (s, e) == (ls, le) else None))
                first = first and is_chrome
                continue
            pieces = _split_running_text(norm_text, s, e, rules, first, openings)
            out += [(a, b, False, chrome_line if (a, b) == (ls, le) else None) for a, b in pieces]
            first = first and not pieces
    return out


_MAX_START_CHARS = 1 << 16  # a larger first-character class is not kept as a set (the pattern is always tried)


def _start_chars(rules: ReportRules, key: str, pattern: re.Pattern) -> frozenset[str] | None:
    """The characters a match of one of the rules' patterns can start with (`regex_prefix.first_char_class`,
    tried on every code point by the regex engine), built once per rules object: a set look-up of a unit's
    first character costs a fraction of a regex call. None when the pattern has no such class or it holds
    more than `_MAX_START_CHARS` characters."""
    def build() -> frozenset[str] | None:
        first = first_char_class(pattern.pattern, pattern.flags)
        if first is None:
            return None
        chars = re.findall(first, _every_character())
        return frozenset(chars) if len(chars) <= _MAX_START_CHARS else None

    return rules.derived(f"units.start_chars.{key}", build)


def _every_character() -> str:
    """Every code point once, in order (surrogates included), for finding the members of a character class."""
    return numpy.arange(0x110000, dtype=numpy.uint32).tobytes().decode("utf-32-le", "surrogatepass")


class _Sections:
    """The heading stack while a unit table is built in document order."""

    def __init__(self):
        self.stack: list[tuple[int, int]] = []  # (level, unit index)

    def parent(self) -> int:
        return self.stack[-1][1] if self.stack else -1

    def open(self, level: int, index: int) -> int:
        """A heading of `level` at `index`: close deeper or equal sections, return its parent."""
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self.parent()
        self.stack.append((level, index))
        return parent


def segment(norm_text: str, rules: ReportRules) -> list[Unit]:
    """Split normalised report text into the unit table: kinds, heading levels, lines and parents."""
    lines = _report_lines(norm_text, rules)
    has_end = [_SENTENCE_END_RE.search(norm_text, s, e) is not None for s, e, _, _ in lines]
    last_content = max((i for i, h in enumerate(has_end) if h), default=len(lines))
    not_part_heading = rules.optional_re("not_part_heading_pattern")
    back_matter = rules.optional_re("back_matter_pattern")
    units: list[Unit] = []
    sections = _Sections()
    seen_title = started = False
    checked = 0
    value_expected = False
    signoff, signoff_start = rules.signoff_re, _start_chars(rules, "signoff_pattern", rules.signoff_re)
    for li, (ls, le, in_line_chrome, chrome_line) in enumerate(lines):
        line = norm_text[ls:le]
        # Page chrome, metadata keys and their values on the following line.
        whole_chrome = (chrome_line if chrome_line is not None else is_chrome_line(line, rules)) and not (
            rules.splits_run_in_headings and has_end[li] and len(line) > _MAX_CHROME_LINE)  # report text after a key
        if in_line_chrome or whole_chrome or (
            value_expected and not has_end[li] and len(line) <= _MAX_VALUE_LEN and rules.heading_level(line) is None
        ):
            value_expected = _is_key_only(line, rules)
            units.append(Unit(ls, le, "boilerplate", line=li, parent=sections.parent()))
            continue
        value_expected = False
        level = rules.heading_level(line)
        is_back_matter = back_matter is not None and level is None and bool(back_matter.search(line))
        if level is None and not has_end[li] and not is_back_matter and (
            rules.date_line_re.match(line) or (li > last_content and len(line) <= _MAX_SIGNATURE_LEN)
        ):
            units.append(Unit(ls, le, "boilerplate", line=li, parent=sections.parent()))  # sign-off
            continue
        started = started or any(u.kind == "sentence" or u.level > 0 for u in units[checked:])  # text has begun
        checked = len(units)  # (not the title): the units before `checked` have been looked at
        part_heading = False
        if is_back_matter and started:
            level, part_heading = 0, True  # a glossary or appendix: a part of its own, after the report's parts
        elif level is None and not has_end[li] and not line.endswith(":") and not (
                not_part_heading is not None and not_part_heading.search(line)):
            if not seen_title and len(line) <= _MAX_TITLE_LEN and not any(u.kind != "boilerplate" for u in units):
                level = 0
            elif not started:  # between the title and the text: by-line, speaker, place (――在…会议上, 省长 …)
                units.append(Unit(ls, le, "boilerplate", line=li, parent=sections.parent()))
                continue
            elif started and len(line) <= _MAX_PART_HEADING_LEN:
                level, part_heading = 0, True  # a part heading without a marker (2015年工作回顾)
        spans = _split_sentences(norm_text, ls, le) if has_end[li] else [(ls, le)]
        parent = sections.parent()  # the same for the line's sentences, unless its first unit opens a section
        for k, (s, e) in enumerate(spans):
            if k == 0 and level is not None:
                if level == 0 and not part_heading:
                    seen_title = True
                    units.append(Unit(s, e, "heading", level=0, line=li, parent=parent))
                    continue
                units.append(Unit(s, e, "heading", level=level, line=li, parent=sections.open(level, len(units))))
                parent = sections.parent()
                continue
            is_signoff = (signoff_start is None or norm_text[s] in signoff_start) \
                and signoff.match(norm_text[s:e])  # the slice cut only for the few that can match
            # Positional (start, end, kind, level, line, parent): half the cost of keyword arguments, once a unit.
            units.append(Unit(s, e, "boilerplate" if is_signoff else "sentence", -1, li, parent))
    return mark_parts(norm_text, units, rules)


def unit_table(norm_text: str, spans: Iterable[tuple[int, int, str]], rules: ReportRules) -> list[Unit]:
    """The unit table of given (start, end, kind) units in document order (hand-labelled or reviewed units):
    heading levels from the rules (a heading without a marker is level 0), lines from line breaks, parents
    from the heading stack, as `segment` computes them for its own units."""
    units: list[Unit] = []
    sections = _Sections()
    line, prev_end = -1, 0
    for i, (start, end, kind) in enumerate(spans):
        gap = norm_text[prev_end:start]
        if i == 0 or any(ch in gap for ch in LINE_BREAKS):
            line += 1
        prev_end = end
        if kind != "heading":
            units.append(Unit(start, end, kind, line=line, parent=sections.parent()))
            continue
        level = rules.heading_level(norm_text[start:end].strip())
        if not level and not any(u.kind != "boilerplate" for u in units):  # the title
            units.append(Unit(start, end, kind, level=0, line=line, parent=sections.parent()))
            continue
        level = level or 0  # a heading without a marker after the title opens a part
        units.append(Unit(start, end, kind, level=level, line=line, parent=sections.open(level, i)))
    return mark_parts(norm_text, units, rules)


def _plans_start(norm_text: str, units: Sequence[Unit], rules: ReportRules) -> int | None:
    """Index of the heading that opens the plans part: the first top-level heading after the text has begun
    whose title looks forward (`plans_part_pattern`, or a year after the report's) and does not review; when
    it names problems too, the part opens at the first paragraph of its section with future wording. Without
    such a heading, a closing outlook paragraph opens it (`_headless_outlook`)."""
    names_later_year, report_year_of = _year_checks()
    plans, review = rules.optional_re("plans_part_pattern"), rules.optional_re("review_part_pattern")
    problems = rules.optional_re("problems_part_pattern")
    year = report_year_of(norm_text)
    tops = _top_headings(units)
    begun = next((j for j, u in enumerate(units) if u.kind == "sentence"), len(units))  # the text's first sentence
    for i in tops:
        u = units[i]
        if i < begun or u.level > 1:
            continue
        title = norm_text[u.start:u.end]
        if not (plans.search(title) or names_later_year(title, year)) or review.search(title):
            continue
        if not problems.search(title):
            return i
        return _first_future_lead(norm_text, units, i, rules, year)  # 存在的不足及2025年工作打算: plans follow
    return _headless_outlook(norm_text, units, rules, year, tops)


def _top_headings(units: Sequence[Unit]) -> list[int]:
    """Indices of the top-level headings (no parent heading), by one comprehension: the plans part's checks
    look only at these and at the units between two of them, not at every unit in a loop of Python steps."""
    return [j for j, u in enumerate(units) if u.parent < 0 and u.kind == "heading"]


@functools.cache
def _year_checks() -> tuple[Callable[[str, int], bool], Callable[[str], int]]:
    """`model.features`' `names_later_year` and `report_year_of`, imported on first use (the model layer
    brings scikit-learn, which the tokenizer alone does not need) and kept: an import statement in a
    function goes through the import machinery on every call (≈ 1 µs, twice a report)."""
    from ..model.features import names_later_year, report_year_of

    return names_later_year, report_year_of


def _headless_outlook(norm_text: str, units: Sequence[Unit], rules: ReportRules, year: int,
                      tops: Sequence[int]) -> int | None:
    """A plans part without a heading: the first sentence of the last top-level section (before any back
    matter) that opens as an outlook (`outlook_pattern`) on a later year (`2026年,我区将…`), or None. `tops`:
    `_top_headings(units)`; the section runs from the last of them before the first that opens back matter
    (or the end) to that one."""
    back_matter = rules.optional_re("back_matter_pattern")
    start, stop = -1, len(units)
    for j in tops:
        if back_matter.search(norm_text[units[j].start:units[j].end]):
            stop = j
            break
        start = j
    last = (j for j in range(start + 1, stop) if units[j].kind == "sentence")
    is_outlook = _outlook_test(rules, year)
    opens = _anchored_start_chars(rules, "outlook_pattern")  # most sentences cannot open an outlook
    return next((j for j in last if (opens is None or norm_text[units[j].start] in opens)
                 and is_outlook(norm_text[units[j].start:units[j].end])), None)


def _anchored_start_chars(rules: ReportRules, key: str) -> frozenset[str] | None:
    """`_start_chars` of the rules' optional pattern `key` when the pattern matches only at the start of what
    it searches (`anchored_at_start`): a unit whose first character is not among them cannot match, and its
    text need not be cut for the search. None when that does not hold or the class is unbounded."""
    def build() -> frozenset[str] | None:
        pattern = rules.optional_re(key)
        return _start_chars(rules, key, pattern) if pattern is not None and anchored_at_start(pattern) else None

    return rules.derived(f"units.anchored_start_chars.{key}", build)


def _outlook_test(rules: ReportRules, year: int) -> Callable[[str], bool]:
    """A test for a sentence that opens as an outlook on a year after the report's (`2026年,我区将…`), with
    the pattern and the year check looked up once per report, not per sentence."""
    names_later_year = _year_checks()[0]
    outlook = rules.optional_re("outlook_pattern")
    return lambda sentence: bool(outlook.search(sentence)) and names_later_year(sentence, year)


def _first_future_lead(norm_text: str, units: Sequence[Unit], heading: int, rules: ReportRules,
                       year: int) -> int | None:
    """The first unit of the heading's section that opens a paragraph with future wording, or any sentence
    that opens as an outlook on a later year (the paragraph may have lost its line break), or None."""
    is_outlook = _outlook_test(rules, year)
    for j in range(heading + 1, len(units)):
        u = units[j]
        if u.kind == "heading" and u.level <= units[heading].level:
            return None
        text = norm_text[u.start:u.end]
        if u.kind == "sentence" and ((u.line != units[j - 1].line and rules.future_re.search(text))
                                     or is_outlook(text)):
            return j
    return None


def _problems_units(norm_text: str, units: Sequence[Unit], rules: ReportRules, plans: int | None) -> list[int]:
    """Units of the problems passage: the section of a heading naming problems (`problems_part_pattern`,
    level 1 or 2); else, among the last paragraph lines before the plans heading, those from the nearest
    that names problems (the shortcomings part cue) back to the nearest line at or before it that opens a
    problems passage (`problems_opening_pattern`: 清醒认识到, 成绩的同时 …)."""
    problems, cue = rules.optional_re("problems_part_pattern"), rules.part_cues.get("shortcomings")
    end = plans if plans is not None else len(units)
    for i in _part_headings(norm_text, units[:end], problems):
        if not _is_rectification(norm_text, units[i], rules):
            return _section(units, i, end)
    opening = rules.optional_re("problems_opening_pattern")
    if plans is None or cue is None:
        return []
    lines: list[int] = []  # paragraph lines between the last heading and the plans heading, nearest first
    for u in reversed(units[:plans]):
        if u.kind == "heading" or u.part == "rectification" or len(lines) > _PROBLEMS_WINDOW:
            break
        if u.kind == "sentence" and u.line not in lines:
            lines.append(u.line)
    text = {line: "".join(norm_text[u.start:u.end] for u in units[:plans] if u.line == line) for line in lines}
    named = [line for line in lines if cue.search(text[line]) or opening.search(text[line])]  # nearest first
    if not named:
        return []
    first = next((line for line in lines if line <= named[0] and opening.search(text[line])), named[0])
    chosen = {line for line in lines if first <= line <= named[0]}
    return [j for j in range(plans) if units[j].line in chosen and units[j].kind == "sentence"]


def _part_headings(norm_text: str, units: Sequence[Unit], pattern) -> list[int]:
    """Indices of the level-1 and level-2 headings whose title matches `pattern`."""
    return [i for i, u in enumerate(units)
            if u.kind == "heading" and 1 <= u.level <= 2 and pattern.search(norm_text[u.start:u.end])]


def _section(units: Sequence[Unit], heading: int, end: int) -> list[int]:
    """The heading and the units of its section, up to the next heading of its level or above, or `end`."""
    inside = [heading]
    for j in range(heading + 1, end):
        if units[j].kind == "heading" and units[j].level <= units[heading].level:
            break
        inside.append(j)
    return inside


def _is_rectification(norm_text: str, unit: Unit, rules: ReportRules) -> bool:
    """True for a heading that names the rectification of last year's problems (`rectification_part_pattern`,
    v4 on: `二、上年存在不足及整改情况`)."""
    pattern = rules.optional_re("rectification_part_pattern")
    return pattern is not None and bool(pattern.search(norm_text[unit.start:unit.end]))


def _rectification_units(norm_text: str, units: Sequence[Unit], rules: ReportRules, end: int) -> list[int]:
    """Units of the parts that report the rectification of last year's problems (rules v4 on)."""
    pattern = rules.optional_re("rectification_part_pattern")
    if pattern is None:
        return []
    return [j for i in _part_headings(norm_text, units[:end], pattern) for j in _section(units, i, end)]


def mark_parts(norm_text: str, units: list[Unit], rules: ReportRules) -> list[Unit]:
    """Set `part` on the units of the problems passage, the plans part and (rules v4 on) the rectification
    part, with rules that name parts (version 3 on; others leave every `part` empty). The plans part runs
    from its heading to the report's end or its back matter (glossary, appendices); target lines and lists
    inside it do not end it. A rectification part (`上年…问题整改情况`) is not the problems passage: its
    units get the part `rectification`, which gives them no problems part state."""
    if not rules.names_parts:
        return units
    plans = _plans_start(norm_text, units, rules)
    back_matter = rules.optional_re("back_matter_pattern")
    for j in _rectification_units(norm_text, units, rules, plans if plans is not None else len(units)):
        if units[j].kind != "boilerplate":
            units[j].part = "rectification"
    for j in _problems_units(norm_text, units, rules, plans):
        if units[j].kind != "boilerplate":
            units[j].part = "problems"
    for j in range(plans if plans is not None else len(units), len(units)):
        u = units[j]
        if u.kind == "heading" and u.parent < 0 and back_matter.search(norm_text[u.start:u.end]):
            break
        if u.kind != "boilerplate":
            u.part = "plans"
    return units
