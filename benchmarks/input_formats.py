"""Input formats on the seven labelled reports: which HTML extractor, and how every form compares with the plain text.

    pip install trafilatura   # only for the comparison; not a dependency of policy_nlp
    python benchmarks/input_formats.py [--output benchmarks/RESULTS.md]

1. HTML extraction: each report as a web page (`input_forms.html_page`: header, navigation, breadcrumb,
   publish bar, share bar, related links, footer) in two layouts — paragraphs (`<p>`), and an older site's
   table cell with `<br>` line breaks and a sidebar of 30 news headlines — extracted by trafilatura 2 (with
   and without its table handling) and by the readability-lxml + selectolax route policy_nlp uses (`corpus/html_input.py`). Per route: report lines
   found as whole lines, lines that are not the report's (furniture), title and date found, seconds, and the
   labels' agreement with the plain text (char segmenter).
2. Every form (`input_forms`: HTML page, Word, PDF with a CJK font, wrapped lines, running header and page
   numbers) against the plain text: share of the plain text's content units with the same labels, and page
   furniture that became a content unit.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import input_forms  # noqa: E402

REPORTS = input_forms.labelled_reports(REPO)


def trafilatura_route(page: str, tables: bool = True) -> tuple[str, dict]:
    import trafilatura

    doc = trafilatura.bare_extraction(page, with_metadata=True, include_tables=tables, deduplicate=False)
    if doc is None:
        return "", {}
    return doc.text or "", {"title": doc.title, "published": doc.date}


def trafilatura_without_tables(page: str) -> tuple[str, dict]:
    return trafilatura_route(page, tables=False)


def readability_route(page: str) -> tuple[str, dict]:
    from policy_nlp.corpus.html_input import extract_html

    extracted = extract_html(page, "page")
    return extracted.text, extracted.metadata


def compare_html(nlp) -> list[str]:
    import policy_nlp

    rows = ["| layout | route | report lines found whole | lines not the report's | title, date found | "
            "label agreement (min / mean) | seconds (7 pages) |", "|---|---|---:|---:|---:|---:|---:|"]
    plain = {p.name: policy_nlp.annotate(p.read_text(encoding="utf-8"), nlp=nlp) for p in REPORTS}
    for layout, build in (("paragraphs", input_forms.html_page), ("table cell, <br>, news sidebar", input_forms.table_layout)):
        for route, extract in (("trafilatura 2", trafilatura_route),
                               ("trafilatura 2, include_tables=False", trafilatura_without_tables),
                               ("readability-lxml + selectolax", readability_route)):
            found = total = extra = meta = 0
            seconds, agreements = 0.0, []
            for path in REPORTS:
                text = path.read_text(encoding="utf-8")
                lines = [" ".join(line.split()) for line in input_forms.report_lines(text)]
                page = build(text)
                start = time.perf_counter()
                out, metadata = extract(page)
                seconds += time.perf_counter() - start
                got = [" ".join(line.split()) for line in out.splitlines() if line.strip()]
                found += sum(line in got for line in lines)
                total += len(lines)
                extra += sum(line not in set(lines) for line in got)
                meta += (metadata.get("title") == input_forms.TITLE) + (metadata.get("published") == input_forms.PUBLISHED)
                form = policy_nlp.annotate(out, nlp=nlp)
                agreements.append(input_forms.agreement(plain[path.name], form))
            rows.append(f"| {layout} | {route} | {found}/{total} | {extra} | {meta}/{2 * len(REPORTS)} | "
                        f"{min(agreements):.3f} / {sum(agreements) / len(agreements):.3f} | {seconds:.2f} |")
    return rows


def compare_forms(nlp, folder: Path) -> list[str]:
    import policy_nlp

    rows = ["| report | HTML | Word | PDF | furniture in content units |", "|---|---:|---:|---:|---:|"]
    worst = {"html": 1.0, "docx": 1.0, "pdf": 1.0}
    for path in REPORTS:
        text = path.read_text(encoding="utf-8")
        plain = policy_nlp.annotate(text, nlp=nlp)
        cells, chrome = [], 0
        for fmt, form_path in input_forms.write_forms(text, folder, path.stem).items():
            form = policy_nlp.annotate(form_path, nlp=nlp)
            share = input_forms.agreement(plain, form)
            worst[fmt] = min(worst[fmt], share)
            chrome += len(input_forms.chrome_in_content(form))
            cells.append(f"{share:.3f}")
        rows.append(f"| {path.stem} | " + " | ".join(cells) + f" | {chrome} |")
    rows.append("| **lowest** (target ≥ 0.95) | " + " | ".join(f"**{worst[f]:.3f}**" for f in worst) + " | |")
    return rows


def main() -> None:
    import tempfile

    import policy_nlp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="append the tables to this Markdown file")
    args = parser.parse_args()
    nlp = policy_nlp.load(segmenter="char")
    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(["## Input formats (`python benchmarks/input_formats.py`)", "",
                          "### HTML extraction: trafilatura vs readability-lxml + selectolax", "",
                          *compare_html(nlp), "",
                          "### Every form against the plain text: share of content units with the same labels", "",
                          *compare_forms(nlp, Path(tmp)), ""])
    print(text)
    if args.output:
        with open(args.output, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
