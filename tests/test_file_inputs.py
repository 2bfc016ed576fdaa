"""What the Word, HTML and PDF readers give for the shapes government files take: content controls, tracked
changes, soft line breaks and tables in Word; run-in bold subheadings on web pages; blank pages and placeholder
titles in PDFs; and the directory mode deciding a file's format as a single file's is decided."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

import policy_nlp
from policy_nlp.errors import DataError

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _run(text: str) -> str:
    return f"<w:r><w:t xml:space='preserve'>{text}</w:t></w:r>"


def _docx(*blocks: str, paragraphs: tuple[str, ...] = ()) -> bytes:
    """A Word file whose body holds python-docx paragraphs, then the given raw body XML blocks."""
    import docx
    from docx.oxml import parse_xml

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    body = document.element.body
    for block in blocks:
        body.insert(len(body) - 1, parse_xml(f"<w:wrap {W_NS}>{block}</w:wrap>")[0])  # before w:sectPr
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_text(data: bytes):
    from policy_nlp.corpus.docx_input import extract_docx

    return extract_docx(data, "report.docx")


def test_a_word_body_inside_a_block_content_control_is_read():
    inner = "".join(f"<w:p>{_run(t)}</w:p>" for t in ("一、主要举措", "加强行政执法监督。"))
    nested = f"<w:sdt><w:sdtPr/><w:sdtContent><w:p>{_run('二、存在的不足')}</w:p></w:sdtContent></w:sdt>"
    data = _docx(f"<w:sdt><w:sdtPr/><w:sdtContent>{inner}{nested}</w:sdtContent></w:sdt>",
                 f"<w:p>{_run('三、下一步工作安排')}</w:p>", paragraphs=("某区2023年法治政府建设情况报告",))
    assert _docx_text(data).text.splitlines() == [
        "某区2023年法治政府建设情况报告", "一、主要举措", "加强行政执法监督。", "二、存在的不足", "三、下一步工作安排"]


def test_tracked_insertions_are_read_and_deletions_left_out():
    paragraph = (f"<w:p>{_run('全年办理')}<w:ins w:id='1' w:author='a'>{_run('行政复议')}</w:ins>"
                 f"<w:del w:id='2' w:author='a'><w:r><w:delText>行政诉讼</w:delText></w:r></w:del>{_run('案件557件。')}</w:p>")
    assert _docx_text(_docx(paragraph)).text == "全年办理行政复议案件557件。"


def test_hyperlinks_smart_tags_and_inline_controls_keep_their_text():
    paragraph = (f"<w:p>{_run('详见')}<w:hyperlink w:anchor='x'>{_run('《实施方案》')}</w:hyperlink>"
                 f"<w:smartTag w:uri='u' w:element='place'>{_run('金水区')}</w:smartTag>"
                 f"<w:sdt><w:sdtContent>{_run('2023年')}</w:sdtContent></w:sdt>{_run('报告。')}"
                 f"<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>{_run('单击此处输入文字。')}"
                 "</w:sdtContent></w:sdt></w:p>")
    assert _docx_text(_docx(paragraph)).text == "详见《实施方案》金水区2023年报告。"


def test_soft_line_breaks_and_carriage_returns_start_new_lines():
    paragraph = (f"<w:p>{_run('（一）严格规范执法')}<w:r><w:br/></w:r>{_run('全年开展专项检查3次。')}"
                 f"<w:r><w:cr/></w:r>{_run('（二）化解矛盾纠纷')}</w:p>")
    assert _docx_text(_docx(paragraph)).text.splitlines() == [
        "（一）严格规范执法", "全年开展专项检查3次。", "（二）化解矛盾纠纷"]


def test_table_cells_are_tab_separated_and_rows_on_lines():
    import docx

    document = docx.Document()
    document.add_paragraph("主要指标如下：")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([("指标", "2023年", "增长"), ("行政复议 案件", "557件", "")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    assert _docx_text(out.getvalue()).text == "主要指标如下：\n指标\t2023年\t增长\n行政复议 案件\t557件"


def test_text_in_text_boxes_is_not_lost_in_silence():
    box = "".join(f"<w:p>{_run('加强行政执法监督，规范涉企检查，全年开展专项检查。')}</w:p>" for _ in range(8))
    drawing = (f"<w:p>{_run('一、主要举措')}<w:r><w:pict><v:shape xmlns:v='urn:schemas-microsoft-com:vml'>"
               f"<v:textbox><w:txbxContent>{box}</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>")
    extracted = _docx_text(_docx(drawing))
    assert extracted.text == "一、主要举措"
    assert [w["code"] for w in extracted.warnings] == ["W010"] and "6 of the 206" in extracted.warnings[0]["message"]
    assert _docx_text(_docx(paragraphs=("一、主要举措",) * 3)).warnings == []


@pytest.mark.parametrize("page, lines", [
    (("<p>&nbsp;&nbsp;<strong>（一）严格规范公正文明执法</strong>全年开展专项检查3次。</p>"  # run-in headings end their line
      "<p><span><b>2.化解矛盾纠纷。</b></span>全年办理行政复议案件557件。</p>"
      "<p><strong>下一步工作安排：</strong>2024年，我区将持续深化改革。</p>"),
     ["（一）严格规范公正文明执法", "全年开展专项检查3次。", "2.化解矛盾纠纷。", "全年办理行政复议案件557件。",
      "下一步工作安排：", "2024年，我区将持续深化改革。"]),
    (("<p>我区<strong>坚持</strong>依法行政。</p><p><strong>重点</strong>推进规范性文件备案审查。</p>"  # bold words stay
      "<p><strong>一、主要举措和成效</strong></p><p>全年共审查<b>3.5</b>万件。</p>"
      "<p><b>二、</b>存在的不足</p><p><strong>来源：</strong>某某区司法局</p>"),
     ["我区坚持依法行政。", "重点推进规范性文件备案审查。", "一、主要举措和成效", "全年共审查3.5万件。",
      "二、存在的不足", "来源：某某区司法局"]),
], ids=["run-in-subheadings", "bold-words-and-whole-bold-lines"])
def test_a_run_in_bold_subheading_ends_its_line_and_other_bold_text_stays(page, lines):
    from policy_nlp.corpus.html_input import lines_of

    assert lines_of(page).splitlines() == lines


def test_bold_words_that_are_no_heading_never_read_their_paragraph(monkeypatch):
    """An article in one `<div>` cut by `<br>` with many bold words: only a bold heading looks for its
    paragraph, and each paragraph's text is read once (before, each bold word read the whole article)."""
    from policy_nlp.corpus import html_input

    looked = []
    real_block = html_input._block_of
    monkeypatch.setattr(html_input, "_block_of", lambda node: looked.append(node) or real_block(node))
    words = "".join(f"第{k}项<b>重点</b>工作已完成。<br>" for k in range(300))
    page = f"<div><b>（一）严格执法</b>全年开展专项检查3次。<br>{words}<b>（二）化解纠纷</b>全年调解12件。</div>"
    lines = html_input.lines_of(page).splitlines()
    assert len(looked) == 2 and lines[:2] == ["（一）严格执法", "全年开展专项检查3次。"]


def test_an_annotated_page_puts_the_run_in_subheading_in_a_heading_unit_of_its_own(char_nlp):
    body = "".join(f"<p><strong>（{n}）加强行政执法监督</strong>全年开展专项检查{k}次，规范涉企检查。</p>"
                   for n, k in (("一", 3), ("二", 5), ("三", 7)))
    doc = policy_nlp.annotate(f"<html><body><article>{body}</article></body></html>", format="html", nlp=char_nlp)
    headings = [u.text for u in doc.units if u.kind == "heading"]
    assert headings == ["（一）加强行政执法监督", "（二）加强行政执法监督", "（三）加强行政执法监督"]
    assert all(doc.text[u.start:u.end] == u.text for u in doc.units)


def _word_file() -> bytes:
    import docx

    document = docx.Document()
    for k in range(1, 40):
        document.add_paragraph(f"（{k}）加强行政执法监督，规范涉企检查，全年开展专项检查{k}次。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_directory_decides_an_entrys_format_as_a_file_given_by_name_is_decided(tmp_path):
    from policy_nlp.corpus.inputs import iter_inputs

    folder = tmp_path / "reports"
    folder.mkdir()
    word = _word_file()
    assert len(word) > 4096  # a ZIP's directory is at its end
    (folder / "a_word.doc").write_bytes(word)
    (folder / "b_page.doc").write_text("<html><body><p>一、主要举措。</p></body></html>", encoding="utf-8")
    (folder / "c_legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32)
    (folder / "d_image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + b"\x00" * 64)
    docs = {Path(d.id).name: d for d in iter_inputs([folder])}
    for name in ("a_word.doc", "b_page.doc"):
        alone = policy_nlp.read_document(folder / name)
        assert not docs[name].skipped and docs[name].text == alone.text
        assert docs[name].source["format"] == alone.format
    assert docs["a_word.doc"].source["format"] == "docx" and docs["b_page.doc"].source["format"] == "html"
    skipped = {name: d.error for name, d in docs.items() if d.skipped}
    assert set(skipped) == {"c_legacy.doc", "d_image.txt", ".DS_Store"}
    assert "legacy Office" in skipped["c_legacy.doc"] and "a PNG image" in skipped["d_image.txt"]
    for name in ("c_legacy.doc", "d_image.txt"):
        with pytest.raises(DataError) as err:
            policy_nlp.read_document(folder / name)
        assert err.value.code == "E024" and skipped[name].startswith("[E024]")
    (folder / "notes.md").write_text("not a report", encoding="utf-8")
    assert "a '.md' file" in {Path(d.id).name: d.error for d in iter_inputs([folder])}["notes.md"]


def test_no_report_file_in_a_directory_is_e050_naming_the_formats_read(tmp_path):
    from policy_nlp.corpus.inputs import iter_inputs

    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32)
    with pytest.raises(DataError) as err:
        list(iter_inputs([tmp_path]))
    assert err.value.code == "E050"
    assert all(name in err.value.fix for name in ("HTML", ".docx", "PDF", ".doc"))


def _pdf_pages(*pages: str) -> bytes:
    """A PDF of pages that hold a line of text ('text'), nothing ('blank'), an image ('image') or a vector
    drawing ('drawing')."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    import input_forms

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for kind in pages:
        if kind == "text":
            pdf.setFont(input_forms.cjk_font(), 12)
            pdf.drawString(60, 700, "一、主要举措和成效")
        elif kind == "image":
            pdf.drawImage(ImageReader(Image.new("L", (40, 60), 128)), 50, 50, 400, 600)
        elif kind == "drawing":
            pdf.rect(50, 50, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture
def _forms_on_path(monkeypatch):
    from conftest import ROOT

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))


def test_a_blank_page_is_no_loss_and_a_page_holding_only_an_image_is_warned(_forms_on_path):
    from policy_nlp.corpus.pdf_input import extract_pdf

    blank = extract_pdf(_pdf_pages("text", "drawing", "blank"), "report.pdf")
    assert blank.text == "一、主要举措和成效" and blank.warnings == []
    scanned = extract_pdf(_pdf_pages("text", "blank", "image", "image"), "report.pdf")
    assert [w["code"] for w in scanned.warnings] == ["W006"]
    assert "2 of 4 PDF page(s)" in scanned.warnings[0]["message"] and "first: page 3" in scanned.warnings[0]["message"]
    with pytest.raises(DataError) as err:
        extract_pdf(_pdf_pages("blank", "image"), "report.pdf")
    assert err.value.code == "E023"


def test_two_reports_claiming_one_output_name_make_the_run_fail(tmp_path):
    from typer.testing import CliRunner

    from policy_nlp.cli import app

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.docx").write_bytes(_word_file())
    (folder / "report.txt").write_text("一、主要举措\n加强行政执法监督。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["annotate", str(folder), "-o", str(out), "--segmenter", "char"])
    assert result.exit_code == 1, result.output
    assert [p.name for p in out.iterdir()] == ["report.json"] and "[E120]" in result.output


@pytest.mark.parametrize("title, kept", [("untitled", None), ("Microsoft Word - 2023年报告.doc", None),
                                         ("无标题", None), ("新建 Microsoft Word 文档", None),
                                         ("金水区2023年法治政府建设年度报告", "金水区2023年法治政府建设年度报告")])
def test_a_pdf_placeholder_title_is_no_title(title, kept, _forms_on_path):
    from reportlab.pdfgen import canvas

    from policy_nlp.corpus.pdf_input import extract_pdf

    import input_forms

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setTitle(title)
    pdf.setFont(input_forms.cjk_font(), 12)
    pdf.drawString(60, 700, "一、主要举措和成效")
    pdf.showPage()
    pdf.save()
    assert extract_pdf(out.getvalue(), "report.pdf").metadata.get("title") == kept
