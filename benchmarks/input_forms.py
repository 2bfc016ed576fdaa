"""A labelled report in the forms reports are published in: an HTML page with the site's furniture around it,
a Word file, a PDF with a CJK font, page numbers and a running header.

Used by `tests/test_input_forms.py` and `benchmarks/input_formats.py`. Every form is built from the report's
plain text, line by line, so that what the pipeline finds in the form can be compared with what it finds in
the plain text. The furniture strings are listed in `CHROME` (none of them may reach a content unit).
"""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

SITE = "某某区人民政府"
TITLE = "某某区法治政府建设情况报告"
PUBLISHED = "2024-03-15"
BREADCRUMB = "当前位置：首页 > 政务公开 > 法治政府建设"
SHARE = "分享到：微信 微博 QQ空间"
NAV = ("首页", "政务公开", "政务服务", "互动交流", "走进某某", "营商环境", "优化营商环境专栏", "行政执法公示")
FOOTER = ("主办单位：某某区人民政府办公室", "网站标识码：4101050001", "豫ICP备05012345号", "打印本页", "关闭窗口")
RELATED = ("某某区优化营商环境十条措施", "关于开展行政执法案卷评查的通知", "区司法局召开矛盾纠纷排查化解会议")
CHROME = (BREADCRUMB, SHARE, *NAV, *FOOTER, *RELATED)


def labelled_reports(repo: Path) -> list[Path]:
    """The seven fully labelled reports: the seeds and the work reports of `data/work_report_units.jsonl`."""
    import json

    units = (repo / "training" / "data" / "work_report_units.jsonl").read_text(encoding="utf-8").splitlines()
    work = sorted({json.loads(line)["doc"] for line in units})
    return sorted((repo / "seeds").glob("*.txt")) + [repo / "training" / "corpus" / name for name in work]


def report_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def html_page(text: str, *, title: str = TITLE) -> str:
    """A government web page: header, navigation, breadcrumb, title, publish bar, the report as paragraphs,
    share bar, related links, footer."""
    esc = html.escape
    nav = "".join(f'<li><a href="/{k}.html">{esc(n)}</a></li>' for k, n in enumerate(NAV))
    body = "\n".join(f"<p>{esc(line)}</p>" for line in report_lines(text))
    related = "".join(f'<li><a href="/r{k}.html">{esc(r)}</a></li>' for k, r in enumerate(RELATED))
    footer = "".join(f"<span>{esc(f)}</span> " for f in FOOTER)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}_{SITE}</title>
<meta name="ArticleTitle" content="{esc(title)}"><meta name="PubDate" content="{PUBLISHED} 09:30">
<script>var _hmt = _hmt || [];</script><style>.nav li {{ display: inline; }}</style></head>
<body>
<div class="header"><div class="logo">{SITE}</div><div class="search"><input type="text" placeholder="请输入关键字"></div></div>
<ul class="nav">{nav}</ul>
<div class="breadcrumb">{esc(BREADCRUMB)}</div>
<div class="article">
<h1 class="title">{esc(title)}</h1>
<div class="info">发布时间：{PUBLISHED} 09:30 来源：区司法局 浏览次数：1024 字号：大 中 小</div>
<div class="content" id="zoom">
{body}
</div>
<div class="share">{esc(SHARE)}</div>
</div>
<div class="related"><h3>相关链接</h3><ul>{related}</ul></div>
<div class="footer">{footer}</div>
</body></html>"""


def table_layout(text: str) -> str:
    """The page of an older site: the report in one table cell, lines split by <br>, a sidebar of news."""
    page = html_page(text)
    body = "<br>\n".join(html.escape(line) for line in report_lines(text))
    page = re.sub(r'(<div class="content" id="zoom">).*?(</div>)',
                  lambda m: f"{m.group(1)}<table><tr><td>{body}</td></tr></table>{m.group(2)}", page, flags=re.S)
    side = "".join(f"<li><a href='/n{k}.html'>区政府召开第{k}次常务会议研究部署法治政府建设和优化营商环境工作</a>"
                   f"<span>2024-0{1 + k % 9}-1{k % 9}</span></li>" for k in range(30))
    return page.replace('<div class="related">', f'<div class="list"><h3>政务要闻</h3><ul>{side}</ul></div>'
                                                  '<div class="related">')


def docx_bytes(text: str, *, title: str = TITLE) -> bytes:
    """A Word file: one paragraph per line of the report, the title as its first paragraph and core title."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for line in report_lines(text):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def cjk_font() -> str | None:
    """The CJK font the PDF is set in: reportlab's built-in CID font STSong-Light (no font file needed)."""
    try:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    except Exception:  # reportlab missing, or its CID font data
        return None
    return "STSong-Light"


def pdf_bytes(text: str, *, title: str = TITLE, chars_per_line: int = 38, lines_per_page: int = 40) -> bytes:
    """A PDF set as an office prints a report: the title, then each paragraph wrapped at `chars_per_line`
    characters (line breaks inside sentences), a running header and a page number (`- 3 -`) on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = cjk_font()
    if font is None:
        raise RuntimeError("no CJK font for the PDF: install reportlab (its STSong-Light CID font)")
    wrapped = [title]
    for line in report_lines(text):
        wrapped += [line[i:i + chars_per_line] for i in range(0, len(line), chars_per_line)]
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    width, height = A4
    pages = [wrapped[i:i + lines_per_page] for i in range(0, len(wrapped), lines_per_page)]
    for number, page in enumerate(pages, 1):
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, height - 40, f"{SITE}文件")
        pdf.setFont(font, 12)
        y = height - 72
        for line in page:
            pdf.drawString(60, y, line)
            y -= 18
        pdf.setFont(font, 9)
        pdf.drawCentredString(width / 2, 30, f"- {number} -")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def write_forms(text: str, folder: Path, stem: str) -> dict[str, Path]:
    """The HTML, DOCX and PDF forms of `text` in `folder`; returns format → path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"html": folder / f"{stem}.html", "docx": folder / f"{stem}.docx", "pdf": folder / f"{stem}.pdf"}
    paths["html"].write_text(html_page(text), encoding="utf-8")
    paths["docx"].write_bytes(docx_bytes(text))
    paths["pdf"].write_bytes(pdf_bytes(text))
    return paths


def _squeezed(text: str) -> tuple[str, list[int]]:
    """`text` without white space, and for each kept character its offset in `text`."""
    kept = [(k, ch) for k, ch in enumerate(text) if not ch.isspace()]
    return "".join(ch for _, ch in kept), [k for k, _ in kept]


def agreement(plain, form) -> float:
    """Share of the plain text's content units whose text is found in the form's text (white space aside, in
    order) and whose labels equal those of the form's unit overlapping it most. `plain`, `form`:
    AnnotatedDocuments."""
    squeezed, offsets = _squeezed(form.text)
    content = [u for u in plain.units if u.kind != "boilerplate"]
    cursor = same = 0
    for unit in content:
        needle = "".join(unit.text.split())
        at = squeezed.find(needle, cursor)
        if at < 0:
            continue
        cursor = at + len(needle)
        start, end = offsets[at], offsets[cursor - 1] + 1
        overlap = [(min(end, u.end) - max(start, u.start), u) for u in form.units if u.start < end and start < u.end]
        best = max(overlap, key=lambda pair: pair[0])[1] if overlap else None
        same += best is not None and best.kind != "boilerplate" and set(best.labels) == set(unit.labels)
    return same / len(content) if content else 1.0


def chrome_in_content(form) -> list[str]:
    """The furniture strings (`CHROME`) found as a content unit's whole text (or inside a heading)."""
    content = [u.text.strip() for u in form.units if u.kind != "boilerplate"]
    return [c for c in CHROME if any(c == t or (c in t and len(t) < 2 * len(c)) for t in content)]
