"""Does the structure depend on line breaks? A report against its flattened copy.

`flatten(text, joiner, chrome)` removes a report's line breaks the way crawled collections do (each line
stripped, lines joined with `joiner`), optionally with web-page chrome in the same line before and after the
report (`PAGE_CHROME`, `CRAWLER_HEADER`), and keeps the map from the copy's characters back to the
original's. `compare(original, copy, flat)` reads the two `AnnotatedDocument`s: the share of the
original's content units whose labels the copy gives them (each unit takes the labels of the copy's unit
overlapping it most, as in evaluation), the original's parts (its `shortcomings` and `plans` units) found in
the copy (`PART_KEPT` of their units keep the label), its top-level headings found as headings in the copy,
and the content units of the copy inside the inserted chrome.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ..components.themes import align_spans
from ..components.units import LINE_BREAKS
from ..corpus.document import AnnotatedDocument
from ..model.estimator import PART_LABELS  # a report's problems passage and plans part, as their units' labels

# Page furniture of a government site as a crawler flattens it: breadcrumb, date, font-size and share bars
# before the report; source, attachment and print/close links after it (synthetic, written for the tests).
PAGE_CHROME = ("当前位置：首页 > 政务公开 > 法治政府建设 > 年度报告 发布时间：2025-02-10 09:30 字号：大 中 小 "
               "分享到：微信 微博 QQ空间 ",
               " 来源：区司法局 附件下载 【打印本页】【关闭窗口】")
CRAWLER_HEADER = ("标题: 年度报告 原文链接: https://www.example.gov.cn/xxgk/2025/0210/c123.html ==== 正文 ==== ", "")
CHROME = {"none": ("", ""), "page": PAGE_CHROME, "crawler": CRAWLER_HEADER}
PART_KEPT = 0.95  # a part is found in the copy when this share of its units keeps its label


class _Span(NamedTuple):
    start: int
    end: int


@dataclass
class Flattened:
    """A flattened copy: its text, the copy offset of every original character that survived (-1 for
    dropped line breaks and indentation) and the character ranges of the inserted chrome."""

    text: str
    to_copy: list[int]
    chrome: list[tuple[int, int]] = field(default_factory=list)

    def span(self, start: int, end: int) -> _Span | None:
        """The copy's range of an original range (None when none of its characters survived)."""
        kept = [self.to_copy[i] for i in range(start, end) if self.to_copy[i] >= 0]
        return _Span(kept[0], kept[-1] + 1) if kept else None


def flatten(text: str, joiner: str = "", chrome: str = "none") -> Flattened:
    """`text` with its lines stripped and joined with `joiner`, inside the chrome named by `chrome`."""
    before, after = CHROME[chrome]
    out, to_copy = [before], [-1] * len(text)
    pos, first = len(before), True
    start = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip(LINE_BREAKS)
        stripped = body.strip()
        if stripped:
            if not first:
                out.append(joiner)
                pos += len(joiner)
            first = False
            lead = start + len(body) - len(body.lstrip())
            for k in range(len(stripped)):
                to_copy[lead + k] = pos + k
            out.append(stripped)
            pos += len(stripped)
        start += len(line)
    out.append(after)
    spans = [(0, len(before))] if before else []
    if after:
        spans.append((pos, pos + len(after)))
    return Flattened("".join(out), to_copy, spans)


def align_predictions(spans, predicted: AnnotatedDocument) -> list[list[str]]:
    """For each (start, end) span, the labels of the unit of `predicted` overlapping it most ([] if none; the
    themes scorer's `align_spans`, as in evaluation)."""
    units = sorted(predicted.units, key=lambda u: (u.start, u.end))
    paired = align_spans([(s.start, s.end) for s in spans], [(u.start, u.end) for u in units])
    return [list(units[i].labels) if i is not None else [] for i in paired]


def compare(original: AnnotatedDocument, copy: AnnotatedDocument, flat: Flattened) -> dict:
    """Label agreement of content units, part headings kept, and content units inside the chrome."""
    content = [u for u in original.units if u.kind != "boilerplate"]
    mapped = [flat.span(u.start, u.end) for u in content]
    copied = align_predictions([m or _Span(0, 0) for m in mapped], copy)
    same = sum(sorted(u.labels) == sorted(c) for u, c in zip(content, copied))
    heading_starts = {u.start for u in copy.units if u.kind == "heading"}
    parts = [m for u, m in zip(content, mapped) if u.kind == "heading" and not u.section]
    in_chrome = [u for u in copy.units if u.kind != "boilerplate"
                 and any(u.start < e and s < u.end for s, e in flat.chrome)]
    found = {label: [label in c for u, c in zip(content, copied) if label in u.labels] for label in PART_LABELS}
    found = {label: kept for label, kept in found.items() if kept}
    return {"units": len(content), "same_labels": same, "agreement": same / max(len(content), 1),
            "parts": len(found), "parts_found": sum(sum(kept) >= PART_KEPT * len(kept) for kept in found.values()),
            "part_headings": len(parts), "part_headings_found": sum(m is not None and m.start in heading_starts
                                                                    for m in parts),
            "content_in_chrome": len(in_chrome)}
