"""Structure that does not depend on line breaks: the labelled reports against their flattened copies (joined with
nothing or a space, with page chrome or a crawler header in the same line), annotated by the shipped model."""
from __future__ import annotations

import sys

from pathlib import Path

import pytest

import policy_nlp
from policy_nlp.learn.invariance import CHROME, compare, flatten

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import input_forms  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REPORTS = input_forms.labelled_reports(ROOT)


def test_flatten_keeps_a_map_back_to_the_original():
    text = "一、成效\n　　开展检查。\r\n\n二、计划\n"
    flat = flatten(text, " ", "page")
    assert flat.text == CHROME["page"][0] + "一、成效 开展检查。 二、计划" + CHROME["page"][1]
    start = text.index("开展")
    span = flat.span(start, start + 5)
    assert flat.text[span.start:span.end] == "开展检查。"
    assert flat.span(text.index("\n"), text.index("\n") + 1) is None  # a line break has no place in the copy
    assert [flat.text[s:e] for s, e in flat.chrome] == list(CHROME["page"])


@pytest.fixture(scope="module")
def originals(char_nlp):
    return {path: policy_nlp.annotate(path.read_text(encoding="utf-8"), nlp=char_nlp) for path in REPORTS}


@pytest.mark.parametrize("joiner", ["", " "])
@pytest.mark.parametrize("chrome", ["none", "page", "crawler"])
def test_flattened_reports_keep_their_labels_and_parts(char_nlp, originals, joiner, chrome):
    rows = []
    for path, original in originals.items():
        flat = flatten(path.read_text(encoding="utf-8"), joiner, chrome)
        rows.append(compare(original, policy_nlp.annotate(flat.text, nlp=char_nlp), flat))
    assert sum(r["same_labels"] for r in rows) / sum(r["units"] for r in rows) >= 0.95
    assert sum(r["parts_found"] for r in rows) == sum(r["parts"] for r in rows) > 0
    assert sum(r["content_in_chrome"] for r in rows) == 0
