"""model.term_counts and the cue transformers' shared batch work: the counts are `str.count`'s, the cues
those of computing each transformer alone."""
import re
import weakref

import numpy as np
import pytest

from policy_nlp.model import features
from policy_nlp.model.term_counts import TermCounter
from policy_nlp.rules import default_rules

from conftest import ROOT, SEEDS

EDGE_CASES = ["", " ", "\t\n", "法", "𠀀", "執法檢查", "法" * 20000, "哈哈哈哈哈", "𠀀𠀀𠀀", "\ud800法治",
              "行政执法行政执法", "依法行政，建设法治政府"]


def _definition(lexicon, strings) -> np.ndarray:
    return np.array([[sum(s.count(t) for t in terms) for terms in lexicon.values()] for s in strings],
                    dtype=np.int64).reshape(len(strings), len(lexicon))


def _lines(paths) -> list[str]:
    return [line for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def _random_texts(seed: int, alphabet: str, n: int = 400) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(alphabet), size=rng.integers(0, 40))) for _ in range(n)]


def test_the_default_term_lists_on_the_seeds_the_reports_and_edge_cases():
    lexicon = default_rules().lexicon
    strings = (_lines(sorted(SEEDS.glob("*.txt"))) + EDGE_CASES
               + _lines(sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))))
    got = TermCounter(lexicon).counts(strings)
    assert got.sum() > 1000
    np.testing.assert_array_equal(got, _definition(lexicon, strings))


@pytest.mark.parametrize("lexicon", [
    {"a": ["哈哈", "法治", "法"], "b": ["哈哈", "𠀀法", "治"]},  # self-overlapping, shared and one-character terms
    {"a": ["aba", "ab", "ba", "b"], "b": ["aaa", "aa"], "c": []},  # a label without terms
    {"a": ["法治", "法治"], "b": ["𠀀", "𠀀𠀀"]},  # a term listed twice counts twice
    {"a": ["哈哈", "法", "哈哈"], "b": ["哈哈", "aa"], "c": ["a", "aa", "a"]},  # overlapping and listed twice
    {"a": ["法", ""]},  # the empty term: counted by str.count itself
    {"a": ["".join(chr(0x4E00 + 7 * i + k) for k in range(40)) for i in range(600)]},  # keys too long
    {},
])
def test_term_lists_on_random_and_edge_case_texts(lexicon):
    alphabet = "".join(sorted({ch for terms in lexicon.values() for t in terms for ch in t})) + " 政府"
    strings = _random_texts(0, alphabet) + EDGE_CASES + ["".join(t for terms in lexicon.values() for t in terms)]
    np.testing.assert_array_equal(TermCounter(lexicon).counts(strings), _definition(lexicon, strings))
    assert TermCounter(lexicon).counts([]).shape == (0, len(lexicon))


def _cue_transformers(rules):
    return [features.ContentCues(rules, 0.0), features.ContentCues(rules, 1.0), features.PositionCues(rules)]


def test_shared_cues_compute_each_strings_work_once_and_change_nothing(monkeypatch, seeds):
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment
    from policy_nlp.model.features import CONTENT_COLUMNS, POSITION_COLUMNS, build_contexts

    rules = default_rules()
    norm = normalize(seeds[sorted(seeds)[0]]).text
    ctx = build_contexts(norm, segment(norm, rules), rules)
    columns = [CONTENT_COLUMNS, CONTENT_COLUMNS, POSITION_COLUMNS]
    alone = [t.fit(ctx[:, c]).transform(ctx[:, c]) for t, c in zip(_cue_transformers(rules.to_dict()), columns)]
    calls = {"_term_counts": [], "_matches": [], "_terms_and_matches": []}
    for name, at in (("_term_counts", 0), ("_matches", 1), ("_terms_and_matches", 1)):
        method = getattr(features._RuleCues, name)
        monkeypatch.setattr(features._RuleCues, name, lambda self, *a, _m=method, _n=name, _at=at: calls[_n].append(
            list(a[_at])) or _m(self, *a))
    with features.shared_cues():
        together = [t.fit(ctx[:, c]).transform(ctx[:, c]) for t, c in zip(_cue_transformers(rules.to_dict()), columns)]
    # the content blocks' texts, terms and patterns in one scan; the position block's section names are units'
    # texts, counted already; of its headings and their paths only the paths (joined headings) are searched
    assert len(calls["_terms_and_matches"]) == 1 and calls["_term_counts"] == [] and len(calls["_matches"]) == 1
    texts = calls["_terms_and_matches"][0]
    assert len(texts) == len(set(texts)) and set(calls["_matches"][0]).isdisjoint(texts)
    assert set(ctx[:, features.COL["section_path"]]) <= set(texts) | set(calls["_matches"][0])
    for a, b in zip(alone, together):
        assert a.tobytes() == b.tobytes()
    assert features._SHARED.get() is None


def test_position_cues_read_from_the_content_blocks_equal_their_own_on_edge_cases():
    from policy_nlp.model.features import CONTENT_COLUMNS, POSITION_COLUMNS, build_contexts
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment

    rules = default_rules()
    for text in ["", " ", "法", "一、存在的问题\n𠀀下一步将继续推进。\n（一）不足\n短板明显。", "二、" + "依法行政" * 3000]:
        norm = normalize(text).text
        ctx = build_contexts(norm, segment(norm, rules), rules)
        for rows in (ctx, ctx[:1], ctx[1:]):  # headings that are no row's text too
            columns = [CONTENT_COLUMNS, CONTENT_COLUMNS, POSITION_COLUMNS]
            alone = [t.fit(rows[:, c]).transform(rows[:, c]) for t, c in zip(_cue_transformers(rules.to_dict()), columns)]
            with features.shared_cues():
                together = [t.fit(rows[:, c]).transform(rows[:, c])
                            for t, c in zip(_cue_transformers(rules.to_dict()), columns)]
            assert [a.tobytes() for a in alone] == [b.tobytes() for b in together]


def test_content_cues_of_different_lead_weights_share_their_unweighted_columns(monkeypatch, seeds):
    from policy_nlp.components.normalize import normalize
    from policy_nlp.components.units import segment
    from policy_nlp.model.features import CONTENT_COLUMNS, build_contexts

    rules = default_rules()
    norm = normalize(seeds[sorted(seeds)[1]]).text
    X = build_contexts(norm, segment(norm, rules), rules)[:, CONTENT_COLUMNS]
    weights = (0.0, 1.0, 0.5, 2.0, -1.5)
    alone = [features.ContentCues(rules.to_dict(), w).fit(X).transform(X) for w in weights]
    calls = []
    method = features.ContentCues._unweighted
    monkeypatch.setattr(features.ContentCues, "_unweighted", lambda self, X: calls.append(1) or method(self, X))
    with features.shared_cues():
        together = [features.ContentCues(rules.to_dict(), w).fit(X).transform(X) for w in weights]
        features.ContentCues(rules.to_dict(), 1.0).fit(X[:-1]).transform(X[:-1])  # other rows: worked out again
        assert len(calls) == 2
        # equal rows of other objects (rows are known by their objects): worked out again, the same numbers
        copies = np.array([[(v + "。")[:-1] if isinstance(v, str) else v for v in row] for row in X], dtype=object)
        again = features.ContentCues(rules.to_dict(), 2.0).fit(copies).transform(copies)
        assert len(calls) == 3 and again.tobytes() == alone[3].tobytes()
    for a, b in zip(alone, together):
        assert a.tobytes() == b.tobytes()


class _Row:
    def __init__(self, value: int):
        self.value = value


def test_shared_rows_written_over_by_the_caller_do_not_answer_for_other_objects():
    """The memo keeps its own references to the rows' objects: an object the caller writes over in its array
    stays alive within the block, so no object made afterwards takes its address and its answer."""
    cues = features.ContentCues(default_rules().to_dict())
    compute = lambda rows: [row.value for row in rows]  # keeps no reference to the rows' objects
    X = np.array([_Row(1)], dtype=object)
    alive = weakref.ref(X[0])
    with features.shared_cues():
        assert cues._shared("rows", X, compute) == [1]
        X[0] = _Row(2)  # the caller's array written over: its old object no longer held by the caller
        assert alive() is not None
        Y = np.array([_Row(3)], dtype=object)  # without the memo's references, often at the freed address
        assert cues._shared("rows", Y, compute) == [3] and cues._shared("rows", X, compute) == [2]
    assert alive() is None


def _terms_and_matches_alone(rules, strings, patterns):
    cues = features.ContentCues(rules)
    return cues._term_counts(strings), cues._matches("p", strings, patterns)


@pytest.mark.parametrize("lexicon, joint", [
    (None, True),  # the default term lists
    ({"a": ["哈哈", "法治"], "b": ["下一步", "𠀀"]}, True),  # a term that is also a pattern's literal
    # 248 characters: 8-bit ids, eight of them in a key; with the literals' characters, 9-bit ids
    ({"a": ["".join(chr(0x5000 + 8 * i + k) for k in range(8)) for i in range(31)]}, False),
    ({"a": ["".join(chr(0x5000 + 8 * i + k) for k in range(8)) for i in range(40)]}, True),  # neither fits
])
def test_terms_and_pattern_literals_counted_in_one_scan_equal_each_counted_alone(lexicon, joint):
    rules = default_rules().to_dict()
    if lexicon is not None:
        rules["lexicon"] = lexicon
    compiled = default_rules()
    patterns = [*compiled.part_cues.values(), compiled.future_re, re.compile(r"(?i)abc")]  # one unfiltered
    alphabet = "".join(sorted({ch for ts in (lexicon or compiled.lexicon).values() for t in ts for ch in t}))
    strings = (_lines(sorted(SEEDS.glob("*.txt"))) + EDGE_CASES + _random_texts(1, alphabet + "下一步今后明年将力争ABC")
               + _lines(sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))[:5])
               + ["".join(ts) + "下一步" for ts in (lexicon or {}).values()])
    cues = features.ContentCues(rules)
    terms, found = cues._terms_and_matches("p", strings, patterns)
    want_terms, want_found = _terms_and_matches_alone(rules, strings, patterns)
    assert terms.tobytes() == want_terms.tobytes() and terms.dtype == want_terms.dtype
    np.testing.assert_array_equal(found, want_found)
    assert found.any() and terms.any()
    assert (cues._joint("p", patterns) is not None) == joint
    empty = cues._terms_and_matches("p", [], patterns)
    assert empty[0].shape == (0, len(cues._rules().lexicon)) and empty[1].shape == (0, len(patterns))
