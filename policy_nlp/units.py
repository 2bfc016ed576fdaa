"""Splitting a report into units: sentences, heading lines and page chrome.

Reads the *normalised* text (same length as the input, see `normalize.py`) and returns `Unit`
records whose offsets index the original input. The rules follow the label guide: split at
。！？ (and ASCII !?) and at line breaks; a heading line (`一、…`, `（三）…`, `1．…`, `第一部分…`)
is a unit of its own; web-page chrome, metadata and sign-offs are units of kind `boilerplate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = ("heading", "sentence", "boilerplate")

SENTENCE_END = "。!?"  # after width folding ！？ are ! ?
_CLOSERS = "”’」』)》\"'】"
# A unit ends after a run of terminators and any closing quotes/brackets that follow them.
_SENTENCE_RE = re.compile(r"[^。!?]*(?:[。!?]+[" + re.escape(_CLOSERS) + r"]*|$)")

_CN_NUM = "一二三四五六七八九十百零〇"
# (level, pattern) on the whitespace-stripped normalised line; the title is level 0.
HEADING_PATTERNS: tuple[tuple[int, re.Pattern], ...] = (
    (1, re.compile(r"^第[" + _CN_NUM + r"\d]+(?:部分|章|节|篇)")),
    (1, re.compile(r"^[" + _CN_NUM + r"]+[、.](?![" + _CN_NUM + r"]是)")),
    (2, re.compile(r"^\([" + _CN_NUM + r"]+\)")),
    (3, re.compile(r"^\d{1,2}(?:[、]|\.(?!\d))")),
    (4, re.compile(r"^\(\d{1,2}\)|^[①-⑳]")),
)

# Metadata keys of government web pages (normalised, spaces removed).
METADATA_KEYS = (
    "索引号", "发文机构", "发布机构", "发文机关", "公开目录", "公开方式", "公开范围", "文号", "发文字号",
    "文件编号", "浏览量", "浏览次数", "访问量", "点击数", "点击量", "阅读量", "日期", "发布日期", "成文日期",
    "生成日期", "公开日期", "废止日期", "发布时间", "主题分类", "体裁分类", "组配分类", "信息分类", "内容概述",
    "信息名称", "标题", "当前位置", "您当前的位置", "您所在的位置", "来源", "信息来源", "责任编辑", "编辑", "作者",
    "字号", "字体", "有效性", "时效性", "打印", "关闭", "关闭窗口", "打印本页", "分享到", "分享",
)
CHROME_PHRASES = (
    "扫一扫在手机打开", "扫一扫在手机上查看", "欢迎访问", "【打印】", "【关闭】", "【字体", "打印本页", "关闭窗口",
    "分享到:", "上一篇", "下一篇", "相关链接", "网站地图", "版权所有", "主办单位", "承办单位", "网站标识码",
)
_KEY_RE = re.compile(
    r"^(?:" + "|".join(sorted(map(re.escape, METADATA_KEYS), key=len, reverse=True)) + r")(?:[:\s]|$)"
)
_BULLET_RE = re.compile(r"^[•·●▪■◆>\-\s]+")
_DATE_RE = re.compile(r"^[\d\s年月日号./\-:]+$")
_SIGNOFF_RE = re.compile(r"^特此报告[。.!]?$")
_BREADCRUMB_SEPARATORS = (">", "»", "›", "→")
_MAX_VALUE_LEN = 40
_MAX_SIGNATURE_LEN = 30
_MAX_TITLE_LEN = 60


@dataclass
class Unit:
    """One unit of a report. `start`/`end` index the original text; `section` lists the heading
    units (by index into the unit list) above this one, outermost first."""

    start: int
    end: int
    kind: str
    level: int | None = None  # heading level (0 = title) for headings
    line: int = 0  # index of the paragraph line the unit sits in
    section: list[int] = field(default_factory=list)


def heading_level(line: str) -> int | None:
    """Level of a heading marker at the start of `line` (stripped, normalised), else None."""
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return level
    return None


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", s)


def is_chrome_line(line: str) -> bool:
    """True for page chrome and metadata lines of government web pages."""
    bare = _BULLET_RE.sub("", line)
    compact = _compact(bare)
    if not compact:
        return False
    if _KEY_RE.match(bare) or _KEY_RE.match(compact):
        return True
    if any(p in compact for p in CHROME_PHRASES) and len(compact) <= 60:
        return True
    # A breadcrumb trail: 首页 > 政务公开 > 法治政府建设 (no sentence end, short).
    if sum(compact.count(sep) for sep in _BREADCRUMB_SEPARATORS) >= 2 and len(compact) <= 80 \
            and not any(c in compact for c in SENTENCE_END):
        return True
    return False


def _is_key_only(line: str) -> bool:
    compact = _compact(_BULLET_RE.sub("", line)).rstrip(":")
    return compact in METADATA_KEYS


def _split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Character ranges of the sentences in one stripped line, surrounding white space removed."""
    out = []
    for m in _SENTENCE_RE.finditer(text):
        s, e = m.span()
        if s == e:
            continue
        piece = text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if lead + trail >= len(piece):
            continue
        out.append((offset + s + lead, offset + e - trail))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    """Ranges of the non-blank lines of `text`, stripped of surrounding white space."""
    out = []
    for m in re.finditer(r"[^\r\n\u2028\u2029\x0b\x0c\x85]+", text):
        s, e = m.span()
        seg = text[s:e]
        stripped = seg.strip()
        if not stripped:
            continue
        lead = len(seg) - len(seg.lstrip())
        out.append((s + lead, s + lead + len(stripped)))
    return out


def segment(norm_text: str) -> list[Unit]:
    """Split normalised report text into units with kinds, heading levels and section paths."""
    lines = _lines(norm_text)
    has_end = [any(c in SENTENCE_END for c in norm_text[s:e]) for s, e in lines]
    last_content = max((i for i, h in enumerate(has_end) if h), default=len(lines))
    units: list[Unit] = []
    stack: list[tuple[int, int]] = []  # (level, unit index)
    seen_title = False
    value_expected = False
    for li, (ls, le) in enumerate(lines):
        line = norm_text[ls:le]
        # Page chrome, metadata keys and their values on the following line.
        if is_chrome_line(line) or (
            value_expected and not has_end[li] and len(line) <= _MAX_VALUE_LEN and heading_level(line) is None
        ):
            value_expected = _is_key_only(line)
            units.append(Unit(ls, le, "boilerplate", line=li))
            continue
        value_expected = False
        level = heading_level(line)
        if level is None and not has_end[li] and (
            _DATE_RE.match(line) or (li > last_content and len(line) <= _MAX_SIGNATURE_LEN)
        ):
            units.append(Unit(ls, le, "boilerplate", line=li))  # sign-off: issuer, date
            continue
        if (
            level is None
            and not seen_title
            and not has_end[li]
            and len(line) <= _MAX_TITLE_LEN
            and not any(u.kind != "boilerplate" for u in units)
        ):
            level = 0
        spans = _split_sentences(line, ls) if has_end[li] else [(ls, le)]
        for k, (s, e) in enumerate(spans):
            if k == 0 and level is not None:
                if level == 0:
                    seen_title = True
                    units.append(Unit(s, e, "heading", level=0, line=li))
                    continue
                while stack and stack[-1][0] >= level:
                    stack.pop()
                units.append(Unit(s, e, "heading", level=level, line=li, section=[i for _, i in stack]))
                stack.append((level, len(units) - 1))
                continue
            kind = "boilerplate" if _SIGNOFF_RE.match(norm_text[s:e]) else "sentence"
            units.append(Unit(s, e, kind, line=li, section=[i for _, i in stack]))
    return units
