from policy_nlp.components.normalize import normalize
from policy_nlp.rules import default_rules
from policy_nlp.components.units import is_chrome_line, section_path, segment

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
