"""The main text of a web page: readability-lxml finds the article, selectolax (lexbor) turns it into lines.

Navigation, header, footer, share and print bars, breadcrumbs and related-link boxes are removed first (by
element and by class/id), readability then keeps the block that holds the article's text, and every block
element (`p`, `div`, `li`, `tr`, `h1`–`h6`, `br` …) ends a line, as does a bold subheading run into its
paragraph's first sentence. The page title and publish date go to the
metadata. Why this route and not trafilatura: `benchmarks/input_formats.py` (`docs/inputs.md`).
"""
from __future__ import annotations

import re

from ..errors import DataError, warning
from .decoding import decode_text
from .extracted import Extracted, no_text

BLOCKS = ("p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "dt",
          "dd", "section", "article", "blockquote", "pre", "center", "form", "hr", "header", "footer")
DROP_TAGS = "script, style, noscript, template, nav, header, footer, aside, form, iframe, select, button, input"
CHROME_TOKENS = {"nav", "navbar", "menu", "footer", "foot", "header", "breadcrumb", "breadcrumbs", "crumb",
                 "crumbs", "position", "location", "share", "bdsharebuttonbox", "print", "toolbar", "tools",
                 "related", "sidebar", "side", "copyright", "search", "info", "fontsize", "pager", "comment"}
TITLE_META = ("ArticleTitle", "og:title", "title", "dc.title")
DATE_META = ("PubDate", "pubdate", "publishdate", "publish_date", "article:published_time", "og:published_time",
             "dc.date", "dcterms.created", "date", "firstpublishedtime")
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_DATE_LABEL = re.compile(r"(?:发布|公开|发文|成文|生成)(?:时间|日期)\s*[:：]?\s*(\d{4}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
# a run-in subheading is bold text opening a paragraph: a heading marker and a title, or a sentence or lead-in
# (ending in 。/：), followed by the paragraph's first sentence
_HEADING_MARKER = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+(?:部分|章|节|篇)|[一二三四五六七八九十百零〇]+[、.．]"
                             r"|[（(][一二三四五六七八九十百零〇\d]+[)）]|\d{1,2}[、．]|\d{1,2}\.(?!\d))")
_LEAD_IN_END = ("。", "：", ":")
_SENTENCE_END = re.compile(r"[。！？；!?;]")
KEEP_SHARE = 0.3  # an element named like furniture that holds more of the page's text than this is kept
MIN_SHARE = 0.2  # readability's article below this share of the page's text: it missed it, take the page


def _tokens(node) -> set[str]:
    names = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
    return set(re.split(r"[\s_\-]+", names)) - {""}


def _parse(markup: str):
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(markup)


def _strip_chrome(tree) -> None:
    """Remove scripts, navigation, header, footer … and elements whose class or id names page furniture, unless
    such an element holds most of the page's text (`<div class="content_info">` may be the article)."""
    for node in tree.css(DROP_TAGS):
        node.decompose()
    total = len(tree.body.text(strip=True)) if tree.body is not None else 0
    for node in tree.css("[class], [id]"):
        if (_tokens(node) & CHROME_TOKENS and node.tag not in ("html", "body")
                and len(node.text(strip=True)) <= KEEP_SHARE * total):
            node.decompose()


def _block_of(node):
    """The nearest block element around `node` (None: none below the document's root)."""
    parent = node.parent
    while parent is not None and parent.tag not in BLOCKS:
        parent = parent.parent
    return parent


def _break_run_in_headings(tree) -> None:
    """End the line after a bold element that opens its paragraph with a heading (`<p><strong>（一）标题</strong>
    正文…</p>`) and is followed by more text; bold words elsewhere, or not headings, are left as they are. The
    bold text is looked at first, and a paragraph's text is read once (a page whose article is one `<div>` cut
    by `<br>` holds many bold words in one block)."""
    texts: dict[int, str] = {}
    for node in tree.css("strong, b"):
        bold = node.text().strip()
        if not _is_heading(bold):
            continue
        block = _block_of(node)
        if block is None:
            continue
        whole = texts.get(block.mem_id)
        if whole is None:
            whole = texts[block.mem_id] = block.text().strip()
        if whole.startswith(bold) and _SENTENCE_END.search(whole, len(bold)) is not None:
            node.insert_after("\n")


def _is_heading(bold: str) -> bool:
    """Whether bold text is a heading that may run into its paragraph: a marker and a title (not a marker alone:
    `<b>一、</b>标题`), or a sentence or lead-in. The rest of the paragraph must then hold a sentence (not a
    metadata value: `<b>来源：</b>区司法局`)."""
    marker = _HEADING_MARKER.match(bold)
    return bool(marker and bold[marker.end():].strip()) or bold.endswith(_LEAD_IN_END)


def lines_of(markup: str) -> str:
    """The text of an HTML fragment, one line per block element and per run-in bold subheading, blank lines
    dropped."""
    tree = _parse(markup)
    _break_run_in_headings(tree)
    for node in tree.css("br"):
        node.replace_with("\n")
    for node in tree.css(",".join(BLOCKS)):
        node.insert_after("\n")
    root = tree.body or tree.root
    text = root.text(separator="") if root is not None else ""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _article(cleaned: str) -> tuple[str, bool]:
    """The article's lines (readability), or the whole cleaned page's when readability lost the text."""
    from readability import Document

    page = lines_of(cleaned)
    try:
        article = lines_of(Document(cleaned).summary(html_partial=True))
    except Exception:  # readability gives up on pages without a body
        article = ""
    if len(article) < MIN_SHARE * len(page):
        return page, True
    return article, False


def _meta(tree, names: tuple[str, ...]) -> str | None:
    wanted = {n.lower() for n in names}
    for node in tree.css("meta"):
        key = (node.attributes.get("name") or node.attributes.get("property") or "").lower()
        value = (node.attributes.get("content") or "").strip()
        if key in wanted and value:
            return value
    return None


def _iso_date(value: str | None) -> str | None:
    match = _DATE.search(value or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def page_metadata(tree) -> dict:
    """Title and publish date (ISO) of a parsed page, from its meta tags, else its <title> and a
    发布时间/发布日期 label in the page's text."""
    title = _meta(tree, TITLE_META)
    if title is None:
        node = tree.css_first("title")
        title = node.text(strip=True) if node is not None else None
    published = _iso_date(_meta(tree, DATE_META))
    if published is None and tree.body is not None:
        label = _DATE_LABEL.search(tree.body.text(separator=" "))
        published = _iso_date(label.group(1)) if label else None
    return {key: value for key, value in (("title", title), ("published", published)) if value}


def extract_html(data: bytes | str, shown: str) -> Extracted:
    """The main text of an HTML page (bytes in any encoding `decode_text` reads, or str), its title and date."""
    if isinstance(data, bytes):
        markup, encoding = decode_text(data, shown)
    else:
        markup, encoding = data, None
    try:
        tree = _parse(markup)
    except Exception as exc:
        raise DataError("E025", path=shown, format="HTML", detail=f"{type(exc).__name__}: {exc}") from None
    metadata = page_metadata(tree)
    _strip_chrome(tree)
    text, whole_page = _article(tree.html or "")
    if encoding:
        metadata["encoding"] = encoding
    warnings = [warning("W007")] if whole_page and text else []
    return no_text(Extracted(text, "html", metadata, warnings), shown)
