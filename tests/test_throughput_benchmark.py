"""The throughput benchmark's per-part timing (`benchmarks/throughput.py --ratio-only --parts`): every part of
the pipeline timed, in the pipeline's order, and rendered as multiples of the tokenization."""
from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import throughput  # noqa: E402


def test_time_parts_times_the_tokenizer_each_component_and_the_reviewer_record(char_nlp, seeds):
    texts = [text[:500] for text in seeds.values()]
    times = throughput.time_parts(char_nlp, texts)
    assert list(times) == ["tokenizer", *char_nlp.pipe_names, "reviewer record"]
    assert all(seconds > 0 for seconds in times.values())


def test_render_parts_gives_one_row_per_text_set_and_nothing_without_parts():
    ratio = {"long": {"parts": {"tokenizer": 0.25, "policy_nlp_themes": 0.4}},
             "short": {"parts": {"tokenizer": 0.3, "policy_nlp_themes": 0.55}}}
    lines = throughput.render_parts(ratio)
    assert "| Texts | tokenizer | themes |" in lines
    assert f"| {throughput.RATIO_ROWS['long']} | 0.25 | 0.40 |" in lines
    assert f"| {throughput.RATIO_ROWS['short']} | 0.30 | 0.55 |" in lines
    assert throughput.render_parts({"long": {"ratio": 2.0}}) == []
