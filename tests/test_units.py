import re

import pytest

from policy_nlp.components.normalize import normalize
from policy_nlp.rules import ReportRules, default_rules, packaged_rules
from policy_nlp.components.units import headings_above, is_chrome_line, section_path, segment

RULES = default_rules()
heading_level = RULES.heading_level


def _units(text):
    return [(text[u.start:u.end], u.kind, u.level) for u in segment(normalize(text).text, RULES)]


def test_heading_levels():
    assert heading_level("一、主要举措") == 1
    assert heading_level("(三)行政执法") == 2
    assert heading_level("1.加强执法") == 3
    assert heading_level("(2)细化") == 4
    assert heading_level("第一部分 工作情况") == 1
    assert heading_level("一是完善机制") is None
    assert heading_level("2024年,我区") is None
    assert heading_level("1.9万余件政策文件") is None


def test_sentences_headings_and_run_in_headings():
    text = "一、主要成效\n（一）加强执法。开展检查3次！是否达标？\n全年办理复议案件12件。"
    units = _units(text)
    assert units == [
        ("一、主要成效", "heading", 1),
        ("（一）加强执法。", "heading", 2),
        ("开展检查3次！", "sentence", -1),
        ("是否达标？", "sentence", -1),
        ("全年办理复议案件12件。", "sentence", -1),
    ]


def test_closing_quotes_stay_with_their_sentence():
    units = _units("他说“要依法行政。”然后离开。")
    assert [u[0] for u in units] == ["他说“要依法行政。”", "然后离开。"]


def test_section_paths_follow_heading_levels():
    text = "一、成效\n(一)执法\n执法检查。\n(二)复议\n复议案件。\n二、问题\n存在不足。"
    norm = normalize(text).text
    units = segment(norm, RULES)
    paths = {norm[u.start:u.end]: [norm[units[j].start:units[j].end] for j in section_path(units, i)]
             for i, u in enumerate(units)}
    assert paths["复议案件。"] == ["一、成效", "(二)复议"]
    assert paths["存在不足。"] == ["二、问题"]


def test_headings_above_walk_up_parents_outermost_first():
    parents = [-1, 0, 1, 1, -1, 4]
    assert headings_above(parents.__getitem__, 3) == [0, 1]
    assert headings_above(parents.__getitem__, 0) == []
    assert headings_above(parents.__getitem__, 5) == [4]


def test_a_unit_whose_heading_was_lost_takes_the_nearest_kept_one():
    from policy_nlp.components.unit_table import unit_rows
    from policy_nlp.components.units import Unit

    units = [Unit(0, 4, "heading", 1), Unit(5, 9, "heading", 2, parent=0), Unit(10, 14, "sentence", parent=1),
             Unit(15, 19, "sentence", parent=0)]
    levels, lines, parents, parts = unit_rows(units, {0: 0, 2: 1, 3: 2})  # the (一) heading was dropped
    assert parents == [-1, 0, 0] and levels == [1, -1, -1]


def test_text_without_terminators_or_line_breaks_is_one_unit():
    assert _units("法治政府建设取得新成效") == [("法治政府建设取得新成效", "heading", 0)]
    assert _units("  ") == []


def test_chrome_lines():
    assert is_chrome_line("索引号 1132048201413881XC/2025-00008", RULES)
    assert is_chrome_line("• 欢迎访问常州市金坛区人民政府网站!", RULES)
    assert is_chrome_line("扫一扫在手机打开当前页", RULES)
    assert is_chrome_line("文      号", RULES)
    assert is_chrome_line("首页 > 政务公开 > 法治政府建设", RULES)
    assert is_chrome_line("首页 » 信息公开 » 规划计划", RULES)
    assert not is_chrome_line("日期管理制度进一步完善。", RULES)
    assert not is_chrome_line("执法检查→整改→复查闭环管理,问题整改率100%。", RULES)


def test_boilerplate_of_seed_002(seeds):
    text = seeds["002_4ca8cfc4920ed3ee.txt"]
    units = _units(text)
    boiler = [t for t, kind, _ in units if kind == "boilerplate"]
    assert boiler == ["索引号", "01525685-0/20221219-00001", "发文机构", "隆阳区人民政府", "公开目录", "法治政府建设",
                      "文\xa0\xa0\xa0\xa0\xa0\xa0号", "浏览量", "35", "日期", "2022-12-19"]
    assert units[0] == ("隆阳区2022年度法治政府建设情况的报告", "heading", 0)


def test_boilerplate_of_seed_003(seeds):
    text = seeds["003_8464521e0b384c22.txt"]
    units = _units(text)
    boiler = [t for t, kind, _ in units if kind == "boilerplate"]
    assert boiler[0] == "• 欢迎访问常州市金坛区人民政府网站!"
    assert boiler[1].startswith("当前位置")
    assert len(boiler) == 11
    assert boiler[-3:] == ["常州市金坛区人民政府", "2025年1月23日", "扫一扫在手机打开当前页"]
    # the report's own content is never boilerplate
    assert all(kind != "boilerplate" for t, kind, _ in units if "法治政府建设工作取得了一定成绩" in t)


def test_a_title_after_page_chrome_is_the_title():
    text = "首页 > 政务公开 > 法治政府建设\n来源：区司法局  发布时间：2025-02-10\n某区2024年法治政府建设情况报告\n一、主要成效\n开展执法检查。"
    assert _units(text) == [
        ("首页 > 政务公开 > 法治政府建设", "boilerplate", -1),
        ("来源：区司法局  发布时间：2025-02-10", "boilerplate", -1),
        ("某区2024年法治政府建设情况报告", "heading", 0),
        ("一、主要成效", "heading", 1),
        ("开展执法检查。", "sentence", -1),
    ]


# -- structure that does not depend on line breaks (rules v3) --------------------------------------------------
V2 = packaged_rules(2)


def _parts(text, rules=RULES):
    return [(text[u.start:u.end], u.kind, u.part) for u in segment(normalize(text).text, rules)]


def test_page_chrome_in_line_is_cut_out_without_the_report_text():
    text = ("当前位置：首页 > 政务公开 > 法治政府建设 发布时间：2025-02-10 09:30 字号：大 中 小 分享到：微信 微博 QQ空间 "
            "2024年，我局坚持依法行政。全年办理复议案件12件。 来源：区司法局 附件下载 【打印本页】【关闭窗口】")
    units = _units(text)
    assert [u for u in units if u[1] != "boilerplate"] == [("2024年，我局坚持依法行政。", "sentence", -1),
                                                           ("全年办理复议案件12件。", "sentence", -1)]
    chrome = "".join(u[0] for u in units if u[1] == "boilerplate")
    assert "首页" in chrome and "2025-02-10" in chrome and "QQ空间" in chrome and "关闭窗口" in chrome
    assert [u[1] for u in _units(text.replace(" ", ""))] == [u[1] for u in units]  # joined with nothing too
    assert [u.kind for u in segment(normalize(text).text, V2)] == ["boilerplate"]  # v2: the whole line was chrome


FOOTER = ("责任编辑：张三 上一篇：某区2022年法治政府建设年度报告 下一篇：关于开展2024年行政执法案卷评查工作的通知 "
          "【字体：大 中 小】 【打印】 【关闭】 相关链接： 某市人民政府 | 某省人民政府 主办单位：某区人民政府办公室 "
          "网站标识码：4101050001 豫ICP备05001234号-1 豫公网安备 41010502000123号 技术支持：某网络公司 "
          "版权所有：某区人民政府 视力保护色： 【我要纠错】 阅读次数：1234")


@pytest.mark.parametrize("joiner", [" ", "", "\n"])
def test_a_page_footer_run_into_the_report_is_cut_out_with_rules_v5(joiner):
    """A page flattened to one line, or a footer run into the report's sign-off: with rules v5 every piece of
    the footer is boilerplate and the report's sentences are the only content; v4 (kept unchanged for the
    pipelines saved with it) leaves pieces of it as sentences."""
    text = "全年办理复议案件12件，纠错3件。特此报告。 " + FOOTER.replace(" ", joiner)
    units = _units(text)
    assert [u[0] for u in units if u[1] != "boilerplate"] == ["全年办理复议案件12件，纠错3件。"]
    chrome = "".join(u[0] for u in units if u[1] == "boilerplate")
    for piece in ("张三", "2024年行政执法案卷评查工作的通知", "某省人民政府", "4101050001", "豫ICP备05001234号-1",
                  "41010502000123号", "某网络公司", "版权所有：某区人民政府", "我要纠错"):
        assert piece in chrome, piece
    if joiner != "\n":
        v4 = [text[u.start:u.end] for u in segment(normalize(text).text, packaged_rules(4)) if u.kind != "boilerplate"]
        assert any("上一篇" in u or "主办单位" in u for u in v4)


def test_rules_v5_are_v4_with_footer_chrome_patterns_only():
    v4, v5 = packaged_rules(4).data, packaged_rules(5).data
    assert {k for k in v4 if v4[k] != v5[k]} == {"version", "description", "inline_chrome_patterns"}
    assert v5["inline_chrome_patterns"][:len(v4["inline_chrome_patterns"])] == v4["inline_chrome_patterns"]
    # the words without the footer's form (a colon and a value, a list of links) stay in the report's sentences
    text = ("全年为企业提供技术支持和法律咨询服务1200余次，依法保护版权所有人的合法权益。区司法局作为主办单位，会同承办单位"
            "开展上一篇章所述的专项整治，相关链接的政务服务事项全部上线运行。")
    assert [u.kind for u in segment(normalize(text).text, packaged_rules(5))] == ["sentence"] * 2


def test_crawler_headers_are_cut_out():
    text = ("标题: 某区2024年法治政府建设情况报告 原文链接: https://www.example.gov.cn/xxgk/2025/c123.html "
            "==== 正文 ==== 2024年，我区深化行政执法改革。")
    units = _units(text)
    assert units[-1] == ("2024年，我区深化行政执法改革。", "sentence", -1)
    assert all(kind == "boilerplate" for _, kind, _ in units[:-1])
    assert "".join(u[0] for u in units[:-1]).replace(" ", "") == text[:text.index("2024年，我区")].replace(" ", "")


def test_headings_inside_running_text_start_lines_of_their_own():
    text = ("现将有关情况报告如下：一、主要举措和成效（一）推进依法行政。全年办理复议案件12件。"
            "三、2024年工作安排2024年，我局将坚持依法行政。")
    assert _units(text) == [
        ("现将有关情况报告如下：", "sentence", -1),
        ("一、主要举措和成效", "heading", 1),
        ("（一）推进依法行政。", "heading", 2),
        ("全年办理复议案件12件。", "sentence", -1),
        ("三、2024年工作安排", "heading", 1),
        ("2024年，我局将坚持依法行政。", "sentence", -1),
    ]
    assert [u.kind for u in segment(normalize(text).text, V2)] == ["sentence"] * 3  # v2 kept them in the text


def test_a_part_title_without_marker_run_into_its_text_is_split_off():
    text = "各位代表：过去一年，我们依法行政。2016年工作安排2016年，是“十三五”开局之年。我们将深化改革。"
    assert ("2016年工作安排", "heading", 0) in _units(text)
    assert ("“十三五”发展思路和2016年主要工作任务", "heading", 0) in _units(
        "2015年工作回顾\n过去一年成效显著。\n“十三五”发展思路和2016年主要工作任务\n2016年，我们将深化改革。")


WORK_REPORT = """南山区2014年政府工作报告
现在，我代表区人民政府向大会作政府工作报告。
2013年工作回顾
过去一年，我们依法行政，全年办理复议案件12件。
（一）抓环境，补短板
完成环境整治项目30个。
各位代表，上述成绩来之不易。
回顾一年的工作，我们清醒地认识到，发展还面临不少困难和挑战。
2014年工作安排
今年全区经济社会发展主要目标是：
——本地生产总值3550亿元，增长11%；
——出口总额226亿美元，增长3%。
一、进一步全面深化改革
深化商事登记制度改革。
各位代表，让我们共同奋斗！
附件：
1．名词解释
商事登记：指…。
"""


def test_the_problems_passage_and_the_plans_part():
    parts = _parts(WORK_REPORT)
    assert [t for t, _, p in parts if p == "problems"] == ["回顾一年的工作，我们清醒地认识到，发展还面临不少困难和挑战。"]
    plans = [t for t, _, p in parts if p == "plans"]
    assert plans[0] == "2014年工作安排" and plans[-1] == "各位代表，让我们共同奋斗！"
    assert "——本地生产总值3550亿元，增长11%；" in plans  # target lines do not end the plans part
    assert ("——本地生产总值3550亿元，增长11%；", "sentence", "plans") in parts  # … and are no headings
    assert all(p == "" for t, _, p in parts[parts.index(("附件：", "heading", "")):])  # the appendix is no plans
    assert all(p == "" for _, _, p in _parts(WORK_REPORT, V2))  # v2 names no parts


def test_an_achievements_heading_that_fixes_weak_points_is_no_problems_cue():
    cue = RULES.part_cues["shortcomings"]
    assert not cue.search("（一）抓环境，补短板") and not cue.search("补齐短板")
    assert cue.search("存在的短板") and V2.part_cues["shortcomings"].search("（一）抓环境，补短板")
    assert ("（一）抓环境，补短板", "heading", "") in _parts(WORK_REPORT)


def test_a_heading_naming_problems_and_plans_opens_the_plans_part_at_its_future_paragraph():
    text = ("一、主要成效\n开展执法检查。\n三、存在的不足及2025年工作打算\n执法队伍力量还不够。\n"
            "2025年，我区将继续深化法治建设。\n一是强化政治担当。")
    parts = _parts(text)
    assert [t for t, _, p in parts if p == "problems"] == ["三、存在的不足及2025年工作打算", "执法队伍力量还不够。"]
    assert [t for t, _, p in parts if p == "plans"] == ["2025年，我区将继续深化法治建设。", "一是强化政治担当。"]


def test_the_labelled_reports_gold_units_are_reproduced_exactly():
    """The segmenter reproduces every gold unit of the seven labelled reports from their plain text."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    gold: dict[str, list] = {}
    for name in ("seed_units.jsonl", "work_report_units.jsonl"):
        for line in (root / "training" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            gold.setdefault(row["doc"], []).append((row["start"], row["end"], row["kind"]))
    assert len(gold) == 7
    for doc, units in gold.items():
        path = next(p for p in (root / "seeds" / doc, root / "training" / "corpus" / doc) if p.is_file())
        got = [(u.start, u.end, u.kind) for u in segment(normalize(path.read_text(encoding="utf-8")).text, RULES)]
        assert got == sorted(units), doc


def test_a_closing_outlook_without_heading_opens_the_plans_part_also_when_flattened():
    text = ("一、主要成效\n开展执法检查。\n五、坚持党的领导\n落实第一责任人职责。\n"
            "2025年，我区法治建设取得一定成效，但也存在一些不足。\n2026年，我区将深入学习贯彻习近平法治思想。")
    for form in (text, text.replace("\n", "")):
        parts = _parts(form)
        assert [t for t, _, p in parts if p == "plans"] == ["2026年，我区将深入学习贯彻习近平法治思想。"]
        assert [t for t, _, p in parts if p == "problems"] == ["2025年，我区法治建设取得一定成效，但也存在一些不足。"]


# -- rules v4: the rectification part, sign-off variants ---------------------------------------------------------
RECTIFICATION_REPORT = """某区2024年法治政府建设情况报告
一、主要举措和成效
开展执法检查12次。
二、上年存在不足及整改情况
（一）关于执法程序不规范问题的整改
针对上年执法程序不规范的问题，我们开展专项整治，已整改到位。
三、存在的问题和不足
执法队伍专业化水平不高。
四、2025年工作安排
2025年，我区将继续深化改革。
专此报告。
"""


def test_the_rectification_of_last_years_problems_is_a_part_of_its_own():
    parts = _parts(RECTIFICATION_REPORT)
    assert [t for t, _, p in parts if p == "rectification"] == [
        "二、上年存在不足及整改情况", "（一）关于执法程序不规范问题的整改",
        "针对上年执法程序不规范的问题，我们开展专项整治，已整改到位。"]
    assert [t for t, _, p in parts if p == "problems"] == ["三、存在的问题和不足", "执法队伍专业化水平不高。"]
    v3 = [t for t, _, p in _parts(RECTIFICATION_REPORT, packaged_rules(3)) if p == "problems"]
    assert v3[0] == "二、上年存在不足及整改情况"  # v3 took it for the problems part


def test_a_rectification_part_is_no_headless_problems_passage():
    text = ("一、主要成效\n开展执法检查。\n二、审计发现问题整改落实情况\n针对执法不规范的问题，完成整改。\n"
            "三、2025年工作安排\n2025年，我区将继续深化改革。")
    parts = _parts(text)
    assert not [t for t, _, p in parts if p == "problems"]
    assert ("针对执法不规范的问题，完成整改。", "sentence", "rectification") in parts


@pytest.mark.parametrize("signoff", ["特此报告。", "专此报告。", "以上报告。", "特此汇报。", "专此报告"])
def test_sign_off_variants_are_boilerplate_without_a_part(signoff):
    text = "一、主要成效\n开展执法检查。\n二、2025年工作安排\n2025年，我区将继续深化改革。\n" + signoff + "\n"
    assert _parts(text)[-1] == (signoff, "boilerplate", "")


def test_prefix_closed_patterns_rule_out_every_shorter_full_match(seeds):
    """The shortcut of `_run_in_end`: for a prefix-closed pattern, no `match` up to k means no `fullmatch` up to
    any end ≤ k; the patterns of every rules version on the seeds' lines and on random strings of their
    characters."""
    import random
    import re

    from policy_nlp.components.units import prefix_closed

    rng = random.Random(3)
    lines = [line for text in seeds.values() for line in normalize(text).text.splitlines() if line.strip()]
    alphabet = "".join(sorted(set("".join(lines))))
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) for _ in range(300)]
    lines += ["三、2024年工作安排2024年,我局将", "2025年工作计划", "某区2024年法治政府建设情况报告2024年,"]
    patterns = [p for v in (3, 4) for p in (packaged_rules(v).optional_re("part_title_pattern"),
                                            packaged_rules(v).optional_re("title_pattern"))]
    assert all(prefix_closed(p) for p in patterns)
    for pattern in patterns:
        for line in lines:
            k = min(len(line) - 1, 50)
            if not pattern.match(line, 0, k):
                assert not any(pattern.fullmatch(line, 0, end) for end in range(k, 1, -1))
    for spelled in ("ab$", "ab(?=c)", "ab(?!c)", r"ab\b", "(?>a+)b", "a++b"):
        assert not prefix_closed(re.compile(spelled))
    assert re.compile("ab$").fullmatch("abc", 0, 2) and not re.compile("ab$").match("abc", 0, 3)


# -- the fast paths of `report_lines` and `segment`, each against the plain computation it replaces ---------
def _reference_texts(seeds) -> list[str]:
    """Normalised seeds and work reports (no text repeats), flattened cuts, random strings of their characters
    and edge cases (empty, white space, one character, astral-plane characters, Traditional script, a very
    long line)."""
    import random
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    texts = [normalize(t).text for t in seeds.values()]
    texts += [normalize(p.read_text(encoding="utf-8")).text
              for p in sorted((root / "training" / "corpus" / "work_reports").glob("*.txt"))[:20]]
    rng = random.Random(17)
    alphabet = "".join(sorted(set("".join(texts[:5])))) + "𠀀𠀁 \u3000\u2028”。!?"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 200))) for _ in range(200)]
    texts += [t[:3000].replace("\n", "") for t in texts[:5]]
    texts += ["", " ", "\u3000", "中", "𠀀", "。", "一、", "一、总体情况。 \n", "。”一、标题 (二)", "當前位置:首頁>政務公開 一、總體情況。",
              "𠀀𠀁。一、𠀂\n(一)𠀃𠀄。", "".join(texts[:5]).replace("\n", "")]
    return texts


def _plain_split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """`_split_sentences` as it was: each `_SENTENCE_RE` piece stripped by `str.strip`."""
    from policy_nlp.components.units import _SENTENCE_RE

    out = []
    for m in _SENTENCE_RE.finditer(text):
        piece = text[m.start():m.end()]
        lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
        if piece and lead + trail < len(piece):
            out.append((offset + m.start() + lead, offset + m.end() - trail))
    return out


def test_white_space_is_what_the_regex_and_str_strip_take():
    import re

    from policy_nlp.components.units import WHITE_SPACE, _compact

    assert WHITE_SPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert WHITE_SPACE == "".join(chr(c) for c in range(0x110000) if re.match(r"\s", chr(c)))
    assert _compact(" a\u3000b\u2028c\x1cd ") == re.sub(r"\s+", "", " a\u3000b\u2028c\x1cd ") == "abcd"


def test_sentences_and_later_sentence_starts_equal_the_plain_split(seeds):
    """`_split_sentences` equals the piece-by-piece strip; `_later_sentence_starts`, from the whole text's
    `_line_openings`, keeps exactly the starts after the first whose character can open a line, in every
    line and in pieces at random offsets (a piece may begin inside a run of sentence ends)."""
    import random

    from policy_nlp.components.units import (_OPENS, _later_sentence_starts, _line_openings, _opening_table,
                                             _opens_line, _split_sentences)

    rng = random.Random(5)
    rules_all = [packaged_rules(v) for v in (1, 3, 4)]
    for text in _reference_texts(seeds):
        openings = {rules.name: _line_openings(text, rules) for rules in rules_all}
        pieces = [(0, len(text))] + [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
        pieces += [tuple(sorted(rng.randrange(len(text) + 1) for _ in range(2))) for _ in range(5)]
        for s, e in pieces:
            plain = _plain_split_sentences(text[s:e], s)
            if text[s:e] == text[s:e].strip():
                assert _split_sentences(text, s, e) == plain
            later = [a for a, _ in plain[1:]]
            for rules in rules_all:
                table = _opening_table(rules)
                found = _later_sentence_starts(text, s, e, openings[rules.name])
                assert found == [a for a in later if table[ord(text[a])] == _OPENS]
                assert [a for a in found if _opens_line(text, a, e, rules)] \
                    == [a for a in later if _opens_line(text, a, e, rules)]


def test_the_opening_table_holds_the_patterns_first_characters():
    """`_opening_table`: the run's characters, and the characters a heading marker or part title can start
    with; every other character where a pattern allows no first-character class."""
    from policy_nlp.components.units import _OPENS, _RUN, _opening_table

    table = _opening_table(packaged_rules(4))
    assert all(table[ord(c)] == _RUN for c in "。!?”)\u3000 \n")
    assert all(table[ord(c)] == _OPENS for c in "一第(2二①过")
    assert all(table[ord(c)] == 0 for c in "我a,𠀀")
    data = packaged_rules(4).to_dict()
    data["heading_patterns"] = data["heading_patterns"] + [{"level": 4, "pattern": "^.{1,3}节"}]
    table = _opening_table(ReportRules.from_dict(data))
    assert all(table[ord(c)] == _OPENS for c in "我a,𠀀") and table[ord("。")] == _RUN


def test_heading_and_part_title_checks_at_an_offset_equal_matching_the_slice(seeds):
    """`heading_level(text, a, e)` and `optional_match_at` (the first-character class first) answer as the
    patterns on `text[a:e]` do, at every sentence start and at random offsets."""
    import random

    rng = random.Random(2)
    for rules in (packaged_rules(1), packaged_rules(3), packaged_rules(4)):
        part_title = rules.optional_re("part_title_pattern")
        for text in _reference_texts(seeds)[:60] + _reference_texts(seeds)[-12:]:
            offsets = [a for a, _ in _plain_split_sentences(text, 0)] + [rng.randrange(len(text) + 1)
                                                                        for _ in range(20)]
            for a in offsets:
                for e in (len(text), min(len(text), a + rng.randrange(1, 8))):
                    plain = next((lv for lv, p in rules.heading_patterns if p.match(text[a:e])), None)
                    assert rules.heading_level(text, a, e) == plain
                    got = rules.optional_match_at("part_title_pattern", text, a, e)
                    want = part_title.match(text[a:e]) if part_title is not None else None
                    assert (got and got.span()) == (want and want.span())


def test_run_in_cut_candidates_hold_every_position_the_checks_accept(seeds):
    """`_cut_candidates` may leave out only positions where, white space skipped, neither a heading marker
    nor (with a sentence end in the line) a sentence opening starts."""
    from policy_nlp.components.units import _cut_candidates, _opens_sentence

    for rules in (packaged_rules(3), packaged_rules(4)):
        next_start = rules.optional_re("run_in_next_pattern")
        for text in _reference_texts(seeds):
            for line in text.split("\n")[:80]:
                for opening in (False, True):
                    got = list(_cut_candidates(line, 1, min(len(line), 60), rules, opening))
                    assert got == sorted(set(got))
                    accepted = [end for end in range(1, min(len(line), 60))
                                if rules.heading_level(line[end:].lstrip()) is not None
                                or (opening and _opens_sentence(next_start, line, end))]
                    assert set(accepted) <= set(got)


def test_run_in_cut_candidates_equal_the_look_ahead_scan(seeds):
    """`_cut_candidates` (each class character and the white space before it) gives the positions the
    zero-width look-ahead `(?=\\s*(?:class))` finds in [lo, stop), on every line, lo and stop."""
    import re

    from policy_nlp.components.units import _cut_candidates

    for rules in (packaged_rules(3), packaged_rules(4)):
        for opening in (False, True):
            ahead = re.compile(r"(?=\s*(?:" + rules.run_in_cut_re(opening).pattern + "))")
            for text in _reference_texts(seeds):
                for line in (text.split("\n")[:40] + ["一 \u3000 二", "  (三)", "第 一", " \t一"]):
                    for lo, stop in ((0, len(line)), (1, min(len(line), 60)), (2, 51), (5, 7), (3, 2)):
                        want = [m.start() for m in ahead.finditer(line, lo) if m.start() < stop]
                        assert list(_cut_candidates(line, lo, stop, rules, opening)) == want


def test_line_openings_by_one_alternation_equal_the_patterns_one_by_one(seeds):
    """`_opens_line` through `_opening_alternation` answers as the heading patterns and the part title
    tried one by one, at every sentence start and at random offsets; rules whose patterns have capture
    groups or flags of their own take the patterns one by one."""
    import random

    from policy_nlp.components.units import _opening_alternation, _opens_line

    def plain(rules, text, a, e):
        return rules.heading_level(text, a, e) is not None or bool(
            rules.optional_match_at("part_title_pattern", text, a, e))

    rng = random.Random(5)
    for rules in (packaged_rules(1), packaged_rules(3), packaged_rules(4)):
        assert _opening_alternation(rules) is not None
        for text in _reference_texts(seeds):
            offsets = [m.end() for m in re.finditer(r"[。!?\n]\s*", text)] + [0, len(text)]
            offsets += [rng.randrange(len(text) + 1) for _ in range(20)]
            for a in offsets:
                for e in (len(text), min(len(text), a + rng.randrange(0, 30))):
                    assert _opens_line(text, a, e, rules) == plain(rules, text, a, e)
    data = dict(packaged_rules(4).to_dict())
    for pattern in ("^(一)、", "(?s)^一、"):
        data["heading_patterns"] = list(data["heading_patterns"]) + [{"level": 1, "pattern": pattern}]
        rules = ReportRules.from_dict(data)
        assert _opening_alternation(rules) is None
        assert _opens_line("一、总体情况", 0, 6, rules) and not _opens_line("完善机制", 0, 4, rules)


def test_chrome_lines_with_the_phrase_and_separator_search_equal_the_plain_checks(seeds):
    """`is_chrome_line` ruling lines out by one search for a chrome phrase or breadcrumb separator
    (`_chrome_hint_re`) answers as the phrase and separator checks made one by one, also with a site's
    extra phrases."""
    from policy_nlp.components.units import SENTENCE_END, _BULLET_RE, _compact

    def plain(line, rules):
        bare = _BULLET_RE.sub("", line)
        compact = _compact(bare)
        if not compact:
            return False
        if rules.metadata_key_re.match(bare) or rules.metadata_key_re.match(compact):
            return True
        if len(compact) <= 60 and any(p in compact for p in rules.chrome_phrases):
            return True
        return len(compact) <= 80 and sum(compact.count(s) for s in rules.breadcrumb_separators) >= 2 \
            and not any(c in compact for c in SENTENCE_END)

    extra = ["", " ", "首页>政务公开>年报", "• 打印本页 ", "a>b", "a>b>c。", "站点地图" + "一" * 70, "扫一扫" * 30]
    for rules in (packaged_rules(1), packaged_rules(4), packaged_rules(4).extended(chrome_phrases=["站点地图"])):
        for text in _reference_texts(seeds):
            for line in text.split("\n")[:60] + extra:
                assert is_chrome_line(line, rules) == plain(line, rules)


def test_unit_rows_of_a_table_kept_whole_equal_those_through_the_identity_index(seeds):
    from policy_nlp.components.unit_table import unit_rows

    for text in _reference_texts(seeds):
        units = segment(text, RULES)
        assert unit_rows(units, None) == unit_rows(units, {i: i for i in range(len(units))})


def test_report_lines_carry_the_chrome_check_of_whole_lines_and_sign_offs_need_their_first_character(seeds):
    """`_report_lines` hands `segment` the `is_chrome_line` answer of each whole line; the sign-off pattern
    is tried only on sentences that start with a character it can start with."""
    from policy_nlp.components.units import _report_lines, _start_chars, report_lines

    texts = _reference_texts(seeds) + ["特此报告。", "专此汇报", "以上报告。", "一、总体情况。特此报告。"]
    for rules in (packaged_rules(1), packaged_rules(3), packaged_rules(4)):
        start = _start_chars(rules, "signoff_pattern", rules.signoff_re)
        assert start is not None and "特" in start and "我" not in start
        for text in texts:
            lines = _report_lines(text, rules)
            assert [line[:3] for line in lines] == report_lines(text, rules)
            for s, e, _, chrome_line in lines:
                assert chrome_line is None or chrome_line == is_chrome_line(text[s:e], rules)
            for s, e in _plain_split_sentences(text, 0):
                if rules.signoff_re.match(text[s:e]):
                    assert text[s] in start


def test_lines_equal_stripping_each_line(seeds):
    """`_lines` (one regex pass) gives the ranges stripping every line between line breaks gives: blank
    lines, every kind of white space at a line's ends (some of it not a line break), one-character lines,
    texts whose only line break is \\n and texts with the others."""
    import random

    from policy_nlp.components.units import LINE_BREAKS, LINE_RE, WHITE_SPACE, _lines

    def stripped_lines(text):
        out = []
        for m in LINE_RE.finditer(text):
            seg = m.group()
            if seg.strip():
                lead = len(seg) - len(seg.lstrip())
                out.append((m.start() + lead, m.start() + lead + len(seg.strip())))
        return out

    rng = random.Random(11)
    alphabet = WHITE_SPACE + LINE_BREAKS + "中a。𠀀"
    newline_only = "".join(c for c in alphabet if c == "\n" or c not in LINE_BREAKS)  # the `[^\n]` path
    texts = _reference_texts(seeds) + ["".join(rng.choice(chars) for _ in range(rng.randrange(0, 40)))
                                       for chars in (alphabet, newline_only) for _ in range(2000)]
    texts += ["\x1c中\x1c\n", " \u3000中 文\u3000 \r\n\r\n\u2028 a", "中\n\n\n文", "\n" * 5]
    for text in texts:
        assert _lines(text) == stripped_lines(text)


def test_start_chars_are_the_first_character_class_or_none():
    """`_start_chars`: every code point the class matches (surrogates and astral characters too); None for a
    pattern without a class or with one too large to keep as a set, and then `segment` tries the pattern on
    every unit."""
    from policy_nlp.components.units import _start_chars

    def chars_for(signoff):
        data = packaged_rules(4).to_dict()
        data["signoff_pattern"] = signoff
        rules = ReportRules.from_dict(data)
        return rules, _start_chars(rules, "signoff_pattern", rules.signoff_re)

    _, digits = chars_for(r"^[\d𠀀\ud800]报告$")
    assert digits == {chr(c) for c in range(0x110000) if re.match(r"[\d𠀀\ud800]", chr(c))}
    assert chars_for(r"^.报告$")[1] is None and chars_for(r"^\w报告$")[1] is None
    rules, _ = chars_for(r"^\w{2}报告$")
    text = "一、总体情况。\n全年工作有总结。年度报告\n二、下一步打算。"
    assert [(text[u.start:u.end], u.kind) for u in segment(text, rules)][2] == ("年度报告", "boilerplate")


def test_split_sentences_by_find_equals_the_plain_split():
    """`_split_sentences` (`str.find` of 。, the regex in lines with ! or ?) equals the piece-by-piece strip
    on stripped lines of sentence ends, closers, white space and astral characters, with and without ! ?."""
    import random

    from policy_nlp.components.units import _split_sentences

    rng = random.Random(23)
    texts = ["a。”。b", "a。。。”’c", "。", "a。 ”b", "a”。b", "x。\u3000y", "𠀀。𠀁", "a。)\"'】 。 b", "a!。b", "a。b?"]
    for alphabet in ("a。”’) \u3000𠀀\u2028", "a。”’) \u3000𠀀!?"):
        texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))) for _ in range(3000)]
    for text in texts:
        s = len(text) - len(text.lstrip())
        e = len(text.rstrip())
        if s < e:
            padded = "。" + text + "。"  # the line inside a longer text
            assert _split_sentences(padded, s + 1, e + 1) == _plain_split_sentences(text[s:e], s + 1)


def test_unbulleted_equals_the_bullet_substitution(seeds):
    """`_unbulleted` (the substitution only for a line opening with a bullet or white space) strips what
    `_BULLET_RE.sub` strips: every bullet and white-space character first, lines of the reports, random
    strings of bullets, white space and text."""
    import random

    from policy_nlp.components.units import _BULLET_RE, _BULLETS, WHITE_SPACE, _unbulleted

    rng = random.Random(11)
    alphabet = list(_BULLETS + WHITE_SPACE + "一、a。(") + ["\U00020000"]
    lines = ["", "-", "一、总体情况", "• 打印本页", "\u3000\u3000各位代表", ">>首页"] + [c + "正文" for c in alphabet]
    lines += [line for text in seeds.values() for line in text.splitlines()]
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(8))) for _ in range(2000)]
    for line in lines:
        assert _unbulleted(line) == _BULLET_RE.sub("", line), repr(line)


def test_the_headless_outlook_with_the_first_character_check_equals_the_search(seeds):
    """`_headless_outlook` skips the sentences whose first character cannot open the (anchored) outlook
    pattern: the same unit as searching every sentence of the last section, on the seeds, their openings,
    and texts whose last section holds outlooks and near misses."""
    from policy_nlp.components import units as U
    from policy_nlp.model.features import report_year_of

    rules_all = [packaged_rules(v) for v in (1, 3, 4)]
    tails = ["2025年,我区将继续推进。", "明年要加强。", "下一步,我们将坚持。", "今年将完成。", "2023年我区将", "其他句子。"]
    texts = list(seeds.values()) + [t[:2000] for t in seeds.values()]
    texts += ["一、2024年工作情况\n完成了任务。\n二、其他\n" + "".join(tails[k:] + tails[:k]) for k in range(len(tails))]
    for text in texts:
        norm = normalize(text).text
        for rules in rules_all:
            if not rules.names_parts:
                continue
            units = U.segment(norm, rules)
            year = report_year_of(norm)
            last, is_outlook = [], U._outlook_test(rules, year)
            for j, u in enumerate(units):  # the plain search, as before the check
                if u.kind == "heading" and u.parent < 0:
                    if rules.optional_re("back_matter_pattern").search(norm[u.start:u.end]):
                        break
                    last = []
                elif u.kind == "sentence":
                    last.append(j)
            plain = next((j for j in last if is_outlook(norm[units[j].start:units[j].end])), None)
            assert U._headless_outlook(norm, units, rules, year, U._top_headings(units)) == plain


def test_report_lines_give_the_title_check_to_the_pieces_before_any_other_than_chrome(seeds, monkeypatch):
    """`_report_lines` keeps whether a piece other than chrome has come yet as the pieces come: the
    `first` it hands `_split_running_text` (the report's title may run into the first sentence only there)
    is what looking through the pieces before it gives, on the reference texts, the same with a chrome line
    before them, and a run-in title after a chrome line."""
    from policy_nlp.components import units as units_mod

    calls = []
    split = units_mod._split_running_text

    def recording(text, s, e, rules, first, openings):
        calls.append((s, first))
        return split(text, s, e, rules, first, openings)

    chrome = "首页 > 政务公开 > 工作报告\n"
    texts = _reference_texts(seeds)
    texts += [chrome + t for t in texts[:10]] + [chrome + "政府工作报告2024年,我们全面推进依法行政。\n二、问题。"]
    monkeypatch.setattr(units_mod, "_split_running_text", recording)
    for rules in (packaged_rules(1), packaged_rules(3), packaged_rules(4)):
        for text in texts:
            calls.clear()
            lines = units_mod._report_lines(text, rules)
            assert calls or not rules.splits_run_in_headings or not text.strip()
            for s, first in calls:  # the pieces before `s` end at or before it (in order, not overlapping)
                assert first == (not any(not c for _, e, c, _ in lines if e <= s)), (text[:30], s)


def test_the_plans_start_from_the_top_level_headings_equals_the_walk_over_every_unit(seeds):
    """`_plans_start` and `_headless_outlook` look only at the top-level headings (`_top_headings`) and the
    units between two of them: the same plans heading or outlook sentence as the walk over every unit that
    they replace, on the seeds, their openings, the work reports and texts with and without a plans heading,
    back matter, and headings before any sentence."""
    from pathlib import Path

    from policy_nlp.components import units as U
    from policy_nlp.model.features import names_later_year, report_year_of

    def walked(norm, units, rules):  # the loops before `_top_headings`
        plans, review = rules.optional_re("plans_part_pattern"), rules.optional_re("review_part_pattern")
        problems, back_matter = rules.optional_re("problems_part_pattern"), rules.optional_re("back_matter_pattern")
        year, begun = report_year_of(norm), False
        for i, u in enumerate(units):
            begun = begun or u.kind == "sentence"
            if not begun or u.kind != "heading" or u.parent >= 0 or u.level > 1:
                continue
            title = norm[u.start:u.end]
            if not (plans.search(title) or names_later_year(title, year)) or review.search(title):
                continue
            return i if not problems.search(title) else U._first_future_lead(norm, units, i, rules, year)
        last, is_outlook = [], U._outlook_test(rules, year)
        for j, u in enumerate(units):
            if u.kind == "heading" and u.parent < 0:
                if back_matter.search(norm[u.start:u.end]):
                    break
                last = []
            elif u.kind == "sentence":
                last.append(j)
        return next((j for j in last if is_outlook(norm[units[j].start:units[j].end])), None)

    reports = sorted(Path(__file__).parent.parent.glob("training/corpus/work_reports/*.txt"))[:20]
    texts = list(seeds.values()) + [t[:2000] for t in seeds.values()]
    assert reports
    texts += [p.read_text(encoding="utf-8") for p in reports]
    texts += ["", "法", "一、总则\n二、2025年工作打算\n加强建设。", "工作报告\n一、2024年工作情况\n完成了任务。\n"
              "二、2025年工作计划\n推进改革。\n附件:名词解释\n2025年,我区将继续。",
              "报告\n一、工作\n完成。\n二、其他\n2025年,我区将继续推进。\n附件\n2026年,我区将完成。"]
    for text in texts:
        norm = normalize(text).text
        for rules in [packaged_rules(v) for v in (3, 4)]:
            units = U.segment(norm, rules)
            assert U._plans_start(norm, units, rules) == walked(norm, units, rules)


def test_units_have_slots():
    """`Unit` is a slotted dataclass (a report makes one per unit): no instance dictionary."""
    from policy_nlp.components.units import Unit

    assert not hasattr(Unit(0, 1, "sentence"), "__dict__")
