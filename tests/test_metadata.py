"""Who and when: region, year, kind and title of a report, each with its source; the user's CSV overrides."""
from __future__ import annotations

import json

import pytest

from conftest import ROOT, seed_text
from policy_nlp.components.normalize import fold_width
from policy_nlp.corpus.metadata import (Metadata, apply_overrides, document_metadata, extract_metadata,
                                        read_overrides, score)
from policy_nlp.errors import DataError

RULE_OF_LAW = "关于2024年岳麓区法治政府建设工作情况的报告\n\n2024年,在市委、市政府的坚强领导下,我区坚持依法行政。\n"
WORK = ("各位代表：\n现在，我代表南山区人民政府向大会报告工作，请予审议。\n2013年工作回顾\n"
        "过去一年，我们坚持质量引领。\n")


def test_title_line_gives_region_year_kind_and_title_with_their_source():
    meta = extract_metadata(RULE_OF_LAW, name="000_5ec25145ee5b4dd1.txt")
    assert meta.values() == {"region": "岳麓区", "issuer": None, "year": 2024, "kind": "rule_of_law_report",
                             "title": "关于2024年岳麓区法治政府建设工作情况的报告"}
    assert {meta.fields[k].source for k in ("region", "year", "kind", "title")} == {"title_line"}


@pytest.mark.parametrize("title, region, issuer", [
    ("福田区司法局2023年法治政府建设年度报告", "福田区", "福田区司法局"),
    ("深圳市宝安区人民政府区长姚任在深圳市宝安区第五届人民代表大会第九次会议上作政府工作报告", "宝安区", "深圳市宝安区人民政府"),
    ("关于2024年岳麓区法治政府建设工作情况的报告", "岳麓区", None),
    ("国务院政府工作报告", "全国", "国务院"),
])
def test_issuer_and_region_of_a_title(title, region, issuer):
    meta = extract_metadata(title + "\n正文。\n")
    assert (meta.value("region"), meta.value("issuer")) == (region, issuer)


def test_work_report_opening_and_file_name():
    meta = extract_metadata(WORK, name="2014年南山区政府工作报告_2014.txt")
    assert meta.values() == {"region": "南山区", "issuer": "南山区人民政府", "year": 2013,
                             "kind": "government_work_report", "title": "2014年南山区政府工作报告"}
    assert meta.fields["year"].source == "opening" and meta.fields["year"].evidence.endswith("2013年工作回顾")
    assert meta.fields["title"].source == "file_name"
    # without the review heading, a work report's title year counts as the year before (delivered early in it)
    bare = extract_metadata("各位代表：\n过去一年，我们坚持质量引领。\n", name="福田区政府工作报告（2017）_2017.txt")
    assert (bare.value("region"), bare.value("year")) == ("福田区", 2016)
    assert bare.fields["year"].source == "file_name"
    # … unless the title dates it in the second half of the year (a new term's report)
    autumn = extract_metadata("各位代表：\n", name="南山区政府工作报告（2021年10月17日）_2021.txt")
    assert autumn.value("year") == 2021


def test_traditional_text_subtitle_and_page_header():
    meta = extract_metadata(seed_text("000_5ec25145ee5b4dd1.txt"), name="000_5ec25145ee5b4dd1.txt")
    assert (meta.value("region"), meta.value("year"), meta.value("title")) == ("延庆区", 2024, None)
    qinghai = (ROOT / "training" / "corpus" / "qinghai_2026_work_report.txt").read_text(encoding="utf-8")
    meta = extract_metadata(qinghai, name="qinghai_2026_work_report.txt")
    assert (meta.value("region"), meta.value("year"), meta.value("title")) == ("青海省", 2025, "政府工作报告")
    meta = extract_metadata(seed_text("003_8464521e0b384c22.txt"))
    assert meta.fields["title"].source == "page_header" and meta.value("title") == "金坛区2024年度法治政府建设情况报告"
    footer = "导航\n" * 90 + "发布机构：  深圳市坪山区人民政府  成文日期： 2021-02-02\n名称：  2021年坪山区政府工作报告\n"
    meta = extract_metadata(footer)
    assert (meta.value("issuer"), meta.value("region"), meta.value("year")) == ("深圳市坪山区人民政府", "坪山区", 2020)


def test_page_metadata_comes_first_and_no_source_means_no_value():
    meta = extract_metadata(WORK, page={"title": "2020年龙华区政府工作报告", "issuer": "龙华区人民政府"})
    assert (meta.value("region"), meta.value("year"), meta.fields["region"].source) == ("龙华区", 2019, "page")
    assert meta.fields["issuer"].source == "page"
    empty = extract_metadata("一些文字。")
    assert empty.value("region") is None and empty.value("year") is None and empty.value("kind") == "other"
    assert Metadata.from_dict(meta.to_dict()).to_dict() == meta.to_dict()


def test_csv_overrides_by_id_or_file_name(tmp_path):
    table = tmp_path / "meta.csv"
    table.write_text("\ufeffid,region,year,kind\nreports/a.txt,福田区,2019,\nb.txt,,,other\n", encoding="utf-8")
    overrides = read_overrides(table)
    meta = apply_overrides(extract_metadata(WORK), "reports/a.txt", overrides)
    assert (meta.value("region"), meta.value("year"), meta.value("kind")) == ("福田区", 2019, "government_work_report")
    assert meta.fields["region"].source == "csv"
    doc = {"id": "in/b.txt#2", "text": WORK}
    assert document_metadata(doc, overrides=overrides).value("kind") == "other"
    recorded = {"id": "x", "text": "", "metadata": {"region": {"value": "盐田区", "source": "csv"}}}
    assert document_metadata(recorded).value("region") == "盐田区"


@pytest.mark.parametrize("content, code", [
    ("name,region\nx,福田区\n", "E170"),
    ("id,year\nx,19\n", "E171"),
    ("id,kind\nx,budget\n", "E171"),
])
def test_bad_metadata_tables(tmp_path, content, code):
    table = tmp_path / "meta.csv"
    table.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_overrides(table)
    assert err.value.code == code
    with pytest.raises(DataError) as err:
        read_overrides(tmp_path / "missing.csv")
    assert err.value.code == "E170"


def test_gold_covers_the_project_reports_and_scores():
    gold = [json.loads(line) for line in
            (ROOT / "training" / "data" / "metadata_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    files = {g["file"] for g in gold}
    assert {f"seeds/{p.name}" for p in (ROOT / "seeds").glob("*.txt")} <= files
    # the held-out reports in training/corpus are copies of unlabelled ones, in the gold under that path
    assert {p.name for p in (ROOT / "training" / "corpus").glob("*.txt")} <= {f.rsplit("/", 1)[-1] for f in files}
    assert sum(f.startswith("../shared/corpus/unlabelled/") for f in files) == 119
    result = score([{"region": "a", "year": 1}, {"region": "b", "year": 2}], [{"region": "a", "year": 2},
                                                                               {"region": "b", "year": 2}])
    assert result["region"]["accuracy"] == 1.0 and result["year"]["accuracy"] == 0.5


def test_annotated_documents_carry_their_metadata_and_keep_the_schema(char_nlp):
    jsonschema = pytest.importorskip("jsonschema")
    import policy_nlp

    doc = policy_nlp.annotate(WORK, nlp=char_nlp)
    assert doc.metadata["region"] == {"value": "南山区", "source": "opening", "evidence": "我代表南山区人民政府"}
    data = doc.to_dict()
    jsonschema.validate(data, policy_nlp.load_schema())
    again = policy_nlp.AnnotatedDocument.from_dict(json.loads(json.dumps(data)))
    assert again.metadata == doc.metadata and document_metadata(again).value("year") == 2013


def test_page_header_lines_without_a_key_are_skipped_as_before(seeds):
    """`_page_header` passes over lines that start with none of the keys (`_ANY_HEADER_KEY`): a line that
    starts with one of `_HEADER_KEYS` is one that starts with one of those."""
    from policy_nlp.corpus.metadata import _ANY_HEADER_KEY, _HEADER_KEYS, _page_header

    lines = [line.strip() for text in seeds.values() for line in text.splitlines()]
    lines += ["标题:某区2024年法治政府建设情况报告", "发文机构", "深圳市某区人民政府", "名称", "信息名称  某报告"]
    for s in lines:
        assert s.startswith(_ANY_HEADER_KEY) == any(s.startswith(k) for keys in _HEADER_KEYS.values() for k in keys)
    got = _page_header(["导航", "发文机构", "深圳市某区人民政府", "名称：  2021年某区政府工作报告"])
    assert got["issuer"].value == "深圳市某区人民政府" and got["title"].value == "2021年某区政府工作报告"


def _report_heads() -> list[str]:
    """The project's reports (seeds, training corpus) and synthetic texts, as `_opening` sees them: the first
    1,500 characters in Simplified script; the synthetic ones are random strings of the pieces the review
    heading is made of (years, 年, 工作, 以来, 关于, prefix characters, line ends)."""
    import random

    from policy_nlp.corpus.metadata import _simplified

    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "training" / "corpus").rglob("*.txt"))
    heads = [_simplified(p.read_text(encoding="utf-8")[:1500]) for p in files]
    rng = random.Random(5)
    pieces = ["2023", "1998", "2105", "年", "工作", "回顾", "主要", "以来", "关于", "和", "一", "、", "(", "（", "）",
              " ", "\n", "x", "我区", "。"]
    heads += ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 60))) for _ in range(3000)]
    return heads + ["", "\n", "年", "𠀀2023年工作", "2023年工作", "\n关于2023年以来主要工作\n", "（2023年工作和"]


def test_review_heading_searched_from_its_anchor_finds_what_the_whole_search_finds():
    """`_review_heading` starts the search `_REVIEW_REACH` characters before the first 年 of an anchor (none:
    no search): same match, same offsets, as `_REVIEW_RES[0].search` over the whole head."""
    from policy_nlp.corpus.metadata import _REVIEW_RES, _review_heading

    found = 0
    for head in _report_heads():
        got, want = _review_heading(head), _REVIEW_RES[0].search(head)
        assert (got and (got.span(), got.group(0), got.group(1))) == (want and (want.span(), want.group(0),
                                                                               want.group(1)))
        found += want is not None
    assert found > 50


def test_review_lead_searched_from_its_anchor_finds_what_the_whole_search_finds():
    """`_review_lead` starts the search before the first 年 followed by a comma, by the year, `刚刚过去的` or
    the white space before the year (none: no search): same match, same offsets, as `_REVIEW_RES[1].search`
    over the whole head, on the reports, random strings of its pieces (white space of several kinds, line
    ends, commas, years) and heads starting at an anchor."""
    import random

    from policy_nlp.corpus.metadata import _REVIEW_RES, _first_of, _review_lead

    rng = random.Random(11)
    pieces = ["2023", "1998", "20", "年", "，", ",", "刚刚过去的", "刚刚", " ", "\u3000", "\t", "\n", "\r", "x", "我区",
              "。", "𠀀", "2023年，", "\n2019年,", "刚刚过去的2024年，"]
    heads = _report_heads() + ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(5000)]
    heads += ["年，", "3年，2023年，", "\n \n2023年，", "刚刚过去的2023年,", " 2023年，", "年，\n2024年，"]
    found = 0
    for head in heads:
        got, want = _review_lead(head), _REVIEW_RES[1].search(head)
        assert (got and (got.span(), got.group(1))) == (want and (want.span(), want.group(1))), head
        found += want is not None
        assert _first_of(head, ("年，", "年,", "年")) == min((k for k in (head.find(w) for w in ("年，", "年,", "年"))
                                                             if k >= 0), default=-1)
    assert found > 500


def test_region_names_found_from_the_suffixes_are_what_the_region_regex_finds():
    """`_region_names` equals `_REGION_RE.finditer` on the project's reports (Simplified, whole) and on random
    strings of suffixes, their first characters alone, other CJK characters, punctuation, Latin letters,
    line ends and astral-plane characters; also on the empty text and texts of one character."""
    import random

    from policy_nlp.corpus.metadata import _REGION_RE, _region_names, _simplified

    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "training" / "corpus").rglob("*.txt"))
    texts = [_simplified(p.read_text(encoding="utf-8")) for p in files]
    rng = random.Random(7)
    pieces = ["自治县", "自治州", "自治区", "自治", "自", "新区", "新", "区", "县", "市", "省", "旗", "盟", "州", "南山",
              "深圳", "福", "我", "，", "。", " ", "\n", "x", "𠀀", "\u9fff", "\u4e00", "\u9fa5乡"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(5000)]
    texts += ["", "区", "自", "县县", "一二三四五六七八区", "一二三四五六七区"]
    for text in texts:
        assert _region_names(text) == [m.group(0) for m in _REGION_RE.finditer(text)]


def test_the_body_converted_after_the_head_equals_the_body_converted_whole(monkeypatch):
    """`_simplified_after` (the head's conversion reused up to its last line end) equals `_simplified` of the
    whole body: on the project's reports, their Traditional conversions and random texts of line ends,
    Traditional phrases cut anywhere, full-width forms and astral-plane characters; and with a converter
    that changes the length in the head or in the rest, where it falls back to the whole conversion."""
    import random

    from policy_nlp.components import normalize as norm_mod
    from policy_nlp.corpus import metadata as meta_mod

    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "training" / "corpus").rglob("*.txt"))
    reports = [p.read_text(encoding="utf-8") for p in files]
    rng = random.Random(3)
    pieces = ["\n", "\r\n", "乾燥", "著書立說", "頭髮", "發展", "區", "縣", "，", "Ａ", "𠀀", "了", "x", " ", "\n\n"]
    texts = reports + [norm_mod._converter("s2t").convert(t) for t in reports[:20]]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(3000)]
    texts += ["", "\n", "乾\n燥", "一" * 9 + "\n" + "乾燥" * 3]

    def check(head_chars: int) -> None:
        for text in texts:
            body = text[:meta_mod._BODY_CHARS]
            head = meta_mod._converted(text[:head_chars])
            assert meta_mod._simplified_after(body, head, head_chars) == meta_mod._simplified(body)

    check(meta_mod._HEAD_CHARS)
    check(7)  # a line end, or none, anywhere in the head of the short texts
    whole = []  # the reports convert only their rest: no fallback to the whole conversion
    monkeypatch.setattr(meta_mod, "_simplified", lambda text: whole.append(text))
    for text in reports:
        meta_mod._simplified_after(text[:meta_mod._BODY_CHARS], meta_mod._converted(text[:1500]), 1500)
    assert whole == []
    monkeypatch.undo()

    class Stretching:  # converts character by character, and changes the length where 著 stands
        def convert(self, s):
            return s.replace("著", "着着").replace("書", "书")

    monkeypatch.setattr(norm_mod, "_converter", lambda config: Stretching())
    texts = ["".join(rng.choice(["\n", "著", "書", "x"]) for _ in range(rng.randrange(0, 20))) for _ in range(2000)]
    check(7)


def test_the_head_and_body_cut_from_the_whole_conversion_equal_their_own_conversion(monkeypatch):
    """`_converted_prefix` (the tokenizer's conversion of the whole text cut at the last line end, the rest of
    the line converted) equals `_converted` of the prefix, and `extract_metadata` given the conversion equals
    it without: on the project's reports, their Traditional conversions and 2,000-character openings, random
    texts of line ends, Traditional phrases cut anywhere, full-width forms and astral-plane characters, edge
    cases; and with a converter that changes the length, where it falls back to the prefix's conversion."""
    import random

    from policy_nlp.components import normalize as norm_mod
    from policy_nlp.corpus import metadata as meta_mod

    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "training" / "corpus").rglob("*.txt"))
    reports = [p.read_text(encoding="utf-8") for p in files]
    rng = random.Random(4)
    pieces = ["\n", "\r\n", "乾燥", "著書立說", "頭髮", "發展", "區", "縣", "，", "Ａ", "𠀀", "了", "x", " ", "\n\n"]
    texts = reports + [norm_mod._converter("s2t").convert(t) for t in reports[:20]] + [t[:2000] for t in reports]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(3000)]
    texts += ["", "\n", "乾", "乾\n燥", "一" * 9 + "\n" + "乾燥" * 3, "乾燥" * 20_000, "區\n" * 12_000]

    def check(texts, cuts) -> None:
        for text in texts:
            whole, charwise = meta_mod._converted(text)
            if charwise:
                continue
            for n in cuts:
                assert meta_mod._converted_prefix(text, n, whole) == meta_mod._converted(text[:n]), (ascii(text[:40]), n)
                folded = fold_width(text)
                assert meta_mod._converted_prefix(text, n, whole, folded) == meta_mod._converted(text[:n])

    check(texts, (meta_mod._HEAD_CHARS, meta_mod._BODY_CHARS, 7, 1))
    for text in texts[:60] + texts[-5:]:
        whole, charwise = meta_mod._converted(text)
        if not charwise:
            assert extract_metadata(text, converted=whole) == extract_metadata(text)
            assert extract_metadata(text, converted=whole, folded=fold_width(text)) == extract_metadata(text)
    converted = []  # the reports convert only the rest of the line the head ends in
    monkeypatch.setattr(meta_mod, "_converted", lambda text: converted.append(text) or norm_mod.to_simplified(text))
    for text in reports:
        meta_mod._converted_prefix(text, 1500, norm_mod.to_simplified(fold_width(text))[0])
    assert converted and all("\n" not in piece for piece in converted)
    monkeypatch.undo()

    class Stretching:  # 著 grows and 書書 shrinks: a whole of the input's length whose parts are not
        def convert(self, s):
            return s.replace("著", "着着").replace("書書", "书")

    monkeypatch.setattr(norm_mod, "_converter", lambda config: Stretching())
    texts = ["".join(rng.choice(["\n", "著", "書書", "x"]) for _ in range(rng.randrange(0, 20))) for _ in range(4000)]
    assert sum(not meta_mod._converted(t)[1] and "著" in t for t in texts) > 100
    check(texts, (7, 3, 12))


def test_an_issuer_on_the_line_after_its_key_in_the_page_footer_is_that_line():
    """A key among the last 40 lines of a long text reads its value from the next line of the text (before,
    from the line at the same place in the first 40 + last 40 lines joined, i.e. from the opening)."""
    from policy_nlp.corpus.metadata import _page_header

    lines = [f"第{k}段正文。" for k in range(100)]
    lines[95:97] = ["发布机构", "深圳市某区人民政府"]
    got = _page_header(lines)
    assert got["issuer"].value == "深圳市某区人民政府"
    lines[5:7] = ["发布机构", "广州市某区人民政府"]  # one in the header comes first
    assert _page_header(lines)["issuer"].value == "广州市某区人民政府"


def test_a_date_of_publication_on_the_title_line_is_neither_the_year_nor_the_title():
    for line in ("发布日期：2024年03月28日 金水区2023年法治政府建设年度报告",
                 "金水区2023年法治政府建设年度报告 发布时间:2024-03-28 09:30",
                 "金水区2023年法治政府建设年度报告\u3000\u3000\t  成文日期：2024年3月28日  "):
        meta = extract_metadata(line + "\n" + RULE_OF_LAW.split("\n", 1)[1])
        assert (meta.value("year"), meta.value("title")) == (2023, "金水区2023年法治政府建设年度报告"), line
        assert meta.fields["year"].source == "title_line"


def test_a_title_run_into_the_flattened_body_gives_the_year_and_the_title():
    flat = seed_text("001_29805cf611cff4c1.txt").replace("\n", "")
    meta = extract_metadata("金水区2023年法治政府建设年度报告" + flat)
    assert meta.values() == {"region": "金水区", "issuer": None, "year": 2023, "kind": "rule_of_law_report",
                             "title": "金水区2023年法治政府建设年度报告"}
    assert extract_metadata(flat).value("title") is None  # no title at its start: none made up


def test_a_traditional_script_report_gives_the_metadata_of_its_simplified_text():
    """Title line and page header are read in Simplified script (報告, 標題, 發文機構) at the same places: the
    title as written, the issuer, region, year and kind as in the Simplified report; with or without the
    tokenizer's conversion at hand."""
    import opencc

    from policy_nlp.components.normalize import to_simplified

    text = seed_text("002_4ca8cfc4920ed3ee.txt")
    traditional = opencc.OpenCC("s2t").convert(text)
    simplified = extract_metadata(text).values()
    got = extract_metadata(traditional)
    assert got.values() == {**simplified, "title": "隆陽區2022年度法治政府建設情況的報告"}
    assert got.fields["issuer"].source == "page_header" and simplified["issuer"] == "隆阳区人民政府"
    converted = to_simplified(fold_width(traditional))[0]
    assert extract_metadata(traditional, converted=converted) == got
    long = "導航\n" * 39 + "發文機構\n隆陽區人民政府\n" + "正文。\n" * 60  # the issuer on the 41st line
    assert extract_metadata(long).value("issuer") == "隆阳区人民政府"
    header = extract_metadata("導航\n標題：  2021年坪山區政府工作報告\n正文。\n")
    assert header.values()["title"] == "2021年坪山區政府工作報告" and header.value("year") == 2020


def test_zero_width_characters_are_not_read():
    meta = extract_metadata("金水区2023年法\u200b治政府建设年度报\u200b告\n2023年,我区法\u200b治政府建设。\n")
    assert meta.values() == extract_metadata("金水区2023年法治政府建设年度报告\n2023年,我区法治政府建设。\n").values()
