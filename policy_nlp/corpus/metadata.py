"""Who and when: a report's region, issuing body, year, kind and title, each with where it came from.

`extract_metadata(text, name=..., page=...)` reads the candidates of each field from the sources at hand, in
order of trust — `page` (metadata a reader found in an HTML, Word or PDF file: its title, date, issuer), the
page header lines copied into the text (`信息名称`, `发布机构` …), the title line, the opening sentences, the
file name, and the report's body (its most named district) — and keeps, per field, the first source that gives
a value. A `MetadataField` holds the value, its source and the words it was read from. `read_overrides(csv)`
reads a user's table (`id,region,year,kind,title,issuer`) whose values replace the extracted ones
(`apply_overrides`), with source `csv`.

The year is the year the report is about: the year whose work it reviews (`2024年,我区…`, `2023年工作回顾`).
A government work report delivered early in year N reviews N−1, so its title year counts as N−1, unless its
title dates it in the second half of the year (a new term's report, `2016年10月`). A date of publication on the
title line (`发布日期：2024年03月28日`) is page chrome, neither the year nor part of the title.

The title line and the page header are read in Simplified script with full-width forms folded, as the
components read the text (`報告`, `標題`, `發文機構` are found), at the same places; a title is kept as the text
writes it, an issuer as read. Zero-width characters (`normalize.ZERO_WIDTH`) are not read at all: `法\u200b治`
is 法治.
"""
from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..components.normalize import ZERO_WIDTH, fold_width, to_simplified
from ..errors import DataError

FIELDS = ("region", "issuer", "year", "kind", "title")
KINDS = ("rule_of_law_report", "government_work_report", "other")
NATIONAL = "全国"

_ADMIN = r"[\u4e00-\u9fff]{1,7}?(?:自治县|自治州|自治区|新区|区|县|市|省|旗|盟|州)"
_REGION_RE = re.compile(_ADMIN)
# `_region_names`: the characters an admin suffix of `_ADMIN` starts with, and the suffixes of more than one
# character by their first character (at any position at most one suffix starts)
_SUFFIX_START = re.compile("[自新区县市省旗盟州]")
_LONG_SUFFIXES = {"自": ("自治县", "自治州", "自治区"), "新": ("新区",)}
_CJK_FIRST, _CJK_LAST = "\u4e00", "\u9fff"
_NOT_REGION = re.compile(r"^(?:我|本|全|该|各|辖|城|地|社|园|片|景|小|街|校|市|省|区|县|新区|主城|新城|老城|城区|"
                         r"中心城|示范区|先行区|自贸区|开发区|试验区|功能区|保护区|核心区|服务区|综合区|集聚区|合作区)")
_NOT_IN_REGION = re.compile(r"政府|人民|代表|会议|管委|委员|工作|报告|建设|法治")
_PIECES_RE = re.compile(r"[\d\s（）()、，,：:—―\-]+|年度?|月|日|关于|在|的")
_SPECIFIC = ("自治县", "新区", "区", "县", "旗")
_YEAR = r"((?:19|20)\d\d)"
_TITLE_YEAR_RE = re.compile(_YEAR + r"年(?:度)?(?:(\d{1,2})月)?")
_REVIEW_RES = (  # the year under review: a review heading first, else a lead naming a year
    re.compile(r"(?:^|[一二三四五六七八九十、（(）)\s])(?:关于)?" + _YEAR + r"年(?:以来)?(?:工作回顾|主要工作|工作和|工作$)",
               re.M),
    re.compile(r"(?:^\s*|刚刚过去的)" + _YEAR + r"年[，,]", re.M),
)
# Every match of the review heading (`_REVIEW_RES[0]`) holds one of these after its year, and starts at most
# `_REVIEW_REACH` characters before that 年 (a prefix character, 关于, four digits): its search starts there.
_REVIEW_ANCHORS = ("年工作", "年主要工作", "年以来工作", "年以来主要工作")
_REVIEW_REACH = 7
_LEAD_ANCHORS = ("年，", "年,")  # every match of the lead (`_REVIEW_RES[1]`) holds one of these after its year
_FILE_YEAR_RE = re.compile(r"_" + _YEAR + r"年?$")
_DELIVERED_RE = re.compile(_YEAR + r"年(\d{1,2})月(?:\d{1,2}日)?")
_HEADER_KEYS = {"title": ("信息名称", "标题", "名称"), "issuer": ("发文机构", "发布机构", "发文单位")}
_ANY_HEADER_KEY = tuple(key for keys in _HEADER_KEYS.values() for key in keys)
_ISSUER_RE = re.compile(r"我(?:谨)?代表(" + r"[\u4e00-\u9fff]{0,14}?(?:人民政府|政府|管理委员会|管委会|筹备组)|国务院)")
_TITLE_ISSUER_RE = re.compile(r"([\u4e00-\u9fff]{2,12}?(?:人民政府|管理委员会|管委会|(?<!法治)政府|[\u4e00-\u9fff]{1,6}局))")
_OPENING_REGION_RE = re.compile(r"^\s*" + _YEAR + r"年[,，]\s*(" + _ADMIN + r")")
_TITLE_LINE_MAX = 60
# A date of publication at either end of the title line (`发布日期：2024年03月28日 `, ` 发布时间:2024-03-28 09:30`).
_DATE_FIELD_RE = re.compile(r"(?:发布|成文|印发)?(?:日期|时间)[:：]\s*" + _YEAR
                            + r"(?:年\d{1,2}月\d{1,2}日|[-/.]\d{1,2}[-/.]\d{1,2})(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*")
_DATE_FIELD_MAX = 48  # characters a date field at a line's end can take (`成文日期：2024年12月28日 09:30:00`, spaces)
# The title at the start of a longer line that runs into the body (line breaks lost): up to a 报告 that a year's
# lead or a heading marker follows (`金水区2023年法治政府建设年度报告2023年，我区…`).
_RUN_IN_TITLE_RE = re.compile(r"[^。，,；;：:！!？?]{4," + str(_TITLE_LINE_MAX - 2) + r"}?报告(?=" + _YEAR
                              + r"年|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")
_HEADER_LINES = 40  # the page header and footer lines `_page_header` reads at each end of a long text
_HEAD_CHARS, _BODY_CHARS = 1500, 20000  # what the opening sentences and the body region are read from
# Compiled once here, not looked up in `re`'s cache of patterns on every report (≈ 0.5 µs a call).
_WORK_REPORT_RE = re.compile(r"(?:管委会|管理委员会|政府)?\d{0,4}年?工作报告")
_CONGRESS_TAIL_RE = re.compile(r"人民代表大会.*")
_TITLE_WORD_RE = re.compile(r"报告|情况$")
_SUBTITLE_RE = re.compile(r"^[-—―－]{1,2}")
_NO_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))


@dataclass
class MetadataField:
    value: str | int | None
    source: str
    evidence: str = ""

    def to_dict(self) -> dict:
        return {"value": self.value, "source": self.source, "evidence": self.evidence}


@dataclass
class Metadata:
    """One report's metadata: a `MetadataField` (or None) per field of `FIELDS`."""
    fields: dict[str, MetadataField] = field(default_factory=dict)

    def value(self, name: str):
        f = self.fields.get(name)
        return None if f is None else f.value

    def values(self) -> dict:
        return {name: self.value(name) for name in FIELDS}

    def to_dict(self) -> dict:
        return {name: self.fields[name].to_dict() for name in FIELDS if name in self.fields}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Metadata":
        out = cls()
        for name, f in (data or {}).items():
            if name in FIELDS and isinstance(f, dict):
                out.fields[name] = MetadataField(f.get("value"), str(f.get("source", "")), str(f.get("evidence", "")))
        return out


def _simplified(text: str) -> str:
    return _converted(text)[0]


def _converted(text: str) -> tuple[str, bool]:
    """`to_simplified(fold_width(text))`: the Simplified text and whether OpenCC's output changed the length
    (then it is the character-wise conversion)."""
    return to_simplified(fold_width(text))


def _simplified_after(text: str, head: tuple[str, bool], head_chars: int) -> str:
    """`_simplified(text)`, given `head` = `_converted(text[:head_chars])`: the head's conversion up to its
    last line end is reused and only the rest is converted. OpenCC converts by longest dictionary match and
    its dictionaries hold one entry per line, so no key or value holds a line end: a text cut after a line
    end converts as its two parts do, and the head's last line end is that of its part before the cut. Falls
    back to converting the whole text when the head has no line end or a conversion changed the length."""
    if len(text) <= head_chars:
        return head[0]
    done, charwise = head
    cut = text.rfind("\n", 0, head_chars) + 1
    if charwise or not cut:
        return _simplified(text)
    rest, rest_charwise = _converted(text[cut:])
    joined = done[:done.rfind("\n") + 1] + rest
    return _simplified(text) if rest_charwise or len(joined) != len(text) else joined


def _converted_prefix(text: str, n: int, whole: str, folded: str | None = None) -> tuple[str, bool]:
    """`_converted(text[:n])`, given `whole` = OpenCC's output for all of `fold_width(text)` where it kept the
    length (the tokenizer's, `t2s_conversion`). By the line-end rule of `_simplified_after`, OpenCC's output
    for `text[:n]` is its output for the text up to the last line end before `n` — the part of `whole` up to
    its k-th line end, k the line ends there (a line end converts to itself, alone) — followed by the
    output for the rest of the line: only that rest is converted. Converts `text[:n]` itself when the cut
    does not fall where expected in `whole` or the rest's conversion changed the length (then so did the
    head's, and `_converted` gives the character-wise conversion). `folded`: `fold_width(text)` when at hand
    (a Simplified report's normalised text): the rest is cut from it, not folded again (folding is character
    by character; the rest of a line nearly always holds a full-width comma, so folding meant the arrays)."""
    if len(text) <= n:
        return whole, False
    cut = text.rfind("\n", 0, n) + 1
    if not cut or whole[cut - 1] != "\n" or whole.count("\n", 0, cut) != text.count("\n", 0, cut):
        return _converted(text[:n])
    rest, charwise = _converted(text[cut:n]) if folded is None else to_simplified(folded[cut:n])
    return _converted(text[:n]) if charwise else (whole[:cut] + rest, False)


def _kind_of(text: str) -> str | None:
    if "法治政府建设" in text or ("依法行政" in text and "报告" in text):
        return "rule_of_law_report"
    if "政府工作报告" in text or _WORK_REPORT_RE.search(text):
        return "government_work_report"
    return None


def _region_in(text: str, specific_only: bool = False) -> str | None:
    """The most specific administrative area a title-like text names: the last district-level name, else the
    last city or province (`深圳市罗湖区` → 罗湖区, `广东省政府` → 广东省); `国务院` → 全国."""
    if "国务院" in text:
        return NATIONAL
    names = [m.group(0) for piece in _PIECES_RE.split(text) for m in _REGION_RE.finditer(piece)]
    names = [n for n in names if not _NOT_REGION.match(n) and not _NOT_IN_REGION.search(n)]
    for n in reversed(names):
        if n.endswith(_SPECIFIC):
            return n
    return None if specific_only or not names else names[-1]


def _title_year(text: str, kind: str | None) -> int | None:
    """The year a title names, as the year reported on (see the module doc)."""
    m = _TITLE_YEAR_RE.search(text)
    if not m:
        return None
    year, month = int(m.group(1)), m.group(2)
    if kind == "government_work_report" and not (month and int(month) >= 7) and "年度" not in m.group(0):
        return year - 1
    return year


def _from_title(text: str, source: str, subtitle: str = "") -> dict[str, MetadataField]:
    """Kind, region and year named by a title (and the subtitle line under it, which may name the meeting)."""
    s = _simplified(f"{text} {subtitle}".strip())
    kind = _kind_of(s)
    out = {"title": MetadataField(text.strip(), source, text.strip())}
    if kind:
        out["kind"] = MetadataField(kind, source, s)
    region = _region_in(_CONGRESS_TAIL_RE.sub("", s) if "在" not in s else s)
    if region:
        out["region"] = MetadataField(region, source, s)
    year = _title_year(s, kind)
    if year:
        out["year"] = MetadataField(year, source, s)
    m = _TITLE_ISSUER_RE.search(_PIECES_RE.sub(" ", s))
    issuer = "国务院" if region == NATIONAL else m.group(1) if m else None
    if issuer and (region is None or region in issuer or region == NATIONAL):  # the body of the area named
        out["issuer"] = MetadataField(issuer, source, s)
    return out


def _title_line(lines: list[str], simple: list[str]) -> tuple[str, str] | None:
    """The first line, when it reads as a title (short, no sentence end, names a report) once a date of
    publication at either end is left out (`_DATE_FIELD_RE`), or the title it starts with when it runs into
    the body (`_RUN_IN_TITLE_RE`), as the text writes it; and the subtitle line after it
    (`——2026年1月27日在青海省…会议上`) or ''. `simple`: the lines in Simplified script (`_simplified_lines`), which
    are read."""
    for k, line in enumerate(simple[:3]):
        s = line.strip()
        if not s:
            continue
        start, end = _title_bounds(s)
        t = s[start:end]
        if len(t) <= _TITLE_LINE_MAX and "。" not in t and _TITLE_WORD_RE.search(t) and not t.startswith("各位代表"):
            after = simple[k + 1].strip() if k + 1 < len(simple) else ""
            subtitle = lines[k + 1].strip() if _SUBTITLE_RE.match(after) and end == len(s) else ""
            return lines[k].strip()[start:end], subtitle
        return None
    return None


def _title_bounds(s: str) -> tuple[int, int]:
    """Where the title stands in a stripped first line `s`: all of it, but a date of publication at either end
    (`_DATE_FIELD_RE`); of a line too long for a title, the title it starts with (`_RUN_IN_TITLE_RE`)."""
    start, end = 0, len(s)
    m = _DATE_FIELD_RE.match(s)
    if m:
        start = m.end()
    else:  # a field ending the line: looked for in the line's last characters only (no scan of a long line)
        m = _DATE_FIELD_RE.search(s, max(0, len(s) - _DATE_FIELD_MAX))
        if m and m.end() == len(s):
            end = len(s[:m.start()].rstrip())
    if end - start > _TITLE_LINE_MAX:
        m = _RUN_IN_TITLE_RE.match(s, start)
        if m:
            end = m.end()
    return start, end


def _page_header(lines: list[str], simple: list[str] | None = None) -> dict[str, MetadataField]:
    """`信息名称 …` / `发布机构：…` lines of a government site's page header or footer copied with the text (the
    first and last 40 lines); an issuer may stand on the line after its key. `simple`: the lines in Simplified
    script (`_simplified_lines`; `lines` themselves when not given): the keys are looked for there, a title is
    taken from `lines` at the same place, an issuer from `simple`."""
    simple = lines if simple is None else simple
    out: dict[str, MetadataField] = {}
    for k in _header_lines(len(lines)):  # k: the line's place in the text
        s = simple[k].strip()
        if not s.startswith(_ANY_HEADER_KEY):  # most lines: no key to look for
            continue
        for name, keys in _HEADER_KEYS.items():
            key = next((key for key in keys if s.startswith(key)), None)
            if key is None or name in out:
                continue
            read = s if name == "issuer" else lines[k].strip()  # the same length, the key at its start
            rest = read[len(key):]
            value = re.split(r"\s{2,}", rest.strip(" :：\t"))[0] if re.match(r"[\s:：]", rest) else ""
            if not rest and name == "issuer" and k + 1 < len(lines):
                value = simple[k + 1].strip()
            if value:
                out[name] = MetadataField(value, "page_header", lines[k].strip())
    if "title" in out:
        title = out.pop("title")
        for name, f in _from_title(title.value, "page_header").items():
            out.setdefault(name, f)
    return out


def _header_lines(n: int) -> Iterable[int]:
    """The places of the lines `_page_header` reads in a text of `n` lines: the first and last 40."""
    return range(n) if n <= 2 * _HEADER_LINES else (*range(_HEADER_LINES), *range(n - _HEADER_LINES, n))


def _simplified_lines(lines: list[str], converted: str | None) -> list[str]:
    """`lines` (a text's `splitlines()`) in Simplified script with full-width forms folded (`_simplified`), at
    least those `_page_header` and `_title_line` read; from `converted` (the whole text's conversion) when at
    hand, else those lines converted at once (OpenCC converts a text cut at line ends as its parts)."""
    if converted is not None:
        out = converted.splitlines()
        if len(out) == len(lines):
            return out
    n = len(lines)  # the first 40 lines and the one after them (an issuer under its key), the last 40
    picked = range(n) if n <= 2 * _HEADER_LINES + 1 else [*range(_HEADER_LINES + 1), *range(n - _HEADER_LINES, n)]
    out = list(lines)
    for k, line in zip(picked, _simplified("\n".join(lines[k] for k in picked)).split("\n")):
        out[k] = line
    return out


def _review_heading(head: str) -> re.Match | None:
    """`_REVIEW_RES[0].search(head)`, started where a match can first start: the regex tries every position
    (its first character is `^` or a class), and most heads name no year's work."""
    first = _first_of(head, _REVIEW_ANCHORS)
    if first < 0:
        return None
    return _REVIEW_RES[0].search(head, max(0, first - _REVIEW_REACH))  # `^` still only at line starts


def _review_lead(head: str) -> re.Match | None:
    """`_REVIEW_RES[1].search(head)`, started where a match can first start: its 年 is followed by a comma
    (`_LEAD_ANCHORS`), its year is the four characters before, and before the year stand `刚刚过去的` or a
    line start and white space only (`^\\s*`: the search starts at the first of that white space). A later
    anchor's match starts after the first anchor's 年 (no white space run crosses it)."""
    first = _first_of(head, _LEAD_ANCHORS)
    if first < 0:
        return None
    start = max(0, first - 4)
    while start > 0 and head[start - 1].isspace():  # what `\\s` takes for white space (str patterns)
        start -= 1
    return _REVIEW_RES[1].search(head, max(0, min(start, first - 4 - len("刚刚过去的"))))


def _first_of(text: str, words: tuple[str, ...]) -> int:
    """Where the first occurrence of any of `words` in `text` starts (-1: none). Each later word is looked
    for only where it could start before the first found so far."""
    first = -1
    for word in words:
        k = text.find(word, 0, len(text) if first < 0 else first + len(word) - 1)
        if k >= 0:
            first = k
    return first


def _opening(head: str) -> dict[str, MetadataField]:
    """What the first sentences say (`head`: the first `_HEAD_CHARS` in Simplified script): the year under
    review, the issuing body, the region, the kind."""
    out: dict[str, MetadataField] = {}
    m = _review_heading(head) or _review_lead(head)
    if m:
        out["year"] = MetadataField(int(m.group(1)), "opening", m.group(0).strip())
    m = _ISSUER_RE.search(head)
    if m:
        out["issuer"] = MetadataField(m.group(1), "opening", m.group(0))
        region = _region_in(m.group(1))
        if region:
            out["region"] = MetadataField(region, "opening", m.group(0))
        out["kind"] = MetadataField("government_work_report", "opening", m.group(0))
    else:
        m = _OPENING_REGION_RE.search(head)
        if m and not _NOT_REGION.match(m.group(2)):
            out["region"] = MetadataField(m.group(2), "opening", m.group(0))
    if "kind" not in out and "法治政府建设" in head[:600]:
        out["kind"] = MetadataField("rule_of_law_report", "opening", "法治政府建设")
    return out


def _region_names(text: str) -> list[str]:
    """What `_REGION_RE.finditer(text)` matches, found from the suffixes: the regex tries 1-7 characters and
    eleven suffixes at every position (4x slower on a report). From the match end `p`, the next match ends
    at the first suffix starting at `q` > `p` with a CJK character before it, and starts at the first of the
    (at most 7) CJK characters before `q`, not before `p`."""
    out, p = [], 0
    for m in _SUFFIX_START.finditer(text):
        q = m.start()
        if q <= p:
            continue
        long = _LONG_SUFFIXES.get(text[q])
        if long is None:
            end = q + 1
        elif text.startswith(long, q):
            end = q + len(long[0])
        else:
            continue
        start, low = q, max(p, q - 7)
        while start > low and _CJK_FIRST <= text[start - 1] <= _CJK_LAST:
            start -= 1
        if start < q:
            out.append(text[start:end])
            p = end
    return out


def _body_region(body: str) -> dict[str, MetadataField]:
    """The district (区/县) the report names most often in `body` (the first `_BODY_CHARS` in Simplified
    script), when it names one at least three times (fewer names in all: no Counter made, a short report's
    fixed cost)."""
    names = [n for n in _region_names(body)
             if n.endswith(_SPECIFIC) and not _NOT_REGION.match(n) and len(n) in (3, 4)]
    if len(names) >= 3:
        name, n = Counter(names).most_common(1)[0]
        if n >= 3:
            return {"region": MetadataField(name, "body", f"{name} ×{n}")}
    return {}


def _from_file_name(name: str) -> dict[str, MetadataField]:
    stem = Path(re.sub(r"#\d+$", "", name)).stem  # `x.txt#2`: the second document of that id
    if not re.search(r"[\u4e00-\u9fff]", stem):
        return {}
    file_year = _FILE_YEAR_RE.search(stem)
    title = _FILE_YEAR_RE.sub("", stem).strip()
    out = _from_title(title, "file_name")
    if "year" not in out and file_year:
        kind = out.get("kind").value if "kind" in out else None
        year = int(file_year.group(1))
        out["year"] = MetadataField(year - 1 if kind == "government_work_report" else year, "file_name", stem)
    return out


def _from_page(page: dict | None) -> dict[str, MetadataField]:
    """Metadata a reader took from the file itself (HTML `<title>`/`<meta>`, Word or PDF properties):
    `title`, `issuer`, `date` (`YYYY-MM-DD`…), `region`, `kind`, `year`, values as found."""
    if not page:
        return {}
    out: dict[str, MetadataField] = {}
    if page.get("title"):
        out.update(_from_title(str(page["title"]), "page"))
    for name in ("region", "issuer", "kind"):
        if page.get(name):
            out[name] = MetadataField(str(page[name]), "page", str(page[name]))
    if page.get("year"):
        out["year"] = MetadataField(int(page["year"]), "page", str(page["year"]))
    return out


def extract_metadata(text: str, name: str | None = None, page: dict | None = None,
                     converted: str | None = None, folded: str | None = None) -> Metadata:
    """Region, issuer, year, kind and title of one report (see the module doc for the sources' order).
    `converted`: `to_simplified(fold_width(text))[0]` when at hand and OpenCC kept the length (the tokenizer
    computed it: `tokenizer.t2s_conversion`); the head and the body are then cut from it, not converted again.
    `folded`: `fold_width(text)` when at hand (`_converted_prefix`); read only with `converted`."""
    if any(c in text for c in ZERO_WIDTH):  # invisible, not read: `法\u200b治` is 法治
        text, converted, folded = text.translate(_NO_ZERO_WIDTH), None, None
    lines = text.splitlines()
    simple = _simplified_lines(lines, converted)
    found: list[dict[str, MetadataField]] = [_from_page(page), _page_header(lines, simple)]
    title = _title_line(lines, simple)
    if title:
        found.append(_from_title(title[0], "title_line", title[1]))
    head = _converted(text[:_HEAD_CHARS]) if converted is None else _converted_prefix(text, _HEAD_CHARS, converted, folded)
    found.append(_opening(head[0]))
    if name:
        found.append(_from_file_name(name))
    meta = Metadata()
    for candidates in found:
        for key, f in candidates.items():
            meta.fields.setdefault(key, f)
    if "region" not in meta.fields:
        body = (_simplified_after(text[:_BODY_CHARS], head, _HEAD_CHARS) if converted is None
                else _converted_prefix(text, _BODY_CHARS, converted, folded)[0])
        meta.fields.update(_body_region(body))
    if "kind" not in meta.fields and text.strip():
        meta.fields["kind"] = MetadataField("other", "opening", "")
    return meta


def read_overrides(path: str | Path) -> dict[str, dict]:
    """A user's table of metadata: a CSV (UTF-8, with or without BOM) with an `id` column — a report's id as in
    the annotated output, or its file name — and any of `region`, `issuer`, `year`, `kind`, `title`.
    Empty cells override nothing. Bad files raise E170; a bad year or kind raises E171."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
            columns = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError("E170", path=str(path), detail=str(exc)) from None
    if rows and "id" not in columns:
        raise DataError("E170", path=str(path), detail=f"no 'id' column (columns: {', '.join(columns)})")
    out: dict[str, dict] = {}
    for line, row in enumerate(rows, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k in FIELDS and (v or "").strip()}
        if "year" in values:
            if not re.fullmatch(r"\d{4}", values["year"]):
                raise DataError("E171", path=str(path), line=line, field="year", value=values["year"],
                                expected="a four-digit year")
            values["year"] = int(values["year"])
        if "kind" in values and values["kind"] not in KINDS:
            raise DataError("E171", path=str(path), line=line, field="kind", value=values["kind"],
                            expected=", ".join(KINDS))
        out[(row.get("id") or "").strip()] = values
    return out


def apply_overrides(meta: Metadata, doc_id: str | None, overrides: dict[str, dict]) -> Metadata:
    """Replace fields with the user's values for this id (matched as given, else by file name)."""
    row = overrides.get(doc_id or "")
    if row is None and doc_id:
        row = overrides.get(Path(doc_id.split("#")[0]).name)
    for key, value in (row or {}).items():
        meta.fields[key] = MetadataField(value, "csv", str(value))
    return meta


def document_metadata(doc, name: str | None = None, overrides: dict[str, dict] | None = None) -> Metadata:
    """The metadata of an `AnnotatedDocument` (or a reviewer-JSON dict): a recorded `metadata` field if the
    document has one, else extracted from its text and id; then the user's overrides."""
    data = doc if isinstance(doc, dict) else {"text": doc.text, "id": doc.id, "metadata": doc.metadata}
    doc_id = data.get("id")
    if data.get("metadata"):
        meta = Metadata.from_dict(data["metadata"])
    else:
        meta = extract_metadata(data.get("text") or "", name=name or doc_id)
    return apply_overrides(meta, doc_id, overrides or {})


def score(predicted: Iterable[dict], gold: Iterable[dict]) -> dict:
    """Per field: correct / total and accuracy of predicted values against gold values (dicts of FIELDS)."""
    pairs = list(zip(predicted, gold))
    out = {}
    for name in ("region", "year", "kind", "title"):
        ok = sum(_same(p.get(name), g.get(name)) for p, g in pairs)
        out[name] = {"correct": ok, "total": len(pairs), "accuracy": round(ok / len(pairs), 3) if pairs else None}
    return out


def _same(a, b) -> bool:
    norm = (lambda v: re.sub(r"\s+", "", str(v)) if v is not None else None)
    return norm(a) == norm(b)


__all__ = ["FIELDS", "KINDS", "Metadata", "MetadataField", "extract_metadata", "read_overrides",
           "apply_overrides", "document_metadata", "score"]
