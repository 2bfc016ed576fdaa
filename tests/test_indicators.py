"""The indicator extractor: quantities, rejections, changes, vocabulary, the component and the tables."""
from __future__ import annotations

import csv
import json
import random
import re

import pytest
from conftest import SEED_NAMES, seed_text

import policy_nlp
from policy_nlp.components import indicators as ind
from policy_nlp.components.indicators import (IndicatorVocabulary, extract_quantities, indicator_vocabulary_v1,
                                              parse_chinese_number)
from policy_nlp.components.normalize import normalize
from policy_nlp.corpus.document import AnnotatedDocument, load_schema
from policy_nlp.corpus.indicator_table import indicator_rows, pivot
from policy_nlp.corpus.tables import write_rows
from policy_nlp.errors import ModelError


@pytest.fixture(scope="module")
def vocab():
    return indicator_vocabulary_v1()


def qty(text: str, vocab=None) -> list[dict]:
    norm = normalize(text).text
    return extract_quantities(norm, 0, len(norm), vocab)


def one(text: str, vocab=None) -> dict:
    found = qty(text, vocab)
    assert len(found) == 1, found
    return found[0]


# -- numbers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("numeral,value", [("三百", 300), ("一千二百", 1200), ("十二", 12), ("两", 2), ("百", 100),
                                           ("三万五千", 35000), ("二十", 20)])
def test_chinese_numerals(numeral, value):
    assert parse_chinese_number(numeral) == value


def test_chinese_numeral_quantities():
    r = one("全年办理案件三百余件。")
    assert (r["value"], r["unit"], r["qualifier"], r["text"]) == (300, "件", "more_than", "三百余件")
    r = one("组织开展法治讲座两场。")
    assert (r["value"], r["unit"]) == (2, "场")
    r = one("开展执法检查一千二百次。")
    assert (r["value"], r["unit"]) == (1200, "次")


def test_arabic_with_comma_and_more_than():
    r = one("开展执法检查1,200余次。")
    assert (r["value"], r["unit"], r["qualifier"], r["text"]) == (1200, "次", "more_than", "1,200余次")


def test_scaling_by_wan_and_yi():
    r = one("节约财政资金3.41亿元。")
    assert (r["value"], r["unit"], r["text"]) == (341000000, "元", "3.41亿元")
    r = one("服务群众12.5万人次。")
    assert (r["value"], r["unit"]) == (125000, "人次")
    assert one("新区3家企业产值超过百亿元。".replace("3家企业", "企业"))["value"] == 10_000_000_000


def test_ranges():
    r = one("每年培育3至5家龙头企业。")
    assert (r["value"], r["value_max"], r["unit"]) == (3, 5, "家")
    r = one("谋划3-5个项目。")
    assert (r["value"], r["value_max"], r["unit"]) == (3, 5, "个")


@pytest.mark.parametrize("text,qualifier,value", [
    ("受理案件20余件。", "more_than", 20), ("培训400多人。", "more_than", 400), ("提供岗位信息近11万个。", "nearly", 110000),
    ("累计投资约3亿元。", "about", 300000000), ("城镇化率提升至67%左右。", "about", 67),
    ("赠送法治书籍超过200本。", "more_than", 200), ("劳动监察不少于1800家次。", "at_least", 1800),
    ("失业率控制在3%以内。", "at_most", 3),
])
def test_qualifiers(text, qualifier, value):
    r = one(text)
    assert (r["qualifier"], r["value"]) == (qualifier, value)


def test_trailing_qualifier_stays_out_of_text():
    r = one("城镇新增就业6万人以上。")
    assert r["text"] == "6万人" and r["qualifier"] == "more_than"


def test_percent_versus_percentage_points():
    rate, points = qty("出庭应诉率95%，检查问题发现率增长19.72个百分点。")
    assert (rate["unit"], rate["value"], rate["role"]) == ("%", 95, "level")
    assert (points["unit"], points["value"], points["role"]) == ("个百分点", 19.72, "change")
    assert points["change"] == {"direction": "increase", "value": 19.72, "unit": "个百分点", "basis": None}


def test_attached_change(vocab):
    r = one("全年办理行政复议案件319件，同比增长87.5%。", vocab)
    assert r["value"] == 319 and r["role"] == "level"
    assert r["change"] == {"direction": "increase", "value": 87.5, "unit": "%", "basis": "同比"}
    assert r["canonical"] == "dispute_resolution.admin_reconsideration_cases"
    assert r["phrase"] == "行政复议案件"


def test_change_without_level():
    r = one("地区生产总值增长4.1%。", indicator_vocabulary_v1())
    assert r["role"] == "change" and r["change"]["direction"] == "increase"
    assert r["canonical"] == "general.gdp"
    r = one("审批时限压缩50%。")
    assert r["role"] == "change" and r["change"]["direction"] == "decrease"
    r = one("应诉案件较上年增加12件。")
    assert r["role"] == "change" and r["change"]["basis"] == "较上年"


def test_parallel_changes_with_fenbie():
    a, b = qty("城乡居民人均可支配收入分别增长4%、6%。")
    assert a["role"] == b["role"] == "change" and (a["value"], b["value"]) == (4, 6)


# -- what is not an indicator ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "2024年，全区法治政府建设取得新成效。", "2024年度法治政府建设情况报告。", "1月27日召开会议。",
    "发布时间：2026-01-31 07:00:44", "谋划“十四五”规划。", "依据〔2024〕3号文件。", "第十四届人大第四次会议。",
    "一、主要成效", "（三）加强执法监督", "1. 完善制度", "一是完善机制。", "位居全市第二。",
    "深化三项制度改革。", "设立五室一庭。", "推进一网通办。", "落实双随机、一公开。", "拨打12345热线。",
    "构建“1+3+N”体系。", "连续3年获评先进。", "用3个月时间完成整改。", "PM2.5浓度下降。",
    "印发《关于建立5个清单的通知》。", "推动亚太轻合金10万吨绿电高端铝基材料等项目建设。",
])
def test_rejected(text):
    assert qty(text) == []


def test_document_number_next_to_a_real_count():
    found = qty("依据〔2024〕3号文件，办理案件12件。")
    assert [(r["value"], r["unit"]) for r in found] == [(12, "件")]


def test_traditional_unit_offsets_index_the_original():
    raw = "前言\n全年辦理行政複議案件319件，節約財政資金3.41億元。"
    norm = normalize(raw).text
    assert len(norm) == len(raw)
    start = raw.index("全")
    found = extract_quantities(norm, start, len(raw), indicator_vocabulary_v1())
    assert [raw[r["start"]:r["end"]] for r in found] == ["319件", "3.41億元"]
    assert found[1]["value"] == 341000000 and found[1]["canonical"] == "general.fiscal_savings"
    rec = ind.with_input_text(found[0], raw)
    assert rec["text"] == "319件" and rec["phrase"] == "行政複議案件"


# -- vocabulary -------------------------------------------------------------------------------------------
def test_two_wordings_one_canonical(vocab):
    assert vocab.canonical("出庭应诉率") == vocab.canonical("负责人出庭应诉率") == \
        "dispute_resolution.court_appearance_rate"
    a = one("行政机关负责人出庭应诉率100%。", vocab)
    b = one("出庭率达100%。", vocab)
    assert a["canonical"] == b["canonical"] == "dispute_resolution.court_appearance_rate"


def test_vocabulary_longest_phrase_wins(vocab):
    hits = vocab.match("审结行政复议案件")
    assert [h[2] for h in hits] == ["审结行政复议案件"]


def test_overlapping_phrases_keep_the_longest_first_as_filter_spans_does():
    chain = IndicatorVocabulary.from_dict({"indicators": [
        {"name": "a.ab", "phrases": ["复议"]}, {"name": "a.bcd", "phrases": ["议案件"]},
        {"name": "a.cdefg", "phrases": ["案件数量总"]}]})
    # the longest of three overlapping phrases wins and the first, which it does not touch, stays
    assert [(h[0], h[2], h[3]) for h in chain.match("复议案件数量总")] == [(0, "复议", ("a.ab",)),
                                                                    (2, "案件数量总", ("a.cdefg",))]
    assert [h[2] for h in chain.match("复议案件数量总", 1)] == ["案件数量总"]
    assert [h[2] for h in chain.match("复议案件", 0, 4)] == ["议案件"]


def test_longest_first_keeps_what_spacys_filter_spans_keeps():
    from collections import namedtuple

    from spacy.util import filter_spans

    hit = namedtuple("hit", "start end")
    rng = random.Random(21)
    cases = []
    for _ in range(3000):  # one hit per start, in start order, as the phrase search finds them
        starts = sorted(rng.sample(range(40), rng.randint(0, 12)))
        cases.append([(s, s + rng.randint(1, 8)) for s in starts])
    pattern = ind.packaged_vocabulary(2)._pattern()[0]
    for text in (normalize(t).text for t in _input_texts()):  # the phrases of the seeds' and reports' sentences
        for sentence in re.finditer(r"[^。!?;；\n]+", text):
            hits, m = [], pattern.search(text, sentence.start(), sentence.end())
            while m:
                hits.append(m.span())
                m = pattern.search(text, m.start() + 1, sentence.end())
            cases.append(hits)
    assert sum(any(a[1] > b[0] for a, b in zip(c, c[1:])) for c in cases) > 100  # overlaps, not only the fast path
    for hits in cases:
        assert ind._longest_first(hits) == [(h.start, h.end) for h in filter_spans([hit(*h) for h in hits])]


def test_vocabulary_round_trip_and_validation(tmp_path, vocab):
    again = IndicatorVocabulary.from_dict(vocab.to_dict())
    assert again == vocab
    with pytest.raises(ModelError) as err:
        IndicatorVocabulary.from_dict({"indicators": [{"name": "x"}]})
    assert err.value.code == "E090"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        IndicatorVocabulary.from_file(bad)
    assert err.value.code == "E090"


def test_gold_canonical_names_are_in_the_vocabulary(vocab):
    from pathlib import Path

    gold = Path(__file__).resolve().parent.parent / "training" / "data" / "indicators.jsonl"
    names = {json.loads(line)["canonical"] for line in gold.read_text(encoding="utf-8").splitlines() if line}
    assert names - {None} <= set(vocab.names)


def test_extra_vocabulary_file(tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"name": "mine", "version": 1, "indicators": [
        {"name": "local.toilets", "theme": "general", "units": ["座"], "phrases": ["农村户厕"]}]},
        ensure_ascii=False), encoding="utf-8")
    vocab = indicator_vocabulary_v1(extra_path=str(extra))
    assert one("改造农村户厕2.1万座。", vocab)["canonical"] == "local.toilets"
    assert "local.toilets" not in indicator_vocabulary_v1().names


# -- the component ----------------------------------------------------------------------------------------
TEXT = ("2024年法治政府建设情况报告\n一、主要成效\n全年办理行政复议案件319件，同比增长87.5%。"
        "出庭应诉率100%。节约财政资金3.41亿元。深化三项制度改革。\n发布时间：2025-01-31 07:00:44\n")


@pytest.fixture(scope="module")
def nlp():
    return policy_nlp.create_pipeline("char")  # tokenizer, structure, themes (untrained), indicators


def run(nlp, text):
    with nlp.select_pipes(disable=["policy_nlp_themes"]):
        return nlp(text)


def test_component_writes_spans_and_records(nlp):
    doc = run(nlp, TEXT)
    group = doc.spans["indicators"]
    records = group.attrs["records"]
    assert [s.text for s in group] == ["319件", "100%", "3.41亿元"]
    assert [s.label_ for s in group] == ["dispute_resolution.admin_reconsideration_cases",
                                         "dispute_resolution.court_appearance_rate", "general.fiscal_savings"]
    assert all(r["year"] == 2024 for r in records)
    assert records[0]["theme"] == "dispute_resolution" and records[0]["themes"] == []
    units = doc.spans["units"]
    assert units[records[0]["unit_index"]].start_char <= records[0]["start"] < units[records[0]["unit_index"]].end_char


def test_component_disk_and_bytes_round_trip(nlp, tmp_path):
    doc = run(nlp, TEXT)
    component = nlp.get_pipe("policy_nlp_indicators")
    component.to_disk(tmp_path / "ind")
    assert (tmp_path / "ind" / "vocabulary.json").is_file()
    fresh = ind.IndicatorExtractor(vocabulary=IndicatorVocabulary.from_dict({"indicators": [
        {"name": "x.y", "phrases": ["无关"]}]}))
    fresh.from_disk(tmp_path / "ind")
    assert fresh.vocabulary == component.vocabulary
    other = ind.IndicatorExtractor().from_bytes(component.to_bytes())
    assert other.vocabulary == component.vocabulary
    with nlp.select_pipes(disable=["policy_nlp_themes", "policy_nlp_indicators"]):
        bare = nlp(TEXT)
    assert fresh(bare).spans["indicators"].attrs["records"] == doc.spans["indicators"].attrs["records"]
    # the whole pipeline (without the untrained theme model) round trip, on disk and in bytes
    import spacy

    pipe = policy_nlp.create_pipeline("char")
    pipe.remove_pipe("policy_nlp_themes")
    pipe.to_disk(tmp_path / "pipe")
    loaded = spacy.load(tmp_path / "pipe")
    assert loaded(TEXT).spans["indicators"].attrs["records"] == doc.spans["indicators"].attrs["records"]
    from_bytes = policy_nlp.create_pipeline("char")
    from_bytes.remove_pipe("policy_nlp_themes")
    from_bytes.from_bytes(pipe.to_bytes())
    assert from_bytes(TEXT).spans["indicators"].attrs["records"] == doc.spans["indicators"].attrs["records"]
    with pytest.raises(ModelError) as err:
        ind.IndicatorExtractor().from_disk(tmp_path / "missing")
    assert err.value.code == "E091"


def test_traditional_report_through_the_component(nlp):
    raw = "2024年法治政府建設報告\n全年辦理行政複議案件319件。\n"
    doc = run(nlp, raw)
    rec = doc.spans["indicators"].attrs["records"][0]
    assert rec["text"] == raw[rec["start"]:rec["end"]] == "319件"
    assert rec["phrase"] == "行政複議案件"


# -- documents and tables ---------------------------------------------------------------------------------
def test_annotated_document_rows_pivot_and_csv(nlp, tmp_path):
    doc = run(nlp, TEXT)
    annotated = AnnotatedDocument.from_doc(doc, model={"labels": []}, id="r1", text=TEXT)
    data = annotated.to_dict()
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(data, load_schema())
    assert sum(1 for u in data["units"] if "indicators" in u) == 3
    back = AnnotatedDocument.from_dict(json.loads(json.dumps(data)))
    rows = indicator_rows([back])
    assert [(r["id"], r["value"], r["unit"]) for r in rows] == [("r1", 319, "件"), ("r1", 100, "%"),
                                                                ("r1", 341000000, "元")]
    assert rows[0]["change_direction"] == "increase" and rows[0]["change_value"] == 87.5
    assert (rows[2]["value_written"], rows[2]["unit_written"], rows[2]["measure"], rows[2]["status"]) == \
        (3.41, "亿元", "total", "result")
    assert rows[0]["year"] == 2024 and rows[0]["unit_start"] <= rows[0]["start"]
    table = pivot(rows)
    assert table == [{"id": "r1", "year": 2024, "dispute_resolution.admin_reconsideration_cases": 319,
                      "dispute_resolution.court_appearance_rate": 100, "general.fiscal_savings": 341000000}]
    path = tmp_path / "rows.csv"
    write_rows(rows, path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.DictReader(fh))
    assert len(read) == 3 and read[0]["text"] == "319件" and read[0]["value_max"] == ""
    assert float(read[2]["value"]) == 341000000


def test_parquet_and_unknown_format(nlp, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    doc = run(nlp, TEXT)
    rows = indicator_rows([AnnotatedDocument.from_doc(doc, id="r1", text=TEXT)])
    write_rows(rows, tmp_path / "rows.parquet")
    table = pq.read_table(tmp_path / "rows.parquet")
    assert table.num_rows == 3 and table.column("value").to_pylist()[2] == 341000000.0
    with pytest.raises(policy_nlp.PolicyNLPError) as err:
        write_rows(rows, tmp_path / "rows.ods")
    assert err.value.code == "E173"


def test_document_without_indicators_omits_the_field():
    doc = AnnotatedDocument.from_dict({"schema": "policy_nlp.document/v1", "text": "abc", "model": {"labels": []},
                                       "units": [{"start": 0, "end": 3, "text": "abc", "kind": "sentence"}]})
    assert "indicators" not in doc.to_dict()["units"][0]
    assert indicator_rows([doc]) == []


# -- version 2: results and targets, thresholds, per-capita values, counted objects, exact values ----------
@pytest.fixture(scope="module")
def vocab2():
    return ind.indicator_vocabulary_v2()


def test_the_value_the_sentence_settles_on(vocab2):
    a, b = qty("本地生产总值突破4000亿元，达4601.5亿元，增长8.5%。", vocab2)
    assert (a["role"], a["value"]) == ("threshold", 400_000_000_000)
    assert (b["role"], b["value"], b["canonical"]) == ("level", 460_150_000_000, "general.gdp")
    assert b["change"]["value"] == 8.5
    assert [r["role"] for r in qty("受理案件突破400件，办结300件。", vocab2)] == ["level", "level"]


def test_per_capita_is_not_the_total(vocab2):
    r = one("人均地区生产总值30.87万元。", vocab2)
    assert (r["canonical"], r["measure"]) == ("general.gdp_per_capita", "per_capita")
    total, head = qty("全区地区生产总值4601.5亿元，人均30.87万元。", vocab2)
    assert (total["canonical"], total["measure"]) == ("general.gdp", "total")
    assert (head["canonical"], head["measure"]) == (None, "per_capita")
    assert one("居民人均可支配收入5.2万元。", vocab2)["canonical"] == "general.disposable_income"
    assert one("出庭应诉率100%。", vocab2)["measure"] == "rate"


def test_the_counted_object_must_be_the_indicators(vocab2):
    entities, estates = qty("新增市场主体2.3万户，对135个无物业小区实施综合整治。", vocab2)
    assert entities["canonical"] == "business_environment.market_entities"
    assert estates["canonical"] is None
    _, studios = qty("新增4家园区人民调解委员会、2家新业态调解工作室。", vocab2)
    assert studios["canonical"] == "dispute_resolution.mediation_organisations"  # 调解工作室 ~ 调解工作站


def test_a_derived_measure_is_not_its_base_indicator(vocab2):
    water, gdp = qty("万元GDP水耗下降2%，地区生产总值2390.26亿元。", vocab2)
    assert (water["role"], water["canonical"]) == ("change", None)
    assert gdp["canonical"] == "general.gdp"
    assert one("第三产业占GDP比重达92.7%。", vocab2)["canonical"] is None


def test_a_rate_named_in_its_own_clause_keeps_its_own_name(vocab2):
    a, b = qty("力争全年调解成功率达到75%以上，确保仲裁结案率不低于95%。", vocab2)
    assert a["canonical"] == "dispute_resolution.mediation_success_rate" and b["canonical"] is None


def test_listed_wordings_name_listed_quantities_in_order(vocab2):
    a, b = qty("实现调解成功率、仲裁结案率达75%、95%以上。", vocab2)
    assert (a["canonical"], b["canonical"]) == ("dispute_resolution.mediation_success_rate", None)
    shared = qty("区、乡、村三级平台分别进驻政务服务事项1469项、92项、42项。", vocab2)
    assert {r["canonical"] for r in shared} == {"business_environment.gov_service_items"}


def test_a_rate_of_another_indicators_object_is_not_the_generic_rate(vocab2):
    assert one("以企业诉求办结率100%为导向。", vocab2)["canonical"] is None
    assert one("热线工单办结率100%。", vocab2)["canonical"] == "dispute_resolution.hotline_completion_rate"
    assert one("办结率100%。", vocab2)["canonical"] == "dispute_resolution.hotline_completion_rate"


def test_a_phrase_after_the_quantity_stops_at_the_next_item(vocab2):
    a, b = qty("新增“专精特新”企业2家以上、认定国家高新技术企业15家以上。", vocab2)
    assert (a["canonical"], b["canonical"]) == (None, "business_environment.high_tech_enterprises")


@pytest.mark.parametrize("text,name", [
    ("新增中小学学位3600个。", "general.school_places"), ("PM2.5年均浓度降至18.5微克/立方米。", "general.pm25"),
    ("筹集保障性住房700套。", "general.public_housing"), ("实际利用外资8.49亿美元。", "general.fdi"),
])
def test_version_2_indicators(vocab2, text, name):
    assert one(text, vocab2)["canonical"] == name


def test_unlabelled_gold_canonical_names_are_in_version_2(vocab2):
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "training" / "data"
    for gold in ("indicators_unlabelled_gold.jsonl", "indicators_unlabelled_supplement_gold.jsonl"):
        records = [json.loads(line) for line in (data / gold).read_text(encoding="utf-8").splitlines() if line]
        assert {r["canonical"] for r in records} - {None} <= set(vocab2.names)
        assert {r["status"] for r in records} <= {"result", "target"}


def test_exact_values_and_the_value_as_written(vocab2):
    r = one("地区生产总值2390.26亿元。", vocab2)
    assert r["value"] == 239_026_000_000 and isinstance(r["value"], int)
    assert (r["value_written"], r["unit_written"]) == (2390.26, "亿元")
    r = one("服务群众12.5万人次。")
    assert (r["value"], r["value_written"], r["unit_written"]) == (125000, 12.5, "万人次")
    assert ind.exact_value("3.41", "亿") == 341_000_000 and ind.exact_value("三百") == 300


@pytest.mark.parametrize("text,status", [
    ("今年主要预期目标是：地区生产总值增长8.5%左右。", "target"),
    ("力争新增市场主体5000户。", "target"),
    ("地区生产总值增长6%左右。", "target"),
    ("全年新增市场主体5000户。", "result"),
    ("去年地区生产总值增长6%，今年力争更好。", "result"),
    ("预计全年地区生产总值增长6%左右。", "result"),
    ("实施“瓶改管”攻坚计划，累计减瓶5.5万个。", "result"),
    ("计划完成投资50亿元。", "target"),
])
def test_result_or_target_from_the_wording(vocab2, text, status):
    assert qty(text, vocab2)[0]["status"] == status


def test_plans_part_makes_targets(vocab2):
    n = normalize("新增道路5公里。").text
    assert extract_quantities(n, 0, len(n), vocab2)[0]["status"] == "result"
    assert extract_quantities(n, 0, len(n), vocab2, plans=True)[0]["status"] == "target"


PLANS_TEXT = ("2024年政府工作报告\n一、2023年工作回顾\n新增道路8公里。\n二、2024年重点工作安排\n"
              "（一）完善交通\n新增道路5公里。\n")


def test_component_marks_the_plans_part_from_the_headings(nlp):
    records = run(nlp, PLANS_TEXT).spans["indicators"].attrs["records"]
    assert [(r["value"], r["status"]) for r in records] == [(8, "result"), (5, "target")]


def test_plans_part_of_the_spans_given_is_that_of_the_group(nlp, vocab2):
    found = []
    for text in [PLANS_TEXT] + [seed_text(name) for name in SEED_NAMES]:
        doc = run(nlp, text)
        group = doc.spans["units"]
        found.append(ind.plans_part(group, doc._.norm_text, vocab2.rules))
        assert ind.plans_part(group, doc._.norm_text, vocab2.rules, list(group)) == found[-1]
    assert any(found[0]) and not all(found[0])


def test_version_1_vocabulary_keeps_its_behaviour(vocab):
    assert vocab.rules is None
    r = one("今年主要预期目标是：地区生产总值增长8.5%左右。", vocab)
    assert r["status"] is None and r["measure"] is None
    assert one("人均地区生产总值30.87万元。", vocab)["canonical"] == "general.gdp"  # as version 1 did
    import spacy

    component = spacy.blank("zh").add_pipe("policy_nlp_indicators", config={
        "vocabulary": {"@misc": "policy_nlp.indicator_vocabulary.v1"}})
    assert component.vocabulary == vocab


def test_default_vocabulary_is_version_2(nlp, vocab2):
    assert nlp.get_pipe("policy_nlp_indicators").vocabulary == vocab2
    assert vocab2.version == 2 and vocab2.rules is not None
    assert IndicatorVocabulary.from_dict(vocab2.to_dict()) == vocab2


@pytest.mark.parametrize("change,detail", [
    (lambda r: r.pop("settle_gap"), "missing"), (lambda r: r.update(extra="x"), "unknown"),
    (lambda r: r.update(target_cue="("), "regular expression"), (lambda r: r.update(count_units="个"), "count_units"),
])
def test_bad_rules_raise_e180(vocab2, change, detail):
    data = vocab2.to_dict()
    change(data["rules"])
    with pytest.raises(ModelError) as err:
        IndicatorVocabulary.from_dict(data)
    assert err.value.code == "E180" and detail in str(err.value)


def test_pivot_leaves_out_targets_and_thresholds():
    rows = [{"id": "r", "year": 2023, "canonical": "general.gdp", "role": "threshold", "status": "result",
             "value": 4e11},
            {"id": "r", "year": 2023, "canonical": "general.gdp", "role": "level", "status": "target", "value": 5e11},
            {"id": "r", "year": 2023, "canonical": "general.gdp", "role": "level", "status": "result",
             "value": 460150000000}]
    assert pivot(rows) == [{"id": "r", "year": 2023, "general.gdp": 460150000000}]


@pytest.mark.parametrize("text", ["重点做好以下10个方面的工作。", "举办大湾区铁人三项赛。"])
def test_rejected_in_version_2_reports(text):
    assert qty(text) == []


def test_evaluation_scores_canonical_precision_and_the_flag():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "training" / "evaluate_indicators.py"
    spec = importlib.util.spec_from_file_location("evaluate_indicators", path)
    ev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ev)
    gold = {"r": [{"start": 0, "end": 3, "value": 5, "unit": "家", "canonical": None, "status": "target"},
                  {"start": 5, "end": 8, "value": 2, "unit": "%", "canonical": "a.b", "status": "result"}]}
    pred = {"r": [{"start": 0, "end": 3, "value": 5, "unit": "家", "canonical": "x.y"},
                  {"start": 5, "end": 8, "value": 2, "unit": "%", "canonical": "a.b", "status": "result"}]}
    report, total = ev.evaluate(gold, pred)
    assert (report["precision"], report["recall"]) == (1.0, 1.0)
    assert report["canonical_precision"] == 0.5  # a name where the gold has none is wrong
    assert report["flag_accuracy"] == 0.5  # no status counts as "result"
    assert total["report"] == "all" and ev.evaluate({"shell": []}, {"shell": []})[0]["precision"] is None


# -- scoring -------------------------------------------------------------------------------------------------
def _scored_doc(records: list[dict]):
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

    doc = Doc(Vocab(), words=list("办理行政复议案件五件调解成功率百分之九十八"))
    doc.spans["indicators"] = []
    doc.spans["indicators"].attrs["records"] = records
    return doc


def _rec(start, end, value, unit):
    return {"start": start, "end": end, "value": value, "unit": unit}


def test_indicator_scores_count_value_and_unit_matches():
    """The figures of the hand-written count this scorer had before it used spaCy's PRFScore."""
    from spacy.training import Example

    first = Example(_scored_doc([_rec(2, 8, 5, "件"), _rec(10, 15, 98, "%"), _rec(16, 18, 3, "起")]),
                    _scored_doc([_rec(2, 8, 5, "件"), _rec(10, 15, 98, "%"), _rec(16, 18, 3, "起"), _rec(0, 1, 1, "人")]))
    second = Example(_scored_doc([_rec(3, 7, 5.0000001, "件"), _rec(11, 14, 97, "%")]),  # a wrong value
                     _scored_doc([_rec(2, 8, 5, "件"), _rec(10, 15, 98, "%")]))
    scores = ind.score_indicators([first, second])
    assert scores == pytest.approx({"indicators_p": 4 / 5, "indicators_r": 4 / 6, "indicators_f": 8 / 11}, rel=1e-12)
    assert ind.score_indicators([Example(_scored_doc([]), _scored_doc([]))]) == {
        "indicators_p": 0.0, "indicators_r": 0.0, "indicators_f": 0.0}


def test_indicator_serialisers_honour_exclude(tmp_path):
    saved = ind.IndicatorExtractor()
    tiny = IndicatorVocabulary.from_dict({"indicators": [{"name": "x.y", "phrases": ["无关"]}]})
    assert ind.IndicatorExtractor(vocabulary=tiny).from_bytes(saved.to_bytes(), exclude=["vocabulary"]).vocabulary == tiny
    assert ind.IndicatorExtractor(vocabulary=tiny).from_bytes(saved.to_bytes(exclude=["vocabulary"])).vocabulary == tiny
    saved.to_disk(tmp_path / "without", exclude=["vocabulary"])
    assert list((tmp_path / "without").iterdir()) == []
    kept = ind.IndicatorExtractor(vocabulary=tiny).from_disk(tmp_path / "without", exclude=["vocabulary"])
    assert kept.vocabulary == tiny
    with pytest.raises(ModelError) as err:
        ind.IndicatorExtractor().from_bytes(b"\x01")
    assert err.value.code == "E090"


def test_vocabulary_matches_are_those_of_the_text_and_range_asked_for():
    vocab = ind.packaged_vocabulary(2)
    a = "全年地区生产总值增长5%，一般公共预算收入增长3%。"
    b = "一般公共预算收入增长3%，地区生产总值增长5%。"
    first = vocab.match(a, 0, 12)
    assert [p for _, _, p, _ in first] == ["地区生产总值"]
    assert [p for _, _, p, _ in vocab.match(a)] == ["地区生产总值", "一般公共预算收入"]
    assert [p for _, _, p, _ in vocab.match(b, 0, 12)] == ["一般公共预算收入"]  # same range, another text
    first.clear()  # a caller's list is its own
    assert vocab.match(a, 0, 12)


def test_phrase_trie_pattern_matches_what_the_longest_first_alternation_matches(vocab2):
    rng = random.Random(9)
    phrase_sets = [list(vocab2._pattern()[1])]
    phrase_sets += [list({"".join(rng.choice("调解案件率+.") for _ in range(rng.randint(1, 5))) for _ in range(30)})
                    for _ in range(20)]
    for phrases in phrase_sets:
        plain = re.compile("|".join(map(re.escape, sorted(phrases, key=lambda p: (-len(p), p)))))
        trie = re.compile(ind.phrase_trie_pattern(phrases))
        texts = ["".join(rng.choice("调解案件率+.，") for _ in range(60)) for _ in range(20)]
        texts += [normalize(seed_text(name)[:2000]).text for name in SEED_NAMES]
        for text in texts:
            for pos in range(0, len(text), 3):
                end = min(len(text), pos + rng.randint(0, 12))
                a, b = plain.search(text, pos, end), trie.search(text, pos, end)
                assert (a and a.span()) == (b and b.span())


def _all_hits(pattern, text):
    """What `IndicatorVocabulary.match` collects: the match at each start, searching on from the last start + 1."""
    hits, m = [], pattern.search(text)
    while m:
        hits.append(m.span())
        m = pattern.search(text, m.start() + 1)
    return hits


def test_first_char_groups_match_what_the_longest_first_alternation_matches(vocab2):
    """The look-ahead groups of the first characters (`_first_char_groups`) and the class of the second
    characters change only how `re` gets to a match, not which: the same hits as the plain alternation on
    the seeds, the distinct reports, their Traditional conversions, edge cases, and phrase sets of many first
    characters (several groups) with and without single-character phrases, searched to the end and to a
    near end (a phrase cut short)."""
    from policy_nlp.components.normalize import _converter

    rng = random.Random(21)
    phrase_sets = [list(vocab2._pattern()[1])]
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 150)] + ["𠀋", "😀", ".", "+", "1"]
    phrase_sets += [list({"".join(rng.choice(alphabet) for _ in range(rng.randint(shortest, 4))) for _ in range(300)})
                    for shortest in (1, 1, 1, 2, 2, 2)]  # with single characters (no second-character class) or not
    to_traditional = _converter("s2t").convert
    texts = [text[:20000] for text in _input_texts()]
    texts += [to_traditional(text) for text in texts[:30]]
    texts += ["".join(rng.choice(alphabet + ["，"]) for _ in range(3000)) for _ in range(3)]
    kinds = set()
    for phrases in phrase_sets:
        plain = re.compile("|".join(map(re.escape, sorted(phrases, key=lambda p: (-len(p), p)))))
        grouped = re.compile(ind.phrase_trie_pattern(phrases))
        assert len({p[0] for p in phrases}) > ind._FIRST_CHAR_GROUP  # the grouped form is the one tested
        firsts, seconds = sorted({p[0] for p in phrases}), sorted({p[1] for p in phrases if len(p) > 1})
        with_seconds = grouped.pattern.startswith(f"(?={ind._char_set(firsts)}{ind._char_set(seconds)})")
        assert with_seconds == all(len(p) > 1 for p in phrases)  # the class of second characters, where it holds
        kinds.add(with_seconds)
        for text in texts + ["".join(rng.choice(phrases) for _ in range(200))]:
            assert _all_hits(grouped, text) == _all_hits(plain, text)
            end = rng.randint(0, len(text))  # a phrase cut short by the search's end
            assert _all_hits(grouped, text[:end]) == _all_hits(plain, text[:end])
            for pos in range(0, len(text), 97):
                stop = min(len(text), pos + rng.randint(1, 6))
                a, b = plain.search(text, pos, stop), grouped.search(text, pos, stop)
                assert (a and a.span()) == (b and b.span())
    assert kinds == {True, False} and phrase_sets[0] and all(len(p) > 1 for p in phrase_sets[0])


def test_quantity_pattern_with_the_unit_trie_matches_what_the_longest_first_units_matched():
    """`_QTY_RE`'s units as a trie (`phrase_trie_pattern`) give the same match and groups as the units'
    longest-first alternation it replaces, at every start of the seeds, the distinct reports, their
    Traditional conversions (normalised), edge cases and synthetic strings of numbers and units, searched to
    the text's end and to a near end (a unit cut short)."""
    longest_first = "|".join(map(re.escape, sorted(ind._UNITS, key=len, reverse=True)))
    before = re.compile(ind._QTY_RE.pattern.replace(f"(?P<unit>{ind._UNIT_RE})", f"(?P<unit>{longest_first})"))
    assert before.pattern != ind._QTY_RE.pattern
    rng = random.Random(31)
    texts = [normalize(t).text[:20000] for t in _input_texts()]
    pieces = ["1", "2.5", "1,200", "三百", "两", "万", "亿", "千", "余", "多", "至", "-", "个", "约", "不少于", "，",
              "𠀋"] + sorted(ind._UNITS) + [u[:-1] for u in ind._UNITS if len(u) > 1]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    matched = 0
    for text in texts:
        for pos in range(len(text)):
            for end in (len(text), min(len(text), pos + rng.randint(1, 8))):
                a, b = before.search(text, pos, end), ind._QTY_RE.search(text, pos, end)
                assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))
                matched += a is not None
    assert matched > 10000


def _clause_bounds_by_scanning(text, pos, lo, hi, delims):
    s = pos
    if pos > lo:
        s = next((max(lo, i + 1) for i in range(pos - 1, -1, -1) if text[i] in delims), lo)
    if pos >= hi:
        return s, pos
    return s, next((i for i in range(pos, hi) if text[i] in delims), hi)


def test_bounds_are_those_of_the_text_and_range_asked_for():
    """`_around` (each delimiter set) and `_bounds_at` (the three at a record's start) against a scan."""
    rng = random.Random(7)
    alphabet = "案件办结率，；。、:\n12"
    texts = ["".join(rng.choice(alphabet) for _ in range(30)) for _ in range(40)]
    texts += [normalize(seed_text(name)[:3000]).text for name in SEED_NAMES]
    texts += ["", "5", "𠀀，𠀁。" * 5, "。" * 9]
    for text in texts:
        delimiters = ind._delimiters(text)
        for pos in range(0, len(text) + 1, 3):
            lo, hi = max(0, pos - 5), min(len(text), pos + 9)
            expected = [_clause_bounds_by_scanning(text, pos, lo, hi, delims)
                        for delims in (ind._CLAUSE_DELIMS, ind._SENTENCE_DELIMS, ind._ITEM_DELIMS)]
            assert [ind._around(offsets, pos, lo, hi) for offsets in delimiters] == expected
            if pos < hi:  # a record's start lies inside its unit
                assert ind._bounds_at(delimiters, pos, lo, hi) == sum(expected, ())


def test_delimiter_offsets_are_those_a_regular_expression_finds():
    """The three lists from one look-up of each code point (`_find_delimiters`), against a scan per set."""
    rng = random.Random(47)
    alphabet = ind._ITEM_DELIMS + "案件、 \t\u3000𠀋\U0010ffff\uffff" + chr(max(map(ord, ind._ITEM_DELIMS)) + 1)
    texts = _input_texts() + ["\ud800，", "，" * 5000, "\U0010ffff；\uffff。"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(500)]
    for text in texts:
        expected = tuple([m.start() for m in re.finditer("[" + re.escape(delims) + "]", text)]
                         for delims in (ind._CLAUSE_DELIMS, ind._SENTENCE_DELIMS, ind._ITEM_DELIMS))
        assert ind._find_delimiters(text) == expected == ind._delimiters(text)


def test_a_clause_not_ending_in_a_words_last_character_skips_only_patterns_that_cannot_match():
    rng = random.Random(23)
    alphabet = "".join(sorted(ind._TAIL_LAST | ind._CHANGE_LAST | set("同比较上年案件个百分点率3.%𠀋 ")))
    clauses = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(20000)]
    texts = [normalize(t).text for t in _input_texts()]
    clauses += [t[a:a + n] for t in texts for a in range(0, len(t), 5) for n in (4, 12) if "\n" not in t[a:a + n]]
    for clause in clauses:
        if clause[-1:] not in ind._TAIL_LAST:
            assert ind._PHRASE_STRIP_TAIL.search(clause) is None
        if clause[-1:] not in ind._CHANGE_LAST:
            assert ind._CHANGE_BEFORE_RE.search(clause) is None


def test_compatible_indicators_kept_per_vocabulary_are_those_computed_afresh(vocab2):
    rng = random.Random(11)
    texts = [normalize(seed_text(name)).text for name in SEED_NAMES]
    records = [r for t in texts for r in extract_quantities(t, 0, len(t), vocab2)]
    groups = sorted({names for t in texts for _, _, _, names in vocab2.match(t)})
    variants = [dict(r, role=role, measure=measure) for r in records[:200]
                for role in ("level", "change") for measure in ("total", "per_capita")]
    for _ in range(2):  # the second round is answered from the memo
        rng.shuffle(variants)
        for rec in variants:
            for names in rng.sample(groups, 5):
                counted = rng.choice(["", "调解工作室", "无物业小区"])
                assert ind._compatible(vocab2, names, rec, counted) == \
                    tuple(ind._compatible_names(vocab2, names, rec, counted))


def _per_record_canonical(vocab, text, rec, lo, hi):
    """`_canonical` as each record ran it before `_Sentence`: its sentence's phrases, each checked for a
    derived measure and a rate of another theme's object by every record."""
    s, e, at = rec["start"], rec["end"], rec["_at"]
    hits = vocab.match(text, at[2], at[3])
    if not hits:
        return None, None
    rules = vocab.rules
    counted = ind._counted_object(text, rec, hi, rules)
    item_end = ind._item_end(text, at[5], hi) if rules is not None else at[3]
    best, best_key, previous = None, None, (None, ())
    for ms, me, phrase, names in hits:
        qualified = ms == previous[0] and phrase.endswith("率") and ind._other_theme(vocab, previous[1], names)
        previous = (me, names)
        if rules is not None and (qualified or ind._derived(text, ms, me, lo, hi, rules)):
            continue
        names = ind._compatible(vocab, names, rec, counted)
        if not names or s <= ms < e:
            continue
        in_clause = at[0] <= ms and me <= at[1]
        if not in_clause and ms > e or ms >= item_end:
            continue
        if not in_clause and rules is not None and ind._names_its_own(text, rec, at[0], rules):
            continue
        key = (0 if in_clause else 1, s - me if me <= s else ms - e + 3)
        if best_key is None or key < best_key:
            best, best_key = (ms, me, phrase, names[0]), key
    return (None, None) if best is None else (best[3], best)


def _sentence_texts():
    from conftest import ROOT

    texts = [normalize(seed_text(name)).text for name in SEED_NAMES]
    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))[:20]
    texts += [normalize(p.read_text(encoding="utf-8")).text for p in reports]
    rng = random.Random(11)
    pieces = ["去年", "上年同期", "力争", "确保", "人均", "每万人", "万元GDP能耗", "企业诉求办结率", "调解成功率",
              "地区生产总值", "增长", "达", "，", "。", "、", "12%", "3.5亿元", "120件", "左右", "目标", "𠀀"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    return texts + ["", " ", "万", "人均收入1万元" * 400]


@pytest.mark.parametrize("version", [1, 2])
def test_a_sentences_phrases_found_once_name_each_record_as_its_own_search_did(version, vocab2):
    vocab = vocab2 if version == 2 else indicator_vocabulary_v1()
    rules, checked = vocab.rules, 0
    for text in _sentence_texts():
        lo, hi = 0, len(text)
        for rec in ind._quantities(text, lo, hi, vocab, False):
            at = rec["_at"]
            candidates = ind._sentence_phrases(vocab, text, at[2], at[3], lo, hi, rules)
            assert ind._canonical(vocab, text, rec, hi, candidates) == _per_record_canonical(vocab, text, rec, lo, hi)
            checked += 1
    assert checked > 3000


def test_thresholds_marked_in_the_records_walk_are_those_of_all_pairs_marked_first(vocab2):
    rules, marked = vocab2.rules, 0
    texts = _sentence_texts() + ["突破4000亿元，达4601.5亿元，超过30%，达到35%、40%，迈上100万人，为120万人。" * 3]
    for text in texts:
        records = ind._quantities(text, 0, len(text), vocab2, False)
        roles = [r["role"] for r in records]
        marked += roles.count("threshold")
        before = [dict(r, role="level" if r["role"] == "threshold" else r["role"]) for r in records]
        for a, b in zip(before, before[1:]):  # the pairs marked before the walk, as the code did before
            if (a["role"] == "level" and b["role"] == "level" and a["unit"] == b["unit"]
                    and rules.threshold_verb.search(text[max(0, a["start"] - 4):a["start"]])
                    and rules.settle_gap.search(text[a["_tail"]:b["start"]])):
                a["role"] = "threshold"
        assert [r["role"] for r in before] == roles
    assert marked >= 3


def test_exact_values_kept_for_the_last_calls_are_those_computed_afresh():
    rng = random.Random(3)
    numbers = [f"{rng.randint(0, 99_999)}" for _ in range(300)] + [f"{rng.random() * 1e4:.{rng.randint(1, 4)}f}"
                                                                  for _ in range(300)]
    numbers += ["1,200", "12,345.6", "三百", "一千二百", "两", "三万五千", "x", ""]
    for _ in range(2):  # the second round is answered from the cache
        for num in numbers:
            for scale in (None, "万亿", "亿", "万", "千", "百"):
                value, fresh = ind.exact_value(num, scale), ind._exact_value.__wrapped__(num, scale)
                assert (value, type(value)) == (fresh, type(fresh))


@pytest.mark.parametrize("text,value,written", [("带动3.78万农牧民增收。", 37800, "万人"),
                                                ("惠及1.2亿人口。", 120_000_000, "亿人")])
def test_counts_of_people_without_a_measure_word(text, value, written):
    r = one(text)
    assert (r["value"], r["unit"], r["unit_written"]) == (value, "人", written)
    assert qty("带动3.78千农牧民增收。") == []  # neither 万 nor 亿: no count of people


@pytest.mark.parametrize("prefix", ind._PRE.split("|"))
def test_every_prefix_opens_a_quantity(prefix):
    r = one(f"全区共建成{prefix}35个调解室。")
    assert r["text"] == f"{prefix}35个" and r["qualifier"] == ind._QUALIFIER_PRE[prefix]


# -- the input's characters -------------------------------------------------------------------------------
def _input_texts() -> list[str]:
    """The seeds, the distinct work reports, and synthetic edge cases (width, script, spaces, astral-plane
    characters, a very long line, one character, nothing)."""
    from conftest import ROOT

    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))[:20]
    texts = [seed_text(name) for name in SEED_NAMES] + [p.read_text(encoding="utf-8") for p in reports]
    rng = random.Random(13)
    alphabet = "辦理複議案件３１９件，（一）　 \t\nＡＢab12.％、；：𠀋𝟘😀萬億"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(60)]
    texts += ["", " ", "\n", "件", "，", "𠀋", "　", "ＡＢＣ", "全年辦理行政複議案件３１９件，" * 400]
    return texts


def _patched_as_before(norm: str, offsets: list[int], chars: str, s: int, e: int) -> str:
    """The input's text[s:e] as the component read it per slice before `_input_text`: the normalised slice,
    patched at the kept changed characters inside it."""
    import bisect

    k = bisect.bisect_left(offsets, s)
    piece = list(norm[s:e])
    while k < len(offsets) and offsets[k] < e:
        piece[offsets[k] - s] = chars[k]
        k += 1
    return "".join(piece)


def test_input_text_built_once_is_doc_text_and_its_slices_those_patched_per_slice(nlp):
    from policy_nlp.components.tokenizer import changed_characters, unchanged_input

    rng = random.Random(17)
    paths = set()
    for text in _input_texts():
        doc = nlp.make_doc(text)
        norm, full = doc._.norm_text, doc.text
        raw = ind._input_text(doc, norm)
        assert raw == full, text[:40]
        assert ind._tokenizer_norm(doc) is not None
        changed = changed_characters(doc)
        paths.add("unchanged" if unchanged_input(doc) is not None else "kept")
        if changed is None:
            continue
        n = len(full)
        cuts = [(s, min(n, s + rng.randint(0, 12))) for s in rng.sample(range(n + 1), min(n + 1, 300))]
        for s, e in cuts + [(0, n), (n, n)]:
            assert raw[s:e] == _patched_as_before(norm, *changed, s, e), (text[:40], s, e)
    assert paths == {"unchanged", "kept"}


def test_input_text_without_the_kept_changed_characters_reads_the_changed_tokens(nlp):
    from policy_nlp.components.tokenizer import CHANGED_KEY, changed_characters

    for text in _input_texts():
        doc = nlp.make_doc(text)
        kept = changed_characters(doc)
        assert (kept is not None) == (text != doc._.norm_text)  # the path of the kept characters
        doc.user_data.pop(CHANGED_KEY, None)
        assert changed_characters(doc) is None
        if kept is not None:  # the changed tokens hold every changed character (and may hold more)
            offsets, chars = ind._changed_tokens(doc, len(text))
            assert set(kept[0]) <= set(offsets) and len(offsets) == len(chars)
        assert ind._input_text(doc, doc._.norm_text) == doc.text, text[:40]


def test_input_text_of_a_doc_the_tokenizer_did_not_make_is_its_text(nlp):
    from spacy.tokens import Doc

    doc = Doc(nlp.vocab, words=["辦理", "，", "３１９", "件"], spaces=[False, False, True, False])
    assert ind._input_text(doc, doc._.norm_text) == doc.text


def test_input_text_is_read_only_for_a_document_holding_a_record(nlp, monkeypatch):
    """The component reads the input's text at the first unit holding a record: a short text without any
    (a title, a greeting) pays nothing for it, and one with records reads it once, with their text and phrase
    the input's characters."""
    calls = []
    read = ind._input_text
    monkeypatch.setattr(ind, "_input_text", lambda doc, norm: calls.append(1) or read(doc, norm))
    assert not run(nlp, "２０２４年法治政府建設情況報告（摘要）").spans["indicators"] and not calls
    doc = run(nlp, "全年辦理行政複議案件３１９件，同比增長８７．５％。\n受理訴訟案件１２件。")
    records = doc.spans["indicators"].attrs["records"]
    assert len(calls) == 1 and [r["text"] for r in records] == ["３１９件", "１２件"]  # 87.5%: the first record's change


def test_a_unit_themed_plans_makes_targets_and_its_records_carry_its_themes(nlp):
    doc = run(nlp, TEXT)
    group = doc.spans["units"]
    extractor = nlp.get_pipe("policy_nlp_indicators")
    unit = next(i for i, u in enumerate(group) if "319件" in u.text)
    for labels, row, themes, status in ((["plans", "enforcement"], [True, False], ["plans"], "target"),
                                        (["enforcement", "plans"], [True, False], ["enforcement"], "result"),
                                        (["enforcement"], [True], ["enforcement"], "result")):
        group.attrs["labels"] = labels
        group.attrs["decided"] = [row if i == unit else [False] * len(labels) for i in range(len(group))]
        records = extractor(doc).spans["indicators"].attrs["records"]
        first = next(r for r in records if r["text"] == "319件")
        assert (first["themes"], first["status"]) == (themes, status)


def test_themed_units_are_those_whose_row_decides_a_theme_at_a_position():
    rng = random.Random(23)
    rows = [[rng.random() < 0.3 for _ in range(rng.randint(0, 6))] for _ in range(300)]
    rows += [(), [True], [False, True], [1, 0, 1]]
    for positions in ([], [0], [1], [4], [9], [0, 2], [1, 3, 5]):
        expected = [any(k < len(row) and row[k] for k in positions) for row in rows]
        assert ind._themed(rows, positions) == expected


def test_the_people_patterns_look_ahead_skips_only_what_cannot_match():
    lookahead = f"(?=[\\d{ind._PRE_FIRST}])"
    assert ind._PEOPLE_RE.pattern.startswith(lookahead)
    plain = re.compile(ind._PEOPLE_RE.pattern[len(lookahead):])
    rng = random.Random(29)
    texts = [normalize(t).text for t in _input_texts()]
    texts += ["".join(rng.choice(ind._PRE + "0123.5万亿余多群众居民学生人口，") for _ in range(60)) for _ in range(300)]
    texts += [f"带动{p}3.78万农牧民、{p}12亿人口" for p in ind._PRE.split("|")]
    for text in texts:
        assert [m.groupdict() | {"span": m.span()} for m in ind._PEOPLE_RE.finditer(text)] == \
            [m.groupdict() | {"span": m.span()} for m in plain.finditer(text)]


def test_letter_before_characters_are_those_of_the_pattern():
    letter_before = re.compile(r"[A-Za-z0-9_.·:/\-+#＋]")  # the class the rejection checks read as a set
    matched = {chr(c) for c in range(0x110000) if letter_before.match(chr(c))}
    assert ind._LETTER_BEFORE_CHARS == matched


def test_occurs_in_is_true_where_the_pattern_search_finds_a_match():
    """The rules' `result_cue_in` (a first-character scan) against `result_cue.search`, over every cut of
    the seeds' and reports' sentences a record's status reads, and other patterns: nullable, with groups
    and back references, with global flags, opening with a look-behind, astral-plane characters."""
    rules = ind.packaged_vocabulary(2).rules
    texts = [normalize(t).text for t in _input_texts()]
    strings = [s[:k] for t in texts for s in re.split(r"[。!?;；\n]", t)[:200] for k in range(0, len(s) + 1, 5)]
    assert sum(1 for s in strings if rules.result_cue.search(s)) > 100
    assert [bool(rules.result_cue_in(s)) for s in strings] == [bool(rules.result_cue.search(s)) for s in strings]
    rng = random.Random(3)
    others = ["a*", "(a)b\\1", "(?s)x.y", "(?<![比较])去年|𠀀b", "(?:^|，)力争", "(?i)abc", "目标$", "[^a]b"]
    alphabet = "ab比较去年𠀀，力争目标xyA\n"
    samples = ["", "a"] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(2000)]
    for source in others:
        pattern = re.compile(source)
        found = ind._occurs_in(pattern)
        assert [bool(found(s)) for s in samples] == [bool(pattern.search(s)) for s in samples], source


def test_people_tail_is_found_wherever_the_people_pattern_matches():
    """`_PEOPLE_TAIL_RE` is what lets a unit skip the people pattern: in every range of the seeds' and
    reports' sentences (Traditional too) and of synthetic strings where the people pattern matches, it is
    found; the seeds hold such counts."""
    rng = random.Random(5)
    texts = [normalize(t).text for t in _input_texts()]
    pieces = ["带动", "3.78", "12", "万", "亿", "余", "多", "农牧民", "群众", "人口", "约", "超过", "，", "𠀀", "5"]
    texts += ["".join(rng.choice(pieces) for _ in range(30)) for _ in range(500)]
    matched = 0
    for text in texts:
        for lo in range(0, len(text), 97):
            hi = min(len(text), lo + rng.randint(1, 300))
            if any(True for _ in ind._PEOPLE_RE.finditer(text, lo, hi)):
                matched += 1
                assert ind._PEOPLE_TAIL_RE.search(text, lo, hi)
    assert matched > 50


def _inside_short_quote_as_before(text, m, lo, hi, chinese):
    more1, more2 = m.group("more1", "more2")
    if more1 is not None or more2 is not None or not ind._inside_open_quote(text, m.start(), lo):
        return False
    q_open = text.rfind("“", lo, m.start())
    close = text.find("”", m.end(), hi)
    return close >= 0 and close - q_open <= 12 and close - m.end() <= 6 and not chinese and m.group("unit") != "%"


def test_short_quote_check_answers_as_the_unordered_checks_did():
    """`_inside_short_quote` runs its cheap checks first and bounds the search for the closing mark: the same
    answer as all its checks in their first order, for every quantity the pattern finds in the seeds and
    reports (Traditional too) and in synthetic quoted texts."""
    rng = random.Random(11)
    texts = [normalize(t).text for t in _input_texts()]
    pieces = ["“", "”", "百村", "三年行", "5个", "12%", "余", "多", "三百家", "行动", "，", "𠀀", "1,200件"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 20))) for _ in range(3000)]
    quoted = 0
    for text in texts:
        for m in ind._QTY_RE.finditer(text):
            lo, hi = max(0, m.start() - rng.randint(0, 30)), min(len(text), m.end() + rng.randint(0, 30))
            chinese = not m.group("num")[0].isdigit()
            expected = _inside_short_quote_as_before(text, m, lo, hi, chinese)
            quoted += expected
            assert ind._inside_short_quote(text, m, lo, hi, chinese, m.group("unit")) == expected
    assert quoted > 20


def _records_unit_by_unit(doc, component) -> list[dict]:
    """The component's records as `extract_quantities` gives them per unit (themes not run: the plans part
    only), with `with_input_text` and the unit's index, theme, themes and year added."""
    from policy_nlp.model.features import report_year_of

    norm, group = doc._.norm_text, doc.spans["units"]
    plans = ind.plans_part(group, norm, component.vocabulary.rules)
    expected = []
    for i, unit in enumerate(group):
        if unit.label_ == "boilerplate":
            continue
        for rec in extract_quantities(norm, unit.start_char, unit.end_char, component.vocabulary, plans=plans[i]):
            rec = ind.with_input_text(rec, doc.text)
            rec.update({"unit_index": i, "theme": component.vocabulary.theme(rec["canonical"]), "themes": [],
                        "year": report_year_of(norm) or None})
            expected.append(rec)
    return expected


def test_component_records_are_those_extract_quantities_gives_with_the_input_text(nlp):
    """The component finishes `_quantities`' records in place (`_finish_record`): the same dicts,
    keys in the same order, as `extract_quantities`' records per unit with `with_input_text` and the unit's
    index, theme, themes and year added, over the seeds, eight of the distinct reports and the edge cases:
    inputs that normalisation left as they were (the records' slices are the input's) and inputs it changed
    (their text and phrase read from the input) both."""
    from policy_nlp.components.tokenizer import unchanged_input

    component = nlp.get_pipe("policy_nlp_indicators")
    compared, kinds = 0, set()
    texts = _input_texts()
    for text in texts[:len(SEED_NAMES) + 8] + texts[len(SEED_NAMES) + 20:]:
        doc = run(nlp, text)
        if doc.spans["indicators"]:
            kinds.add(unchanged_input(doc) is not None)
        expected = _records_unit_by_unit(doc, component)
        records = doc.spans["indicators"].attrs["records"]
        assert [list(r.items()) for r in records] == [list(r.items()) for r in expected]
        compared += len(records)
    assert compared > 1000 and kinds == {True, False}


def test_the_themes_by_name_answer_what_theme_answers(vocab2):
    themes = vocab2.themes()
    for name in [e.name for e in vocab2.entries] + [None, "", "unmapped", "no.such_indicator"]:
        assert themes.get(name) == vocab2.theme(name)


def _rejected_by_neighbours_by_slices(text, m, lo, hi, s, e, pre, unit):
    """The neighbour checks as they were written before: slices compared, a pattern for the letters."""
    num_start = m.start("num") if pre else s
    before = text[max(lo, num_start - 1):num_start]
    after = text[e:min(hi, e + 1)]
    if before and re.match(r"[A-Za-z0-9_.·:/\-+#＋]", before) and not pre:
        return True
    if before == "第" or text[max(lo, s - 1):s] == "第":
        return True
    if text[max(lo, s - 2):s] == "以下":
        return True
    if before in ("〔", "[", "(", "【", "(") and text[e:e + 1] in ("〕", "]", ")"):
        return True
    return bool(after and unit in ind._NEXT_BLOCK and after in ind._NEXT_BLOCK[unit])


def _qualifier_and_tail_by_patterns(text, m, lo, hi):
    """`_record`'s qualifier and tail as they were found before: `以上|左右|以内|以下` and `(突破|迈上|超过|超)$`
    as patterns."""
    pre = m.group("pre")
    qualifier = ind._QUALIFIER_PRE.get(pre) if pre else None
    if m.group("more1") or m.group("more2"):
        qualifier = "more_than"
    tail = m.end()
    t = re.compile(r"(以上|左右|以内|以下)").match(text, m.end(), hi)
    if t:
        qualifier = qualifier or ind._TRAIL[t.group(1)]
        tail = t.end()
    if pre is None:
        vq = re.compile(r"(突破|迈上|超过|超)$").search(text, max(lo, m.start() - 2), m.start())
        if vq and vq.end() == m.start():
            qualifier = qualifier or "more_than"
    return qualifier, tail


def _candidates(text: str, lo: int, hi: int):
    """Every quantity the search tries in text[lo:hi], rejected or not (from each position)."""
    for pos in range(lo, hi):
        m = ind._QTY_RE.match(text, pos, hi)
        if m:
            yield m


def test_neighbour_checks_and_qualifiers_read_by_characters_are_those_the_patterns_find():
    rng = random.Random(31)
    alphabet = "第以下上左右内超过突破迈上〔[(【(〕])个月人次日期元%3.5万余多约不少于\n，a𠀋"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += [normalize(t).text for t in _input_texts()[:12]]
    for text in texts:
        delimiters = ind._delimiters(text)
        for lo, hi in ((0, len(text)), (1, max(1, len(text) - 1)), (3, len(text) // 2)):
            for m in _candidates(text, lo, hi):
                s, e = m.span()
                pre, unit = m.group("pre", "unit")
                assert ind._rejected_by_neighbours(text, lo, hi, s, e, pre, unit) == \
                    _rejected_by_neighbours_by_slices(text, m, lo, hi, s, e, pre, unit)
                rec = ind._record(text, m, lo, hi, delimiters, m.groups())
                qualifier, tail = _qualifier_and_tail_by_patterns(text, m, lo, hi)
                assert (rec["qualifier"], rec["_tail"]) == (qualifier, tail)


def _is_rejected_by_every_check(text, m, lo, hi):
    """`_is_rejected` as it was written before: every check called in turn."""
    pre, num, unit, scale = m.group("pre", "num", "unit", "scale")
    s, e = m.span()
    chinese = not num[0].isdigit()
    if ind._rejected_by_neighbours(text, lo, hi, s, e, pre, unit) \
            or ind._rejected_by_unit(text, m, lo, hi, s, e, unit, scale, chinese):
        return True
    if chinese and ind._rejected_chinese_number(text, m, lo, hi):
        return True
    if not chinese:
        verdict = ind._arabic_number_verdict(text, lo, hi, s, e, pre, num, unit)
        if verdict is not None:
            return verdict
    return ind._inside_short_quote(text, m, lo, hi, chinese, unit)


def test_rejections_calling_only_the_checks_that_can_answer_are_those_of_every_check():
    rng = random.Random(37)
    alphabet = "“”“百村三年行个项类张条级大件年天日2024１2,5%余多一二十全覆盖机制，\n"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += ["“1+3+N”3个全覆盖", "“百村3年行”", "“3个100%”", "“三百家”企业", "2024个", "“5个清单”"]
    texts += [normalize(t).text for t in _input_texts()[:12]]
    for text in texts:
        for lo, hi in ((0, len(text)), (2, max(2, len(text) - 2))):
            for m in _candidates(text, lo, hi):
                assert ind._is_rejected(text, m, lo, hi, m.groups()) == _is_rejected_by_every_check(text, m, lo, hi)


def _records_sorted_as_before(text, lo, hi, vocab):
    """`_quantities`' records with each unit's records sorted by start as the code did before (every unit,
    not only one holding a count of people), the delimiters read by the function itself."""
    found = ind._quantities(text, lo, hi, vocab, False)
    return sorted(found, key=lambda r: r["start"])


def test_quantities_given_the_documents_delimiters_and_sorting_only_people_equal_the_old_walk(vocab2):
    """The component reads the text's delimiters once and passes them to every unit, and `_quantities`
    sorts its records only when a count of people was added (the quantity search makes them in text order):
    the same records, in the same order, as reading the delimiters per unit and sorting every unit."""
    texts = _sentence_texts() + ["带动1.2万农民增收，服务群众3万余人次，培训5.5万名职工、2万学生。" * 3,
                                 "新增就业1万人，惠及群众12万余人，覆盖居民3万户，人口1.5万人。"]
    people = 0
    for text in texts:
        delimiters = ind._delimiters(text)
        bounds = [0] + [k + 1 for k, c in enumerate(text) if c in "。\n"] + [len(text)]
        for lo, hi in zip(bounds, bounds[1:]):
            given = ind._quantities(text, lo, hi, vocab2, False, delimiters)
            people += sum(r["unit"] == "人" and r["unit_written"].startswith(("万", "亿")) for r in given)
            assert given == _records_sorted_as_before(text, lo, hi, vocab2)
            assert [r["start"] for r in given] == sorted(r["start"] for r in given)
    assert people >= 3


def test_boilerplate_units_are_told_by_their_labels_hash(nlp):
    """The component skips boilerplate units by `Span.label` against `_BOILERPLATE` (no string look-up per
    unit): the same units as by `label_`, on the seeds (which hold boilerplate units)."""
    skipped = 0
    for name in SEED_NAMES:
        doc = run(nlp, seed_text(name))
        units = list(doc.spans["units"])
        by_hash = [u.label == ind._BOILERPLATE for u in units]
        assert by_hash == [u.label_ == "boilerplate" for u in units]
        skipped += sum(by_hash)
    assert skipped > 0


def test_longest_first_keeps_non_overlapping_hits_as_they_are():
    """`_longest_first` no longer returns early when no two hits overlap (its caller knows they do): it
    keeps every hit of a list without overlaps, in order."""
    hits = [(0, 2, "ab", ("x",)), (2, 5, "cde", ("y",)), (7, 9, "fg", ("z",))]
    assert ind._longest_first(hits) == hits
    assert ind._longest_first([]) == []


def _rejected_by_unit_every_check(text, m, lo, hi, s, e, unit, scale, chinese):
    """`_rejected_by_unit` as it was written before: every check in turn, whatever the unit (each unit check
    of the table `_UNIT_CHECKS`, which the component reads through `_CHECK_OF_UNIT`, where its units hold)."""
    if any(unit in c.units and c.check(text, m, lo, hi, s, e, scale) for c in ind._UNIT_CHECKS):
        return True
    if ind._inside_title(text, s, lo, hi):
        return True
    if chinese and re.match(r"\d", text[e:e + 1]):
        return True
    return e + 2 <= hi and text[e:e + 2] in ind._TRAIL and bool(ind._KIND_AFTER_RE.match(text[e + 2:e + 4]))


def test_each_unit_has_one_check_of_the_table():
    """`_CHECK_OF_UNIT` is `_UNIT_CHECKS` by unit: no unit in two rows (the dict would keep one check)."""
    units = [unit for c in ind._UNIT_CHECKS for unit in c.units]
    assert len(units) == len(set(units)) == len(ind._CHECK_OF_UNIT)
    assert all(ind._CHECK_OF_UNIT[unit] is c.check for c in ind._UNIT_CHECKS for unit in c.units)


def test_unit_checks_run_only_for_units_that_have_them_and_answer_as_every_check():
    """`_rejected_by_unit` runs a unit's own check only for the units of `_CHECK_OF_UNIT`: the same answer
    as every check in turn, on random strings of those units, titles, thresholds and places, and on real
    reports; and each unit check rejects some quantity of these."""
    rng = random.Random(41)
    alphabet = "《》天日小时分钟工作岁寿命年限吨千瓦立方米度县乡市件个%以上企业项目3５.万三两、西宁，月内"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    texts += [normalize(t).text for t in _input_texts()[:12]] + ["亚太轻合金10万吨铝项目投产"]
    units, rejected_by, compared = set(), set(), 0
    for text in texts:
        for lo, hi in ((0, len(text)), (2, max(2, len(text) - 2))):
            for m in _candidates(text, lo, hi):
                s, e = m.span()
                unit, scale, num = m.group("unit", "scale", "num")
                chinese = not num[0].isdigit()
                args = (text, m, lo, hi, s, e, unit, scale, chinese)
                assert ind._rejected_by_unit(*args) == _rejected_by_unit_every_check(*args)
                units.add(unit)
                rejected_by.update(c.check for c in ind._UNIT_CHECKS
                                   if unit in c.units and c.check(text, m, lo, hi, s, e, scale))
                compared += 1
    assert units >= set(ind._CHECK_OF_UNIT) and compared > 10_000
    assert rejected_by == {c.check for c in ind._UNIT_CHECKS}


def test_one_fullmatch_tells_a_word_and_no_digit_as_two_searches():
    """`_phrase`'s test of the words before a quantity: `_WORDS_NO_DIGIT_RE.fullmatch` where it searched for
    a word character and for a digit."""
    rng = random.Random(43)
    alphabet = "案件aZ3５٣〇一 ，、%𠀋\n·"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16))) for _ in range(20_000)]
    for text in texts + ["", "a", "3", "案", "𠀋", "٣案"]:
        expected = bool(re.search(r"[\u4e00-\u9fffA-Za-z]", text)) and not re.search(r"\d", text)
        assert bool(ind._WORDS_NO_DIGIT_RE.fullmatch(text)) == expected, text
        for b0, b1 in ((1, len(text)), (0, len(text) - 1)):
            expected = bool(re.compile(r"[\u4e00-\u9fffA-Za-z]").search(text, b0, b1)) \
                and not re.compile(r"\d").search(text, b0, b1)
            assert bool(ind._WORDS_NO_DIGIT_RE.fullmatch(text, b0, b1)) == expected, (text, b0, b1)


def test_plans_part_telling_headings_by_label_hash_is_that_of_the_label_string(nlp, vocab2):
    """Also on openings without a plans heading, where `plans_part` answers without the walk."""
    openings = [seed_text(name)[:2000] for name in SEED_NAMES] + ["", "一、加强执法\n办理案件120件。"]
    for text in [PLANS_TEXT] + [seed_text(name) for name in SEED_NAMES] + openings:
        doc = run(nlp, text)
        group, norm = doc.spans["units"], doc._.norm_text
        heading = [u.label_ == "heading" and bool(vocab2.rules.plans_heading.search(norm, u.start_char, u.end_char))
                   for u in group]
        parents, expected = group.attrs["parents"], []
        for i in range(len(group)):
            expected.append(parents[i] >= 0 and (heading[parents[i]] or expected[parents[i]]))
        assert ind.plans_part(group, norm, vocab2.rules) == expected


PEOPLE_IN_ONE_UNIT = [
    "一、加强执法\n全年办理行政复议案件120件，同比增长12%。\n二、改善民生\n带动3.78万农牧民增收，新增就业1200人。\n"
    "三、推进改革\n完成投资3.5亿元。",
    "一、加強執法\n辦理行政複議案件３１９件。\n二、改善民生\n帶動３.７８萬農牧民增收。\n三、下一步\n力爭完成投資３億元。",
    "惠及2万余学生。\n\n办理案件56件。",
]


def test_a_count_of_people_in_one_unit_gives_the_records_extract_quantities_gives_unit_by_unit(nlp):
    """The component looks for `_PEOPLE_TAIL_RE` once in the whole normalised text and searches no unit for
    a count of people where there is none: a document whose count of people sits in one unit (written in
    Simplified or Traditional characters, full or half width) gives the records `extract_quantities` gives
    unit by unit, the count of people among them; so do the seeds and reports, with and without one."""
    component = nlp.get_pipe("policy_nlp_indicators")
    texts = _input_texts()
    with_people, without = 0, 0
    for text in PEOPLE_IN_ONE_UNIT + texts[:len(SEED_NAMES) + 8]:
        doc = run(nlp, text)
        records = doc.spans["indicators"].attrs["records"]
        expected = _records_unit_by_unit(doc, component)
        assert [list(r.items()) for r in records] == [list(r.items()) for r in expected]
        people = [r for r in records if ind._PEOPLE_TAIL_RE.search(doc._.norm_text, r["start"], r["end"] + 8)
                  and r["unit"] == "人"]
        if text in PEOPLE_IN_ONE_UNIT:
            assert len({r["unit_index"] for r in people}) == 1, text
        with_people += bool(people)
        without += ind._PEOPLE_TAIL_RE.search(doc._.norm_text) is None
    assert with_people >= len(PEOPLE_IN_ONE_UNIT) and without > 0


def test_the_people_tail_pattern_has_no_anchor_or_look_around():
    """The whole-text pre-check relies on `_PEOPLE_TAIL_RE` matching in a unit only where it matches in the
    whole text: no anchor (^, $, \\b …) and no look-ahead or look-behind, which could read past a unit's ends."""
    import re._parser as sre_parse

    def opcodes(parsed):
        for op, av in parsed:
            yield op
            for item in (av if isinstance(av, (list, tuple)) else [av]):
                if isinstance(item, sre_parse.SubPattern):
                    yield from opcodes(item)
                elif isinstance(item, (list, tuple)):
                    for sub in item:
                        if isinstance(sub, sre_parse.SubPattern):
                            yield from opcodes(sub)

    found = set(opcodes(sre_parse.parse(ind._PEOPLE_TAIL_RE.pattern)))
    names = {str(op) for op in found}
    assert "IN" in names and "BRANCH" in names  # the walk reaches the class and the alternation
    assert not names & {"AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"}, names
    for pattern in (r"^万人口", r"万(?=人口)", r"(?<!亿)万人口", r"\b万人口"):
        assert {str(op) for op in opcodes(sre_parse.parse(pattern))} & {"AT", "ASSERT", "ASSERT_NOT"}


def test_the_quantity_groups_read_at_once_are_those_named():
    """`_is_rejected` and `_record` unpack `m.groups()` in the order of `_QTY_GROUPS`."""
    assert tuple(ind._QTY_RE.groupindex) == ind._QTY_GROUPS
    assert [ind._QTY_RE.groupindex[name] for name in ind._QTY_GROUPS] == list(range(1, len(ind._QTY_GROUPS) + 1))


def test_the_item_after_a_quantity_is_its_own_item_unless_the_number_holds_a_delimiter():
    """`_phrase` reads the end of the item after the quantity from the record's own item (`_bounds_at`)
    where no item delimiter lies inside the quantity, else asks `_around` (1,200: the comma is one)."""
    rng = random.Random(59)
    alphabet = "案件1,2.3万元个、，;；。\n以上𠀋"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += [normalize(t).text for t in _input_texts()[:12]]
    texts += ["".join(rng.choice(["办结1,200件", "、", "，", "3,456,789元", "以上", "。"]) for _ in range(12))
              for _ in range(200)]
    inside = 0
    for text in texts:
        delimiters = ind._delimiters(text)
        for lo, hi in ((0, len(text)), (1, max(1, len(text) - 1))):
            for m in _candidates(text, lo, hi):
                s, e = m.span()
                at = ind._bounds_at(delimiters, s, lo, hi)
                expected = ind._around(delimiters[2], e, lo, hi)[1]
                if at[5] >= e:
                    assert at[5] == expected
                else:
                    inside += 1
    assert inside > 100  # quantities holding a comma
