"""`policy_nlp.corpus.compare_page` and `policy-nlp compare`: the page's HTML and the page in headless Chromium
(driven as in test_review_page.py; skipped, saying why, where chromium is missing)."""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import urllib.parse
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SEED_NAMES, seed_text
from policy_nlp.cli import app
from policy_nlp.corpus.batch import annotate_corpus
from policy_nlp.corpus.compare_page import compare_html, write_compare
from policy_nlp.errors import DataError
from test_review_page import browser  # noqa: F401  (the headless Chromium fixture)

pytest.importorskip("plotly", reason="plotly is not installed (pip install -e '.[test]')")

HOSTILE = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


def _work_report(region: str, year: int, cases: int) -> str:
    return (f"各位代表：\n现在，我代表{region}人民政府向大会报告工作，请予审议。\n一、{year - 1}年工作回顾\n"
            f"全年办理行政复议案件{cases}件。深化行政执法体制改革，严格规范公正文明执法。"
            "持续优化营商环境，推进政务服务“一网通办”。\n二、存在的问题\n基层执法力量仍然不足。\n"
            f"三、{year}年工作安排\n下一步，我们将继续推进法治政府建设。\n")


@pytest.fixture(scope="module")
def corpus(char_nlp, tmp_path_factory) -> Path:
    """Two seed reports and six work reports of two districts over three years, annotated as JSONL."""
    folder = tmp_path_factory.mktemp("compare") / "reports"
    folder.mkdir()
    for name in SEED_NAMES[:2]:
        (folder / name).write_text(seed_text(name), encoding="utf-8")
    for region, cases in (("福田区", 100), ("南山区", 200)):
        for year in (2019, 2020, 2021):
            (folder / f"{year}年{region}政府工作报告_{year}.txt").write_text(
                _work_report(region, year, cases + year - 2019), encoding="utf-8")
    out = folder.parent / "annotated.jsonl"
    annotate_corpus([folder], out, nlp=char_nlp)
    return out


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _hostile(records: list[dict]) -> list[dict]:
    rec = copy.deepcopy(records[-1])
    rec["id"] = HOSTILE + ".txt"
    rec["metadata"] = {"region": {"value": "<b>坏</b>区" + HOSTILE, "source": "csv"},
                       "title": {"value": HOSTILE, "source": "csv"}, "year": {"value": 2020, "source": "csv"},
                       "kind": {"value": "other", "source": "csv"}}
    return records + [rec]


def test_page_is_self_contained_escaped_and_has_a_strict_policy(corpus):
    page = compare_html(_hostile(_records(corpus)))
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page.split("<script>")[0])
    assert "<link" not in page and "@import" not in page
    assert "window.pwned" in page and '<script>window.pwned' not in page and "<img src=x" not in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy and "http" not in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2 and "Plotly" in scripts[1]
    for body in scripts:  # every inline script is allowed by its hash, and nothing else is
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert re.search(r"script-src ('sha256-[^']+' ?){2};", policy)


def test_compare_command_writes_the_page_and_review_pages(corpus, tmp_path):
    meta = tmp_path / "meta.csv"
    meta.write_text("id,region\n2019年福田区政府工作报告_2019.txt,深圳市福田区\n", encoding="utf-8")
    out = tmp_path / "site" / "compare.html"
    result = CliRunner().invoke(app, ["compare", str(corpus), "-o", str(out), "--metadata", str(meta)])
    assert result.exit_code == 0, result.output
    data = json.loads(re.search(r'id="compare-data">(.*?)</script>', out.read_text(encoding="utf-8")).group(1))
    reports = {r["id"]: r for r in data["reports"]}
    assert set(reports) == set(SEED_NAMES[:2]) | {f"{y}年{g}政府工作报告_{y}.txt" for g in ("福田区", "南山区")
                                                   for y in (2019, 2020, 2021)}
    first = reports["2019年福田区政府工作报告_2019.txt"]
    assert (first["region"], first["year"], first["kind"]) == ("深圳市福田区", 2018, "government_work_report")
    assert first["indicators"]["dispute_resolution.admin_reconsideration_cases"] == [100, "件"]
    assert reports["2020年南山区政府工作报告_2020.txt"]["region"] == "南山区"
    review = out.parent / urllib.parse.unquote(first["review"])
    assert review.is_file() and "policy_nlp review" in review.read_text(encoding="utf-8")
    assert "dispute_resolution.admin_reconsideration_cases" in data["indicators"]
    assert CliRunner().invoke(app, ["compare", str(corpus), "-o", str(tmp_path / "b.html"),
                                    "--no-reviews"]).exit_code == 0
    assert not (tmp_path / "b_reviews").exists()
    errors = tmp_path / "errors.jsonl"
    errors.write_text(json.dumps({"schema": "policy_nlp.document/v1", "id": "x", "error": "[E021] …"}) + "\n",
                      encoding="utf-8")
    with pytest.raises(DataError) as err:
        write_compare([errors], tmp_path / "c.html")
    assert err.value.code == "E174"


def test_a_year_without_content_units_is_a_gap_in_the_trend_not_zero(browser, corpus, tmp_path):  # noqa: F811
    """A region-year whose reports hold no content unit (every unit boilerplate) has no share: the table leaves
    its cells empty and the trend chart a gap (null), not a point at 0 %."""
    records = [r for r in _records(corpus) if (r.get("metadata") or {}).get("region", {}).get("value") == "福田区"]
    empty = min(records, key=lambda r: r["metadata"]["year"]["value"])
    for unit in empty["units"]:
        unit["kind"], unit["labels"] = "boilerplate", []
    page = tmp_path / "gap.html"
    page.write_text(compare_html(records), encoding="utf-8")
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    assert browser.js("window.compareReady === true")
    ys = browser.js("document.getElementById('chart-trend').data.map(function(t){return t.y})")
    assert ys and all(y[0] is None and all(v is not None for v in y[1:]) for y in ys)


def test_compare_page_in_headless_chromium(browser, corpus, tmp_path):  # noqa: F811
    records = _hostile(_records(corpus))
    page = tmp_path / "compare.html"
    page.write_text(compare_html(records), encoding="utf-8")
    browser.call("Page.navigate", url=page.resolve().as_uri())
    browser.wait_for("Page.loadEventFired")
    assert browser.js("window.compareReady === true") and browser.js("window.pwned === undefined")
    n = len(records)
    assert browser.js("document.getElementById('shown').textContent") == str(n)
    assert browser.js("document.querySelectorAll('#reports tbody tr').length") == n
    warned = browser.js("Array.prototype.map.call(document.querySelectorAll('#reports tbody tr'),function(tr){"
                        "return tr.cells[tr.cells.length-2].textContent})")  # the column before the review link
    assert sorted(set(warned)) == ["", "W008"]  # the seeds none, the short work reports' too little text
    for name in ("shares", "heatmap", "trend", "indicators"):  # every chart drawn by plotly as SVG
        assert browser.js(f"document.querySelectorAll('#chart-{name} .main-svg').length") >= 1
    labels = 5
    assert browser.js("document.querySelectorAll('#chart-shares g.point').length") == n * labels
    assert browser.js("document.getElementById('chart-heatmap').data[0].y.length") == n
    # hostile names are shown as text, never as markup
    row = browser.js("Array.prototype.filter.call(document.querySelectorAll('#reports tbody tr'),function(tr){"
                     "return tr.cells[0].textContent.indexOf('pwned')>=0}).map(function(tr){"
                     "return [tr.cells[0].textContent,tr.cells[1].textContent,tr.cells[4].textContent]})")
    shown_id = (HOSTILE + ".txt").rsplit("/", 1)[1]  # its stable id: the file name (no folder shared with the rest)
    assert row == [[shown_id, "<b>坏</b>区" + HOSTILE, HOSTILE]]
    assert browser.js("document.querySelectorAll('img, b').length") == 0
    # the region filter redraws every chart and the table
    browser.click('input[data-filter="region"][value="福田区"]')
    assert browser.js("document.getElementById('shown').textContent") == str(n - 3)
    assert browser.js("document.getElementById('chart-heatmap').data[0].y.some(function(y){"
                      "return y.indexOf('福田区')>=0})") is False
    assert browser.js("document.getElementById('chart-trend').data.every(function(t){"
                      "return t.name!=='福田区'})") is True
    assert browser.js("document.querySelectorAll('#reports tbody tr').length") == n - 3
    # year and kind filters (a 20XX work report is on the year before: 2019 is the 2020 reports' year)
    browser.click('input[data-filter="year"][value="2019"]')
    assert browser.js("document.getElementById('shown').textContent") == str(n - 4)
    browser.click('input[data-filter="kind"][value="rule_of_law_report"]')
    shown = browser.js("Array.prototype.map.call(document.querySelectorAll('#reports tbody tr td:nth-child(4)'),"
                       "function(td){return td.textContent})")
    assert len(shown) == n - 6 and set(shown) == {"government_work_report", "other"}
    browser.click('input[data-filter="region"][value="福田区"]')  # back: its reports on 2018 and 2020 (not 2019)
    assert browser.js("document.getElementById('shown').textContent") == str(n - 4)
    # "none", then one region: only its reports
    browser.click('#filter-region button[data-set="none"]')
    assert browser.js("document.getElementById('shown').textContent") == "0"
    browser.click('input[data-filter="region"][value="南山区"]')
    assert browser.js("document.getElementById('shown').textContent") == "2"  # its 2018 and 2020 reports
    browser.click('#filter-region button[data-set="all"]')
    assert browser.js("document.getElementById('shown').textContent") == str(n - 4)
    # the indicator chart: one line per region shown, over its years
    trace = browser.js("document.getElementById('chart-indicators').data.map(function(t){return [t.name,t.x,t.y]})")
    assert ["福田区", [2018, 2020], [100, 102]] in trace and ["南山区", [2018, 2020], [200, 202]] in trace
    # PNG and SVG export of a chart
    svg = browser.js("chartImage('trend','svg')")
    png = browser.js("chartImage('shares','png')")
    assert svg.startswith("data:image/svg+xml") and png.startswith("data:image/png;base64,")
    assert base64.b64decode(png.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    shot = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
    (tmp_path / "compare.png").write_bytes(shot)
    assert len(shot) > 10_000
    assert browser.errors() == []
    # the policy is in force: a script injected into the page does not run, and the browser says why
    browser.js("var s=document.createElement('script');s.textContent='window.injected=1';document.body.appendChild(s)")
    assert browser.js("window.injected === undefined")
    assert any("Content Security Policy" in json.dumps(e, ensure_ascii=False) for e in browser.errors())


def test_without_plotly_the_page_says_which_extra_to_install(corpus, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "plotly.offline", None)  # as if plotly were not installed
    with pytest.raises(DataError) as err:
        compare_html(_records(corpus))
    assert err.value.code == "E172" and "policy_nlp[compare]" in str(err.value)


def test_a_report_without_content_units_has_no_shares_not_zero_shares():
    from policy_nlp.corpus.compare_page import report_data

    rec = {"id": "nav.txt", "text": "首页 政务公开", "units": [{"kind": "boilerplate", "labels": []}]}
    data = report_data(rec, "nav.txt", ["plans", "enforcement"])
    assert data["content"] == 0 and data["shares"] == {"plans": None, "enforcement": None}
    assert data["warnings"] == []
    rec["warnings"] = [{"code": "W001", "message": "", "fix": ""}, {"code": "W008", "message": "", "fix": ""}]
    assert report_data(rec, "nav.txt", ["plans"])["warnings"] == ["W001", "W008"]
