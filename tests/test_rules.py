"""Report rules as data: the packaged rules, their validation (E008), a site's chrome through the config, and
saved pipelines that keep their own copy when the package's defaults change."""
from __future__ import annotations

import json
import pickle
import re

import pytest
import spacy

import policy_nlp
import policy_nlp.rules as rules_mod
from policy_nlp.components.normalize import normalize
from policy_nlp.rules import LATEST_VERSION, RULES_DIR, ReportRules, alternation, default_rules, packaged_rules
from policy_nlp.components.units import is_chrome_line, segment
from policy_nlp.errors import ModelError
from policy_nlp.model_dir import record_files
from policy_nlp.pipeline import STRUCTURE, THEMES, create_pipeline

from conftest import SEED_NAMES, SEEDS, seed_records, seed_text, write_jsonl

PACKAGED = json.loads((RULES_DIR / f"report_rules_v{LATEST_VERSION}.json").read_text(encoding="utf-8"))
LATEST = f"policy_nlp.report_rules.v{LATEST_VERSION}"


def test_packaged_rules_are_the_default_and_compare_by_content():
    rules = default_rules()
    assert rules == packaged_rules(LATEST_VERSION) == ReportRules.from_dict(PACKAGED)
    assert rules.name == f"policy_nlp.report_rules/v{LATEST_VERSION}"
    assert packaged_rules(1).name == "policy_nlp.report_rules/v1"  # older versions stay loadable
    assert rules.heading_level("一、主要举措") == 1 and rules.heading_level("(三)行政执法") == 2
    assert rules.heading_level("一是完善机制") is None
    assert set(rules.lexicon) >= {"enforcement", "dispute_resolution", "business_environment", "shortcomings",
                                  "plans"}
    again = pickle.loads(pickle.dumps(rules))  # pickles as plain data
    assert again == rules and again.fingerprint == rules.fingerprint
    other = rules.extended(chrome_phrases=["本站声明"])
    assert other != rules and "本站声明" in other.chrome_phrases and "本站声明" not in rules.chrome_phrases
    assert rules.extended() is rules


def _broken(change) -> dict:
    data = json.loads(json.dumps(PACKAGED))
    change(data)
    return data


@pytest.mark.parametrize("change, detail", [
    (lambda d: d.pop("lexicon"), "missing keys: lexicon"),
    (lambda d: (d.pop("chrome_phrases"), d.pop("future_pattern")), "missing keys: chrome_phrases, future_pattern"),
    (lambda d: d["heading_patterns"].append({"level": 2, "pattern": "^(unclosed"}), "missing )"),
    (lambda d: d["part_cues"].update(plans="下一步|["), "unterminated character set"),
    (lambda d: d.update(signoff_pattern="*特此报告"), "nothing to repeat"),
    (lambda d: d["lexicon"]["plans"].append(""), "empty or non-string term"),
    (lambda d: d["heading_patterns"].append({"level": 2, "pattern": "^(一+)+、"}), "backtrack catastrophically"),
    (lambda d: d["part_cues"].update(plans="^(?:下|下一)*步$"), "alternatives"),
])
def test_invalid_rules_raise_e008(change, detail):
    with pytest.raises(ModelError) as info:
        ReportRules.from_dict(_broken(change), "mine.json")
    assert info.value.code == "E008" and detail in str(info.value) and "mine.json" in str(info.value)


def test_invalid_rules_files_raise_e008(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"name": "x", "version": ', encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ReportRules.from_file(path)
    assert info.value.code == "E008" and str(path) in str(info.value)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        ReportRules.from_file(path)
    assert info.value.code == "E008" and "JSON object" in str(info.value)
    path.write_text(json.dumps(_broken(lambda d: d.pop("metadata_keys"))), encoding="utf-8")
    with pytest.raises(ModelError) as info:  # through the registered rules-file reference
        create_pipeline("char", rules={"@misc": "policy_nlp.report_rules_file.v1", "path": str(path)})
    assert info.value.code == "E008" and "metadata_keys" in str(info.value)
    with pytest.raises(ModelError) as info:
        packaged_rules(99)
    assert info.value.code == "E008"


def test_a_damaged_rules_file_of_a_saved_pipeline_raises_e008(tiny_model, tmp_path):
    import shutil

    saved = tmp_path / "m"
    shutil.copytree(tiny_model, saved)
    rules_file = saved / STRUCTURE / "rules.json"
    rules_file.write_text(json.dumps(_broken(lambda d: d["heading_patterns"].append(
        {"level": 1, "pattern": "(("}))), encoding="utf-8")
    record_files(saved)  # the checksums rewritten too: the rules loader still refuses the file
    with pytest.raises(ModelError) as info:
        policy_nlp.load(saved, segmenter="char")
    assert info.value.code == "E008" and str(rules_file) in str(info.value)
    rules_file.unlink()
    record_files(saved)
    with pytest.raises(ModelError) as info:
        policy_nlp.load(saved, segmenter="char")
    assert info.value.code == "E008" and "no rules file" in str(info.value)


# -- a saved pipeline keeps its rules; a fresh one takes the package's -------------------------------------
EXTRA_PLANS_TERM = "工作"  # frequent in every report: scores change wherever it counts


def _changed_packaged_rules(version: int) -> ReportRules:
    data = json.loads(json.dumps(PACKAGED))
    data["lexicon"]["plans"].append(EXTRA_PLANS_TERM)
    data["chrome_phrases"].append("一、")  # would turn headings into boilerplate if a saved pipeline used it
    return ReportRules.from_dict(data, "changed defaults")


def test_a_saved_pipeline_answers_the_same_after_the_default_rules_change(tiny_model, tmp_path, monkeypatch):
    texts = [seed_text(SEED_NAMES[1]), seed_text(SEED_NAMES[3])]
    before = [policy_nlp.annotate(t, nlp=policy_nlp.load(tiny_model, segmenter="char")).to_json() for t in texts]
    monkeypatch.setattr(rules_mod, "packaged_rules", _changed_packaged_rules)
    assert EXTRA_PLANS_TERM in default_rules().lexicon["plans"]  # the registered function sees the change
    nlp = policy_nlp.load(tiny_model, segmenter="char")
    assert EXTRA_PLANS_TERM not in nlp.get_pipe(STRUCTURE).rules.lexicon["plans"]
    after = [policy_nlp.annotate(t, nlp=nlp).to_json() for t in texts]
    assert after == before  # byte-identical reviewer JSON
    # a fresh pipeline does pick the change up: in both components, and in a model trained anew
    fresh = create_pipeline("char")
    assert EXTRA_PLANS_TERM in fresh.get_pipe(STRUCTURE).rules.lexicon["plans"]
    assert EXTRA_PLANS_TERM in fresh.get_pipe(THEMES).rules.lexicon["plans"]
    doc = fresh.get_pipe(STRUCTURE)(fresh.make_doc("一、主要成效\n开展执法检查。"))
    assert doc.spans["units"][0].label_ == "boilerplate"
    data = write_jsonl(tmp_path / "three.jsonl", seed_records(SEED_NAMES[0], SEED_NAMES[2], SEED_NAMES[4]))
    meta = policy_nlp.train(str(data), tmp_path / "retrained", seeds_dir=SEEDS, cv=False)
    assert meta["hyperparameters"]["rules"]["sha256"] == _changed_packaged_rules(LATEST_VERSION).fingerprint
    retrained = policy_nlp.load(tmp_path / "retrained", segmenter="char")
    assert [policy_nlp.annotate(t, nlp=retrained).to_json() for t in texts] != before


# -- a site's own chrome is a config change ----------------------------------------------------------------
SITE_PAGE = "本站声明：转载请注明出处\n审核人：张三\n某区2024年法治政府建设情况报告\n一、主要成效\n开展执法检查。\n"
SITE_RULES = {"@misc": LATEST, "extra_chrome_phrases": ["本站声明"],
              "extra_metadata_keys": ["审核人"]}


def _kinds(nlp, text):
    doc = nlp.get_pipe(STRUCTURE)(nlp.make_doc(text))
    return [(s.text, s.label_) for s in doc.spans["units"]]


def test_extra_chrome_phrases_and_metadata_keys_through_the_config(tmp_path):
    default = _kinds(create_pipeline("char"), SITE_PAGE)
    assert default[0] == ("本站声明：转载请注明出处", "heading")  # taken for the title
    assert "审核人" not in default_rules().metadata_keys
    expected = [("本站声明：转载请注明出处", "boilerplate"), ("审核人：张三", "boilerplate"),
                ("某区2024年法治政府建设情况报告", "heading"), ("一、主要成效", "heading"), ("开展执法检查。", "sentence")]
    nlp = create_pipeline("char", rules=SITE_RULES)
    assert _kinds(nlp, SITE_PAGE) == expected
    assert nlp.get_pipe(THEMES).rules == nlp.get_pipe(STRUCTURE).rules  # both components get the rules
    # the same with nlp.add_pipe's config, as in a spaCy config file
    blank = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "policy_nlp.ChineseTokenizer.v1",
                                                              "segmenter": "char"}}})
    blank.add_pipe(STRUCTURE, config={"rules": SITE_RULES})
    assert _kinds(blank, SITE_PAGE) == expected
    assert blank.config["components"][STRUCTURE]["rules"]["extra_chrome_phrases"] == ["本站声明"]
    # the rules are saved with the pipeline and read back from it
    rules = nlp.get_pipe(STRUCTURE).rules
    assert is_chrome_line("本站声明：转载请注明出处", rules) and not is_chrome_line("本站声明：转载请注明出处",
                                                                                  default_rules())
    nlp.get_pipe(STRUCTURE).to_disk(tmp_path / "structure")
    saved = json.loads((tmp_path / "structure" / "rules.json").read_text(encoding="utf-8"))
    assert "本站声明" in saved["chrome_phrases"] and "审核人" in saved["metadata_keys"]
    other = create_pipeline("char").get_pipe(STRUCTURE).from_disk(tmp_path / "structure")
    assert other.rules == rules
    assert [u.kind for u in segment(normalize(SITE_PAGE).text, other.rules)][:2] == ["boilerplate", "boilerplate"]


@pytest.mark.parametrize("pattern, risk", [
    (r"(a+)+$", "a quantifier inside"), (r"^(\w+\s?)*$", "a quantifier inside"), (r"(a|aa)+$", "alternatives"),
    (r"((ab)*c)+", "a quantifier inside"), (r"^[一二三]+、", None), (r"^(?:一|二)、", None), (r"(?:ab)+c", None),
    (r"(?>a+)+b", None), (r"(a++)+b", None), (r"^(?=.*下一步)", None),
    (r"^(?:a?a?b?)+$", "a quantifier inside"), (r"(?:a{1,3}b)+", "a quantifier inside"), (r"(?:a{2}b)+", None),
    (r"^(x)?(?:(?(1)a|aa))+$", "a conditional group"), (r"^(a)?(?(1)(b+)+|c)$", "a quantifier inside"),
])
def test_backtracking_risk_names_nested_and_alternating_repeats(pattern, risk):
    from policy_nlp.rules.regex_safety import backtracking_risk

    found = backtracking_risk(pattern)
    assert (found is None) if risk is None else (risk in found)


@pytest.mark.parametrize("text, future", [("2024年，我区将继续推进依法行政。", True), ("我们将坚持问题导向。", True),
                                          ("力争全年办结率达到95%。", True),
                                          ("将习近平法治思想纳入区委中心组学习重点内容。", False),
                                          ("将法治建设作为年度考核的重要内容。", False)])
def test_future_wording_is_not_the_disposal_jiang(text, future):
    """将 + object + 纳入/列入/作为 … is the disposal construction (把), reported work, not an intention."""
    from policy_nlp.rules import default_rules

    assert bool(default_rules().future_re.search(text)) is future


def _guide_row(label: str) -> str:
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "training" / "LABELS.md").read_text(encoding="utf-8")
    return next(line for line in guide.splitlines() if line.startswith(f"| `{label}` |"))


def test_the_v4_business_environment_terms_are_the_guides():
    """Every term v4 adds to the business-environment list is written in the guide's definition of the label."""
    added = set(packaged_rules(4).lexicon["business_environment"]) - set(packaged_rules(3).lexicon["business_environment"])
    row = _guide_row("business_environment")
    assert added and [t for t in added if t not in row] == []
    assert {"秒批", "电子证照", "好差评", "数字政府"} <= added


def test_v4_reads_studying_a_law_and_rectification_headings_apart():
    rules = packaged_rules(4)
    assert {"学法", "普法", "专题培训"} <= set(rules.lexicon["study_law"])  # a cue, no label of its own
    cue = rules.part_cues["shortcomings"]
    assert cue.search("三、存在的问题和不足") and cue.search("执法队伍力量还不够")
    assert not cue.search("二、上年存在不足及整改情况") and packaged_rules(3).part_cues["shortcomings"].search(
        "二、上年存在不足及整改情况")
    assert rules.signoff_re.match("专此报告。") and not packaged_rules(3).signoff_re.match("专此报告。")


def test_the_v4_study_law_terms_are_the_guides():
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "training" / "LABELS.md").read_text(encoding="utf-8")
    rule = next(block for block in guide.split("\n- ") if block.startswith("**学法 about a topic's law**"))
    assert [t for t in packaged_rules(4).lexicon["study_law"] if t not in rule] == []


def test_rules_whose_patterns_can_start_anywhere_check_headings_without_the_class():
    """A heading pattern that can start with any character (`^.`) leaves no first-character class: the
    patterns are tried on every line, as without the shortcut."""
    data = dict(PACKAGED)
    data["heading_patterns"] = list(PACKAGED["heading_patterns"]) + [{"level": 1, "pattern": "^.{0,3}部分"}]
    rules = ReportRules.from_dict(data)
    assert rules.heading_start_re is None and packaged_rules(LATEST_VERSION).heading_start_re is not None
    assert rules.heading_level("总体部分") == 1 and rules.heading_level("一、主要举措") == 1
    assert rules.heading_level("xx一、主要举措", 2) == 1 and rules.heading_level("完善机制") is None
    assert rules.run_in_cut_re(True) is None
    assert segment(normalize("标题\n总体部分\n一、主要举措。").text, rules)[1].level == 1


def test_the_compiled_views_are_built_once_and_equal_a_fresh_compile():
    """The views asked for on every line (cached properties, `optional_re`, `derived`) answer with the object
    built the first time, equal to compiling the rules' patterns afresh; a pickled copy builds its own."""
    import pickle
    import re

    from policy_nlp.rules import packaged_rules

    rules = packaged_rules(4)
    for name in ("heading_patterns", "metadata_key_re", "heading_start_re", "inline_chrome_scan", "signoff_re",
                 "date_line_re", "future_re", "part_cues"):
        assert getattr(rules, name) is getattr(rules, name), name
    assert [(lv, p.pattern) for lv, p in rules.heading_patterns] == [
        (int(h["level"]), re.compile(h["pattern"]).pattern) for h in rules.data["heading_patterns"]]
    assert rules.signoff_re.pattern == rules.data["signoff_pattern"]
    assert rules.optional_re("plans_part_pattern") is rules.optional_re("plans_part_pattern")
    assert rules.optional_re("plans_part_pattern").pattern == rules.data["plans_part_pattern"]
    built = []
    assert rules.derived("test.view", lambda: built.append(1) or "view") == "view" == rules.derived("test.view", None)
    assert built == [1]
    copy = pickle.loads(pickle.dumps(rules))
    assert copy._compiled is not rules._compiled and copy.inline_chrome_scan is not rules.inline_chrome_scan
    assert copy.heading_start_re.pattern == rules.heading_start_re.pattern


def _markers_one_by_one(rules, line):
    """`heading_marker` as it was: each heading pattern tried in turn."""
    for level, pattern in rules.heading_patterns:
        m = pattern.match(line)
        if m:
            return level, m
    return None


def test_heading_marker_by_one_alternation_equals_the_patterns_in_turn():
    """`heading_marker` through `heading_alternation` gives the level and the same match (span, pattern) as
    trying the patterns one by one, on every line start and sentence start of the seeds, their Traditional
    conversions and random marker-like strings; rules whose patterns have groups keep the loop."""
    import random
    import re

    import opencc

    rng = random.Random(31)
    to_traditional = opencc.OpenCC("s2t").convert
    seeds = [seed_text(name) for name in SEED_NAMES]
    texts = [normalize(t).text for t in seeds] + [normalize(to_traditional(t)).text for t in seeds]
    lines = [m.group() for t in texts for m in re.finditer(r"[^\n。]+", t)]
    lines += ["".join(rng.choice("一二十第(（)）1234.、①⑳部分章是x ") for _ in range(rng.randrange(0, 8)))
              for _ in range(3000)]
    data = dict(PACKAGED)
    data["heading_patterns"] = list(PACKAGED["heading_patterns"]) + [{"level": 2, "pattern": "^(甲|乙)、"}]
    grouped = ReportRules.from_dict(data)
    assert grouped.heading_alternation is None
    for rules in (packaged_rules(1), packaged_rules(3), packaged_rules(4), grouped):
        assert rules is grouped or rules.heading_alternation is not None
        for line in lines + ["甲、总体", "乙、"]:
            got, expected = rules.heading_marker(line), _markers_one_by_one(rules, line)
            assert (got is None) == (expected is None), line
            if got:
                assert got[0] == expected[0] and got[1].span() == expected[1].span() and got[1].re is expected[1].re


def test_alternation_matches_where_one_of_its_patterns_matches_and_names_the_branch():
    patterns = [re.compile(r"[一二三]、"), re.compile(r"\d+\."), re.compile(r"第[一二三]部分")]
    for capture in (False, True):
        joined = alternation(patterns, capture=capture)
        for text in ("一、总体情况", "12.依法行政", "第二部分 问题", "（一）做法", "", "三"):
            hits = [k for k, p in enumerate(patterns) if p.match(text)]
            m = joined.match(text)
            assert bool(m) == bool(hits)
            if capture and m:
                assert m.lastindex - 1 == hits[0]
    assert alternation([re.compile(r"(a)\1"), re.compile("b")]) is None  # a back reference would move
    assert alternation([re.compile("a", re.I)]) is None  # flags of its own
