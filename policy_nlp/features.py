"""Features of a unit: what it says and where it sits.

Reads unit records (normalised text, kind, offsets) of one document and builds `UnitContext`s:
the unit's own text, its heading level, its section path (the headings above it), the lead sentence
of its paragraph and its relative position. `UnitFeaturizer` turns contexts into a sparse matrix:
character n-grams of the text and of the section path, plus cue counts from the label guide's term
lists (LABELS.md) for the unit, its section headings and its paragraph lead.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from .units import heading_level

# Term lists taken from the label guide (training/LABELS.md) and the part names it cites; nothing here
# comes from report text.
LEXICON: dict[str, tuple[str, ...]] = {
    "enforcement": (
        "执法", "三项制度", "执法公示", "全过程记录", "法制审核", "执法监督", "案卷评查", "持证", "执法检查", "处罚",
        "柔性执法", "首违不罚", "免罚轻罚", "行刑衔接", "涉企执法", "专项整治", "隐患排查", "查违", "执法投诉",
        "双随机", "综合监管", "监管", "检查", "整治", "违法", "执法人员", "执法队伍",
    ),
    "dispute_resolution": (
        "行政复议", "复议", "行政诉讼", "应诉", "出庭", "调解", "诉调", "警调", "访调", "信访", "仲裁", "矛盾纠纷",
        "纠纷", "化解", "府院联动", "枫桥", "接诉即办", "12345", "诉求", "争议", "解纷", "诉讼",
    ),
    "business_environment": (
        "营商环境", "政务服务", "一网通办", "一件事", "跨省通办", "告知承诺", "审批", "放管服", "市场准入",
        "公平竞争", "涉企", "惠企", "企业合规", "企业", "减税降费", "助企", "信用修复", "市场主体", "服务型政府",
        "许可", "办事", "便民", "经营主体", "破产",
    ),
    "shortcomings": (
        "问题", "不足", "短板", "差距", "薄弱", "有待", "不够", "不强", "不高", "不规范", "不严格", "不畅", "不充分",
        "欠缺", "滞后", "困难", "还需", "仍需", "仍然存在", "还存在", "存在", "弱项", "不到位", "不平衡", "不适应",
    ),
    "plans": (
        "下一步", "下步", "今后", "明年", "将", "力争", "计划", "打算", "安排", "思路", "方向", "展望", "继续", "持续",
        "工作要点", "努力", "目标", "坚持", "推动", "加强", "健全", "深化",
    ),
}
# Cues for the part of the report a heading opens (the guide's part names and their common variants).
PART_CUES: dict[str, re.Pattern] = {
    "shortcomings": re.compile(r"不足|短板|差距|薄弱|困难|弱项|存在.{0,6}问题|问题(?:和|与|及)|有待|不够|不强|不高|不充分|不到位"),
    "plans": re.compile(r"下一步|下步|今后|明年|打算|计划|安排|思路|方向|展望|目标|谋划"),
}
FUTURE_RE = re.compile(r"(?:^|[,，:：;；])(?:20\d\d年[^,，。]{0,12}?|我们|我区|我县|我市|全区|全县|全市)?将|力争|下一步|下步|今后|明年")
_YEAR_RE = re.compile(r"(20\d\d)年")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def canonical(text: str) -> str:
    """Normalised text for n-grams: numbers folded to 0, white space removed."""
    return re.sub(r"\s+", "", _DIGITS.sub("0", text))


@dataclass
class UnitContext:
    text: str
    kind: str
    level: int  # heading level, -1 for non-headings
    section: list[str] = field(default_factory=list)
    lead: str = ""  # first unit of the same paragraph line, when this unit is not that first unit
    position: float = 0.0  # unit index / number of units in the document
    report_year: int = 0  # the year the report is about: the year its text names most often
    # The cue of the latest paragraph lead before this unit within its top-level part: "problem" after
    # a lead like "…但还存在一些不足", "future" after "2025年，我区将…", "" otherwise.
    part_state: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def build_contexts(norm_text: str, units: Sequence[tuple[int, int, str]]) -> list[UnitContext]:
    """Contexts for the (start, end, kind) units of one document, given its normalised text."""
    contexts: list[UnitContext] = []
    report_year = report_year_of(norm_text)
    stack: list[tuple[int, str]] = []
    lead_text = ""
    state = ""
    prev_end = 0
    n = max(len(units), 1)
    for i, (start, end, kind) in enumerate(units):
        text = norm_text[start:end]
        new_line = i == 0 or "\n" in norm_text[prev_end:start] or "\r" in norm_text[prev_end:start]
        level = -1
        if kind == "heading":
            lv = heading_level(text)
            level = 0 if lv is None else lv
            if level > 0:
                while stack and stack[-1][0] >= level:
                    stack.pop()
        if kind == "heading" and level == 1:
            state = ""
        section = [h for _, h in stack]
        if new_line:
            lead_text = text
            lead = ""
        else:
            lead = lead_text
        contexts.append(UnitContext(text, kind, level, section, lead, i / n, report_year, state))
        if new_line and kind == "sentence":
            if FUTURE_RE.search(text):
                state = "future"
            elif PART_CUES["shortcomings"].search(text):
                state = "problem"
        if kind == "heading" and level > 0:
            stack.append((level, text))
        prev_end = end
    return contexts


def report_year_of(norm_text: str) -> int:
    """The year named most often (ties → the earlier year); 0 if none."""
    counts: dict[int, int] = {}
    for m in _YEAR_RE.finditer(norm_text):
        year = int(m.group(1))
        counts[year] = counts.get(year, 0) + 1
    if not counts:
        return 0
    return min(counts, key=lambda y: (-counts[y], y))


def names_later_year(text: str, report_year: int) -> bool:
    """True when `text` names a year after the report's year (a heading like 2025年工作安排)."""
    return bool(report_year) and any(int(y) > report_year for y in _YEAR_RE.findall(text))


# Every lexicon term under its first character, so a text is only searched for terms that can occur in it.
_TERMS_BY_FIRST_CHAR: dict[str, list[tuple[int, str]]] = {}
for _j, _terms in enumerate(LEXICON.values()):
    for _term in _terms:
        _TERMS_BY_FIRST_CHAR.setdefault(_term[0], []).append((_j, _term))


@functools.lru_cache(maxsize=65536)
def lexicon_counts(text: str) -> tuple[float, ...]:
    """log1p of the number of occurrences of each label's lexicon terms in `text` (overlaps count, as
    str.count does per term). Cached: a paragraph lead or section heading recurs for many units."""
    counts = [0] * len(LEXICON)
    for ch in set(text):
        for j, term in _TERMS_BY_FIRST_CHAR.get(ch, ()):
            counts[j] += text.count(term)
    return tuple(float(np.log1p(c)) for c in counts)


def content_cues(ctx: UnitContext) -> list[float]:
    """What the unit (and the lead of its paragraph) says: lexicon counts, future wording, kind."""
    row: list[float] = []
    for own, lead in zip(lexicon_counts(ctx.text), lexicon_counts(ctx.lead)):
        row.append(own)
        row.append(lead)
    for cue in PART_CUES.values():
        row.append(1.0 if cue.search(ctx.text) and ctx.kind == "heading" else 0.0)
        row.append(1.0 if cue.search(ctx.lead) else 0.0)
    row.append(1.0 if FUTURE_RE.search(ctx.text) else 0.0)
    row.append(1.0 if FUTURE_RE.search(ctx.lead) else 0.0)
    row.append(1.0 if ctx.kind == "heading" and names_later_year(ctx.text, ctx.report_year) else 0.0)
    row.append(1.0 if ctx.kind == "heading" else 0.0)
    row.append(1.0 if ctx.level == 1 else 0.0)
    row.append(min(len(ctx.text), 400) / 400.0)
    return row


def position_cues(ctx: UnitContext) -> list[float]:
    """Where the unit sits: the part its section headings open, and its place in the document."""
    inner = ctx.section[-1] if ctx.section else ""
    outer = ctx.section[0] if ctx.section else ""
    path = "".join(ctx.section)
    row: list[float] = list(lexicon_counts(inner))
    for cue in PART_CUES.values():
        row.append(1.0 if cue.search(outer) else 0.0)
        row.append(1.0 if cue.search(path) else 0.0)
    row.append(1.0 if names_later_year(outer, ctx.report_year) else 0.0)
    row.append(1.0 if not ctx.section else 0.0)
    row.append(1.0 if ctx.part_state == "problem" else 0.0)
    row.append(1.0 if ctx.part_state == "future" else 0.0)
    row.append(ctx.position)
    row.append(1.0 if ctx.position >= 0.75 else 0.0)
    return row


BLOCKS = ("text", "content", "section", "position")


class UnitFeaturizer(BaseEstimator, TransformerMixin):
    """Contexts → sparse features: text n-grams, section n-grams and cue counts (weighted blocks)."""

    def __init__(self, text_ngrams=(1, 3), section_ngrams=(1, 2), section_weight=0.6, cue_weight=1.0,
                 min_df=1):
        self.text_ngrams = text_ngrams
        self.section_ngrams = section_ngrams
        self.section_weight = section_weight
        self.cue_weight = cue_weight
        self.min_df = min_df

    def _section_docs(self, contexts):
        return [canonical(c.section[-1]) if c.section else "" for c in contexts]

    def fit(self, contexts: Sequence[UnitContext], y=None):
        self.text_vec_ = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.text_ngrams),
                                         sublinear_tf=True, min_df=self.min_df, dtype=np.float32)
        self.text_vec_.fit([canonical(c.text) for c in contexts])
        self.section_vec_ = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.section_ngrams),
                                            sublinear_tf=True, min_df=self.min_df, dtype=np.float32)
        self.section_vec_.fit(self._section_docs(contexts) + ["无"])
        content = np.asarray([content_cues(c) for c in contexts], dtype=np.float32)
        position = np.asarray([position_cues(c) for c in contexts], dtype=np.float32)
        self.content_scale_ = np.maximum(content.max(axis=0), 1.0)
        self.position_scale_ = np.maximum(position.max(axis=0), 1.0)
        widths = {
            "text": len(self.text_vec_.vocabulary_),
            "content": content.shape[1],
            "section": len(self.section_vec_.vocabulary_),
            "position": position.shape[1],
        }
        self.blocks_ = {}
        start = 0
        for name in BLOCKS:
            self.blocks_[name] = (start, start + widths[name])
            start += widths[name]
        return self

    def columns(self, blocks: Sequence[str]) -> np.ndarray:
        """Column indices of the named feature blocks."""
        return np.concatenate([np.arange(*self.blocks_[b]) for b in blocks])

    @staticmethod
    def _transform_repeated(vectorizer, docs: list[str]):
        """vectorizer.transform(docs), computed once per distinct string (section paths repeat)."""
        distinct = list(dict.fromkeys(docs))
        rows = {d: i for i, d in enumerate(distinct)}
        return vectorizer.transform(distinct)[[rows[d] for d in docs]]

    def transform(self, contexts: Sequence[UnitContext]):
        n = len(contexts)
        text = self.text_vec_.transform([canonical(c.text) for c in contexts])
        content = np.asarray([content_cues(c) for c in contexts], dtype=np.float32).reshape(n, -1)
        section = self._transform_repeated(self.section_vec_, self._section_docs(contexts)) * self.section_weight
        position = np.asarray([position_cues(c) for c in contexts], dtype=np.float32).reshape(n, -1)
        return sp.hstack(
            [text, sp.csr_matrix(content / self.content_scale_ * self.cue_weight), section,
             sp.csr_matrix(position / self.position_scale_ * self.cue_weight)],
            format="csr", dtype=np.float32,
        )
