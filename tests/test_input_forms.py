"""Every labelled report as an HTML page (navigation, header, breadcrumb, share bar, footer around it), a Word
file and a PDF set in a CJK font (wrapped lines, a running header, page numbers): the pipeline must give the
same labels as on the plain text (share of the plain text's content units ≥ 0.95), and no page furniture may
become a content unit. The forms are built by `benchmarks/input_forms.py`."""
from __future__ import annotations

import sys

import pytest

import policy_nlp

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import input_forms  # noqa: E402

REPORTS = input_forms.labelled_reports(ROOT)
TARGET = 0.95


@pytest.fixture(scope="module")
def forms(tmp_path_factory, char_nlp):
    if input_forms.cjk_font() is None:
        pytest.skip("no CJK font for the test PDFs: reportlab's STSong-Light CID font is missing "
                    "(pip install -e '.[test]' installs reportlab)")
    folder = tmp_path_factory.mktemp("forms")
    out = {}
    for path in REPORTS:
        text = path.read_text(encoding="utf-8")
        out[path.name] = (policy_nlp.annotate(text, nlp=char_nlp), input_forms.write_forms(text, folder, path.stem))
    return out


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
@pytest.mark.parametrize("report", [p.name for p in REPORTS])
def test_every_form_keeps_the_plain_texts_labels(forms, char_nlp, report, fmt):
    plain, paths = forms[report]
    doc = policy_nlp.annotate(paths[fmt], nlp=char_nlp)
    assert doc.source["format"] == fmt and doc.source["file"] == str(paths[fmt])
    assert input_forms.agreement(plain, doc) >= TARGET
    assert input_forms.chrome_in_content(doc) == []
    assert all(doc.text[u.start:u.end] == u.text for u in doc.units)  # offsets index the extracted text
    assert not [w for w in doc.warnings if w["code"] in ("W001", "W002", "W004", "W005", "W006", "W007")]


def test_html_page_metadata_and_no_furniture_in_the_text(forms):
    _, paths = forms[REPORTS[0].name]
    extracted = policy_nlp.read_document(paths["html"])
    assert extracted.metadata["title"] == input_forms.TITLE
    assert extracted.metadata["published"] == input_forms.PUBLISHED
    for chrome in (input_forms.BREADCRUMB, input_forms.SHARE, *input_forms.FOOTER, *input_forms.RELATED):
        assert chrome not in extracted.text
    assert "<" not in extracted.text


@pytest.mark.parametrize("report", REPORTS[:2], ids=lambda p: p.stem)
def test_html_in_an_old_table_layout_keeps_every_line_and_nothing_else(report):
    from policy_nlp.corpus.html_input import extract_html

    text = report.read_text(encoding="utf-8")
    lines = extract_html(input_forms.table_layout(text), "page").text.splitlines()
    assert lines == [" ".join(line.split()) for line in input_forms.report_lines(text)]


def test_pdf_rejoins_wrapped_lines_and_takes_out_page_numbers_and_running_header(forms):
    _, paths = forms[REPORTS[1].name]
    extracted = policy_nlp.read_document(paths["pdf"])
    lines = extracted.text.splitlines()
    plain = input_forms.report_lines(REPORTS[1].read_text(encoding="utf-8"))
    # a layout break is kept only where a sentence ends (a full line ending in 。 may end its paragraph)
    assert all(line in plain or line.endswith(("。", "；", "：", ":")) for line in lines[1:])
    assert sum(line in lines for line in plain) >= 0.8 * len(plain)  # most paragraphs whole, across pages too
    assert input_forms.SITE + "文件" not in extracted.text
    assert not any(line.startswith("- ") and line.endswith(" -") for line in lines)
    assert extracted.metadata["title"] == input_forms.TITLE and len(extracted.metadata["created"]) == 10
    assert extracted.metadata["pages"] >= 2 and extracted.metadata["page_chrome_lines"] == 2 * extracted.metadata["pages"]


def test_word_file_by_paragraph_with_its_title(forms):
    _, paths = forms[REPORTS[2].name]
    extracted = policy_nlp.read_document(paths["docx"])
    assert extracted.text.splitlines()[0] == input_forms.TITLE
    assert extracted.metadata["title"] == input_forms.TITLE
    plain = input_forms.report_lines(REPORTS[2].read_text(encoding="utf-8"))
    assert extracted.text.splitlines()[1:] == [" ".join(line.split()) for line in plain]  # runs of spaces: one
