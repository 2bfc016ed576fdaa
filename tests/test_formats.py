"""Report files are recognised by their bytes (never a binary decoded as text), read in their format, and
every problem has a code: E023–E029 for files, W001–W007 for warnings the output carries."""
from __future__ import annotations

import csv

import io
import json
from pathlib import Path

import jsonschema
import pytest

import policy_nlp
from policy_nlp.corpus.checks import document_warnings
from policy_nlp.corpus.formats import sniff
from policy_nlp.corpus.inputs import iter_inputs
from policy_nlp.errors import DataError, PolicyNLPError

from conftest import SEED_NAMES, seed_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _pdf(pages: list[str | None]) -> bytes:
    """A PDF whose pages hold the given lines (None: a page with only an image, as a scan has)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    import input_forms

    font = input_forms.cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for text in pages:
        if text is None:
            pdf.drawImage(ImageReader(Image.new("L", (40, 60), 128)), 50, 50, 400, 600)
        else:
            pdf.setFont(font, 12)
            pdf.drawString(60, 700, text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture(autouse=True, scope="module")
def _forms_on_path():
    import sys

    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))


def test_magic_bytes_decide_before_the_name(tmp_path):
    assert sniff(b"%PDF-1.3\n...", ".txt") == "pdf"
    assert sniff(PNG, ".txt") == "a PNG image"
    assert sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, ".doc").startswith("a legacy Office file")
    assert sniff("<!DOCTYPE html><html><body><p>报告</p></body></html>".encode(), ".txt") == "html"
    assert sniff("一、主要举措".encode("gb18030"), ".txt") == "text"


def test_a_pdf_named_txt_is_read_as_a_pdf_not_decoded(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(_pdf(["一、法治政府建设主要举措"]))
    doc = policy_nlp.read_document(path)
    assert doc.format == "pdf" and doc.text == "一、法治政府建设主要举措"
    assert "endobj" not in policy_nlp.read_text(path)


def test_an_image_gets_a_coded_error_naming_the_supported_formats(tmp_path):
    path = tmp_path / "scan.txt"
    path.write_bytes(PNG)
    with pytest.raises(DataError) as err:
        policy_nlp.read_text(path)
    assert err.value.code == "E024" and "a PNG image" in err.value.message and ".docx" in err.value.message


def test_a_scanned_pdf_is_refused_and_a_partly_scanned_one_warned(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_pdf([None, None]))
    with pytest.raises(DataError) as err:
        policy_nlp.read_document(scan)
    assert err.value.code == "E023" and "2 page(s)" in err.value.message
    partly = tmp_path / "partly.pdf"
    partly.write_bytes(_pdf(["一、主要举措", None]))
    assert [w["code"] for w in policy_nlp.read_document(partly).warnings] == ["W006"]


def test_damaged_files_get_e025(tmp_path):
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj <<")
    docx = tmp_path / "cut.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    for path in (pdf, docx):
        with pytest.raises(DataError) as err:
            policy_nlp.read_document(path)
        assert err.value.code == "E025"


def test_annotate_takes_html_str_and_pdf_bytes_and_refuses_the_wrong_kind(char_nlp):
    page = "<html><head><title>报告</title></head><body><ul class='nav'><li>政务服务</li></ul>" \
           "<div class='content'><p>一、主要举措</p><p>加强行政执法监督。</p></div></body></html>"
    doc = policy_nlp.annotate(page, format="html", nlp=char_nlp)
    assert doc.text == "一、主要举措\n加强行政执法监督。" and doc.source == {"format": "html", "title": "报告"}
    doc = policy_nlp.annotate(_pdf(["加强行政执法监督。"]), format="pdf", nlp=char_nlp)
    assert doc.text == "加强行政执法监督。" and doc.source["format"] == "pdf"
    with pytest.raises(PolicyNLPError) as err:
        policy_nlp.annotate("text", format="pdf", nlp=char_nlp)
    assert err.value.code == "E027"
    with pytest.raises(PolicyNLPError) as err:
        policy_nlp.annotate("text", format="odt", nlp=char_nlp)
    assert err.value.code == "E026"
    with pytest.raises(TypeError):
        policy_nlp.annotate(["one", "two"], format="html", nlp=char_nlp)


class _U:
    def __init__(self, start, end, kind, labels=()):
        self.start, self.end, self.kind, self.labels = start, end, kind, list(labels)


LABELS = ("enforcement", "shortcomings", "plans")


def test_warning_codes_for_silent_empties():
    codes = lambda text, units: [w["code"] for w in document_warnings(text, units, LABELS)]  # noqa: E731
    assert codes("索引号 123", [_U(0, 7, "boilerplate")]) == ["W001"]
    assert codes("当前位置：首页 政务公开 正文。", [_U(0, 12, "boilerplate"), _U(13, 16, "sentence")]) == ["W002", "W008"]
    long = "加强执法。" * 700
    assert codes(long, [_U(0, len(long), "sentence", ["enforcement"])]) == ["W003"]
    assert codes(long, [_U(0, len(long), "sentence", ["shortcomings"])]) == ["W003"]
    assert codes(long, [_U(0, len(long), "sentence", ["plans"])]) == []
    assert codes(long[:2000], [_U(0, 2000, "sentence", ["enforcement"])]) == []  # short: no part expected
    markup = "<ul class='nav'>" + "<li>政务服务</li>" * 6 + "</ul>"
    assert "W004" in codes(markup, [_U(0, len(markup), "sentence")])
    pdf = "%PDF-1.3 1 0 obj endobj 2 0 obj endobj stream endstream"
    assert "W005" in codes(pdf, [_U(0, len(pdf), "sentence")])
    raw = "加强执法。" + "\x01\x02\x03\ufffd" * 5
    assert "W005" in codes(raw, [_U(0, len(raw), "sentence")])
    for w in document_warnings("", [], LABELS):
        assert set(w) == {"code", "message", "fix"} and w["fix"]


def test_too_little_text_for_a_report_is_w008_zero_width_characters_not_counted():
    from policy_nlp.corpus.checks import MIN_REPORT_CHARS

    codes = lambda text, units: [w["code"] for w in document_warnings(text, units, LABELS)]  # noqa: E731
    short = "抱歉，您访问的页面不存在或已被删除！"
    assert codes(short, [_U(0, len(short), "sentence")]) == ["W008"]
    enough = "加强执法。" * (MIN_REPORT_CHARS // 5)  # exactly the minimum
    assert codes(enough, [_U(0, len(enough), "sentence")]) == []
    padded = enough[:-2] + "\u200b" * 400 + "。"  # one visible character fewer, the length made up by U+200B
    assert codes(padded, [_U(0, len(padded), "sentence")]) == ["W008"]
    chrome = "当前位置：首页 政务公开" * 40 + "\n" + "该信息已删除"  # long, but only chrome around the notice
    found = document_warnings(chrome, [_U(0, len(chrome) - 7, "boilerplate"), _U(len(chrome) - 6, len(chrome),
                                                                                 "sentence")], LABELS)
    assert [w["code"] for w in found] == ["W002", "W008"] and "6 visible characters" in found[1]["message"]


def test_a_text_that_is_a_file_name_is_w009(tmp_path):
    def codes(text):
        return [w["code"] for w in document_warnings(text, [_U(0, len(text), "sentence")], LABELS)]

    assert "W009" in codes("seeds/001_29805cf611cff4c1.txt")  # ends in .txt, no Chinese sentence
    assert "W009" in codes("  reports/2023年报告.PDF\n")
    named = tmp_path / "report"
    named.write_text("x", encoding="utf-8")
    assert "W009" in codes(str(named))  # an existing file, whatever its name
    assert "W009" not in codes(str(tmp_path / "missing"))
    assert "W009" not in codes("附件已上传，详见金水区法治政府建设报告.pdf")  # a Chinese sentence naming a file
    assert "W009" not in codes("seeds/001.txt\nseeds/002.txt")  # not a single line
    fix = [w for w in document_warnings("a.docx", [], LABELS) if w["code"] == "W009"][0]["fix"]
    assert "Path('a.docx')" in fix


def test_annotating_a_path_string_warns_w009_and_a_path_does_not(char_nlp):
    from conftest import SEEDS

    path = str(SEEDS / "001_29805cf611cff4c1.txt")
    wrong = policy_nlp.annotate(path, nlp=char_nlp)
    assert {"W008", "W009"} <= {w["code"] for w in wrong.warnings}
    right = policy_nlp.annotate(Path(path), nlp=char_nlp)
    assert not [w for w in right.warnings if w["code"] in ("W008", "W009")]


def test_the_output_record_carries_source_and_warnings_and_fits_the_schema(tmp_path, char_nlp):
    path = tmp_path / "nav.html"
    path.write_text("<html><body><div class='content'><p>索引号：123</p><p>浏览量：35</p></div></body></html>",
                    encoding="utf-8")
    doc = policy_nlp.annotate(path, nlp=char_nlp)
    record = doc.to_dict()
    jsonschema.validate(record, policy_nlp.load_schema())
    assert record["source"]["file"] == str(path) and record["source"]["format"] == "html"
    assert [w["code"] for w in record["warnings"]] == ["W007", "W001"]  # extraction first, then the annotation's
    assert policy_nlp.AnnotatedDocument.from_dict(record).to_dict() == record


def test_a_directory_run_reads_every_format_and_lists_what_it_did_not_read(tmp_path, char_nlp):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.txt").write_text(seed_text(SEED_NAMES[1]), encoding="utf-8")
    (folder / "b.pdf").write_bytes(_pdf(["加强行政执法监督。"]))
    (folder / "c.png").write_bytes(PNG)
    (folder / "d.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32)
    out = tmp_path / "out.jsonl"
    summary = policy_nlp.annotate_corpus([folder], out, nlp=char_nlp)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source"]["format"] for r in records] == ["text", "pdf"]
    assert summary["documents"] == 2 and summary["failed"] == 0
    not_read = {Path(e["id"]).name: e["error"] for e in summary["not_read"]}
    assert set(not_read) == {"c.png", "d.doc"}
    assert "a PNG image" in not_read["c.png"] and "legacy Office" in not_read["d.doc"]
    assert all(e.startswith("[E024]") for e in not_read.values())
    assert summary["warnings"] == {"W008": 1}  # the PDF of one sentence is too short for a report


def test_the_batch_summary_and_csv_count_warnings(tmp_path, char_nlp):
    (tmp_path / "empty.txt").write_text("索引号：123\n浏览量：35\n", encoding="utf-8")
    (tmp_path / "ok.txt").write_text(seed_text(SEED_NAMES[1]), encoding="utf-8")
    summary = policy_nlp.annotate_corpus([tmp_path / "empty.txt", tmp_path / "ok.txt"], tmp_path / "o.jsonl",
                                         nlp=char_nlp, summary_csv=tmp_path / "s.csv")
    assert summary["warnings"] == {"W001": 1}
    with open(tmp_path / "s.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(Path(r["id"]).name, r["warnings"]) for r in rows] == [("empty.txt", "W001"), ("ok.txt", "")]
    # a page of boilerplate only has no theme shares (empty cells, not 0.0, which would pull averages down)
    assert rows[0]["plans_share"] == "" and rows[0]["plans_units"] == "0" and float(rows[1]["plans_share"]) > 0


def test_table_output_and_review_page_show_warnings(tmp_path, char_nlp):
    from policy_nlp.cli import format_table
    from policy_nlp.corpus.review_page import review_html

    doc = policy_nlp.annotate("索引号：123\n浏览量：35\n", nlp=char_nlp)
    assert "# warning W001:" in format_table(doc)
    page = review_html([doc])
    assert '<ul class="warnings">' in page and "W001" in page


def test_a_directory_with_no_report_file_is_e050(tmp_path):
    (tmp_path / "c.png").write_bytes(PNG)
    with pytest.raises(DataError) as err:
        list(iter_inputs([tmp_path]))
    assert err.value.code == "E050"


def test_utf8_with_icon_font_characters_is_read_not_refused(tmp_path):
    """Crawled pages keep web icon fonts' private-use characters; valid UTF-8 holding them is still text."""
    path = tmp_path / "crawled.txt"
    text = "深圳市某区人民政府\n\ue7e3 无障碍 \ue806 长者助手\n" + "一、主要工作。\n" * 20
    path.write_bytes(text.encode("utf-8"))
    assert policy_nlp.read_text(path) == text
    assert policy_nlp.read_document(path).metadata == {"encoding": "utf-8"}


def test_update_keeps_the_source_of_a_reviewed_document(char_nlp):
    from policy_nlp.corpus.batch import merge_reviewed

    old = policy_nlp.annotate(_pdf(["加强行政执法监督。"]), format="pdf", nlp=char_nlp)
    old.units[0].reviewed = True
    new, _ = merge_reviewed(old, policy_nlp.annotate(old.text, nlp=char_nlp))
    assert new.source == old.source and new.source["format"] == "pdf"


def test_command_line_reads_a_pdf_lists_an_image_and_prints_warnings(tmp_path):
    from typer.testing import CliRunner

    from policy_nlp.cli import app

    runner = CliRunner()
    (tmp_path / "a.pdf").write_bytes(_pdf(["加强行政执法监督。"]))
    (tmp_path / "b.png").write_bytes(PNG)
    (tmp_path / "c.txt").write_text("索引号：123\n浏览量：35\n", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(tmp_path), "--segmenter", "char", "--format", "table"])
    assert result.exit_code == 0, result.output
    assert "# source: format pdf" in result.stdout and "# warning W001:" in result.stdout
    assert f"{tmp_path / 'b.png'}: [E024]" in result.stderr and "a PNG image" in result.stderr
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["annotate", str(tmp_path), "-o", str(out), "--segmenter", "char", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "b.png: not read, [E024]" in result.stderr
    assert json.loads(result.stdout[result.stdout.index("{"):])["warnings"] == {"W001": 1, "W008": 1}


def test_html_keeps_an_article_whose_container_is_named_like_furniture():
    from policy_nlp.corpus.html_input import extract_html

    body = "".join(f"<p>（{k}）加强行政执法监督，规范涉企检查，全年开展专项检查{k}次。</p>" for k in range(1, 9))
    page = (f"<html><body><div class='nav'><a>首页</a><a>政务公开</a></div>"
            f"<div class='news_info'>{body}</div><div class='share'>分享到：微信 微博</div></body></html>")
    extracted = extract_html(page, "page")
    assert extracted.text.splitlines()[0] == "（1）加强行政执法监督，规范涉企检查，全年开展专项检查1次。"
    assert len(extracted.text.splitlines()) == 8 and "首页" not in extracted.text and "分享" not in extracted.text


def test_pdf_glyphs_placed_one_by_one_read_as_one_line(tmp_path):
    """Some converters place every character on its own; the text layout still gives one line."""
    from reportlab.pdfgen import canvas

    import input_forms

    font = input_forms.cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for k, ch in enumerate("一、主要举措和成效"):
        pdf.setFont(font, 12)
        pdf.drawString(60 + 14 * k, 700, ch)
    body = "加强行政执法监督，规范涉企检查，全年开展专项检查十二次。"
    pdf.drawString(60, 680, body)
    pdf.showPage()
    pdf.save()
    path = tmp_path / "glyphs.pdf"
    path.write_bytes(out.getvalue())
    assert policy_nlp.read_text(path) == f"一、主要举措和成效\n{body}"


@pytest.mark.parametrize("line", ["3", "- 3 -", "— 12 —", "第3页", "第 3 页 共 10 页", "3/10", "3 / 10"])
def test_page_number_forms(line):
    from policy_nlp.corpus.pdf_input import PAGE_NUMBER

    assert PAGE_NUMBER.match(line)


@pytest.mark.parametrize("line", ["2024年工作安排", "一、主要举措", "3项制度", "（3）加强监督"])
def test_lines_that_are_not_page_numbers(line):
    from policy_nlp.corpus.pdf_input import PAGE_NUMBER

    assert not PAGE_NUMBER.match(line)


def test_an_encrypted_pdf_is_e029_and_an_empty_word_file_e028(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas
    import docx

    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=StandardEncryption("secret", canPrint=0))
    pdf.drawString(60, 700, "report")
    pdf.showPage()
    pdf.save()
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(out.getvalue())
    with pytest.raises(DataError) as err:
        policy_nlp.read_document(locked)
    assert err.value.code == "E029"
    empty = tmp_path / "empty.docx"
    docx.Document().save(empty)
    with pytest.raises(DataError) as err:
        policy_nlp.read_document(empty)
    assert err.value.code == "E028" and "Word" in err.value.message


def test_a_gbk_page_is_decoded_and_its_date_read_from_the_text(tmp_path):
    page = ("<html><head><meta charset='gb2312'><title>某区法治政府建设情况报告</title></head><body>"
            "<div class='article'><div class='date'>发布日期：2023年3月5日</div>"
            + "".join(f"<p>（{k}）加强行政执法监督，规范涉企检查，全年开展专项检查{k}次。</p>" for k in range(1, 9))
            + "</div></body></html>")
    path = tmp_path / "page.htm"
    path.write_bytes(page.encode("gbk"))
    extracted = policy_nlp.read_document(path)
    assert extracted.format == "html" and extracted.metadata["encoding"] == "gb18030"
    assert extracted.metadata["published"] == "2023-03-05"
    assert extracted.metadata["title"] == "某区法治政府建设情况报告"
    assert extracted.text.splitlines()[-1] == "（8）加强行政执法监督，规范涉企检查，全年开展专项检查8次。"


def test_pdf_syntax_counted_only_where_one_of_its_words_is_equals_counting_everywhere(seeds):
    """`_binary_detail` skips the PDF-syntax pattern on texts without any of `_PDF_WORDS`: the same count as
    the pattern over the seeds and over random mixes of report text and PDF syntax pieces."""
    import random

    from policy_nlp.corpus.checks import _PDF_SYNTAX, _PDF_WORDS, _binary_detail

    rng = random.Random(2)
    pieces = ["%PDF-1.4", "endobj", "xendobj", "endstream", " xref ", "/Type /Page", "/Type/", "%PDF-", "end obj"]
    texts = list(seeds.values())
    for _ in range(300):
        text = rng.choice(texts)
        at = rng.randrange(len(text))
        texts.append(text[at:at + 200] + "".join(rng.choice(pieces) for _ in range(rng.randrange(5))))
    for text in texts:
        count = len(_PDF_SYNTAX.findall(text))
        assert count == 0 or any(word in text for word in _PDF_WORDS)
        if count >= 3:
            assert _binary_detail(text) == f"{count} pieces of PDF syntax such as endobj"


def _reference_warnings(text, units, labels):
    """`document_warnings` as it was before `_char_flags`: a regex scan, five `in` scans and `split` (W008 from
    the content units' own visible characters)."""
    from policy_nlp.corpus import checks
    from policy_nlp.errors import warning

    out = []
    content = [u for u in units if u.kind != "boilerplate"]
    if not content:
        out.append(warning("W001"))
    else:
        chrome = sum(checks._visible(text[u.start:u.end]) for u in units if u.kind == "boilerplate")
        share = chrome / max(1, checks._visible(text))
        if share > checks.BOILERPLATE_SHARE:
            out.append(warning("W002", share=share))
        own = sum(checks._visible(text[u.start:u.end]) for u in content)
        if own < checks.MIN_REPORT_CHARS:
            out.append(warning("W008", count=own, minimum=checks.MIN_REPORT_CHARS))
        if len(text) >= checks.LONG_REPORT and "plans" in labels and not any("plans" in u.labels for u in content):
            out.append(warning("W003", size=len(text)))
    tags = len(checks._TAG.findall(text))
    if tags >= checks.MARKUP_TAGS:
        out.append(warning("W004", count=tags))
    syntax = len(checks._PDF_SYNTAX.findall(text)) if any(w in text for w in checks._PDF_WORDS) else 0
    odd = len(checks._ODD.findall(text))
    detail = (f"{syntax} pieces of PDF syntax such as endobj" if syntax >= 3 else
              f"{odd} control or replacement characters" if text and odd / len(text) > checks.BINARY_SHARE else None)
    if detail:
        out.append(warning("W005", detail=detail))
    if checks._file_name(text):
        out.append(warning("W009", name=text.strip()))
    return out


def test_the_character_table_holds_the_odd_characters_and_the_white_space_of_every_code_point():
    """`_char_flags` of every code point (surrogates and the astral planes included) against `_ODD` and
    `str.isspace` (and the zero-width characters, not visible either), and `_PDF_MARKS` holds a character of
    each PDF word."""
    import numpy as np

    from policy_nlp.corpus import checks

    every = np.arange(0x110000, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    flags = checks._char_flags(every)
    odd = np.zeros(0x110000, dtype=bool)
    odd[[m.start() for m in checks._ODD.finditer(every)]] = True
    space = np.array([c.isspace() or c in "\u200b\u200c\u200d\u2060\ufeff" for c in every])
    assert ((flags & checks._ODD_BIT) > 0).tolist() == odd.tolist()
    assert ((flags & checks._SPACE_BIT) > 0).tolist() == space.tolist()
    assert all(set(word) & set(checks._PDF_MARKS) for word in checks._PDF_WORDS)


def test_warnings_from_the_character_flags_equal_the_scans(seeds):
    """`document_warnings` (one gather of `_char_flags` from `_FLAGS_FROM` characters, the text's visible
    characters counted only with boilerplate) equals the scans it replaced: the seeds, the distinct work reports, their openings, with their
    lines as boilerplate or not, and random mixes of report text, control characters, white space of every
    kind, PDF syntax, markup, astral-plane characters and lone surrogates."""
    import random
    from pathlib import Path

    from policy_nlp.corpus import checks

    root = Path(__file__).resolve().parent.parent
    texts = list(seeds.values()) + [p.read_text(encoding="utf-8") for p in
                                    sorted((root / "training" / "corpus" / "work_reports").glob("*.txt"))[:20]]
    texts += [t[:n] for t in list(texts) for n in (1, 50, 2000)]
    rng = random.Random(3)
    pieces = ["%PDF-1.4", " endobj ", "endstream", " xref ", "/Type /Page", "\x01", "\x1c", "\x85", "\ufffd", "\u3000",
              "\u2028", "\u200b", "\ufeff", " ", "\t", "\n", "<p>", "</li>", "😀", "\ud800", "m", "F", "加强执法。",
              "一、工作情况\n"]
    for _ in range(400):
        base = rng.choice(texts[:25])
        at = rng.randrange(len(base))
        texts.append(base[at:at + rng.choice((30, 300, 600, 1500))] +
                     "".join(rng.choice(pieces) for _ in range(rng.randrange(12))))
    texts += ["", " ", "\x00" * 5, "m" * 3000, "\x01" * 400, "%PDF-1.4 endobj endobj " * 20]
    for text in texts:  # both paths of `_binary_detail` and `_visible_chars`, whatever the text's length
        flags = checks._char_flags(text)
        assert checks._binary_detail(text, flags) == checks._binary_detail(text), ascii(text[:40])
        assert checks._visible_chars(text, flags) == checks._visible_chars(text, None)
        lines = [(m.start(), m.end()) for m in __import__("re").finditer(r"[^\n]+", text)]
        for boiler in (set(), set(range(0, len(lines), 2)), set(range(len(lines)))):
            units = [_U(s, e, "boilerplate" if k in boiler else "sentence", ["plans"] if k == 3 else [])
                     for k, (s, e) in enumerate(lines)]
            assert document_warnings(text, units, LABELS) == _reference_warnings(text, units, LABELS), ascii(text[:40])


def test_an_html_page_of_zero_width_characters_only_holds_no_text(tmp_path):
    page = tmp_path / "zw.html"
    page.write_text("<html><body><p>\u200b\ufeff</p><p> \u2060 </p></body></html>", encoding="utf-8")
    with pytest.raises(DataError) as err:
        policy_nlp.read_document(page)
    assert err.value.code == "E028"
