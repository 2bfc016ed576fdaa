"""model.char_ngrams: the array path equals the fitted TfidfVectorizer's own transform, to the bit."""
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from policy_nlp.model import char_ngrams
from policy_nlp.model.features import canonical

from conftest import ROOT, SEEDS

EDGE_CASES = ["", " ", "\t\n  \u3000 ", "a", "年", "𠀀", "😀😀😀", "a\x00b\x00", "\ud800孤\udfff",
              "一 二  三\t\t四\n\n五", "依法行政，建設法治政府。", "2024年12月31日，3.5%的增長",
              "法" * 5000, "法治政府建设" * 3000 + "𠮷" * 7, "ABC abc ÀÉ", "\u00a0\u2003x\u2003\u2003y",
              "1.\x1c.5 2 .3\x1f\x1f4", "12.", ".5"]


def _lines(paths) -> list[str]:
    return [line for p in paths for line in p.read_text(encoding="utf-8").splitlines()]


def _assert_same(vectorizer, documents):
    want = vectorizer.transform(documents)
    got = char_ngrams.transform(vectorizer, documents)
    assert type(got) is type(want) and got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    assert got.data.tobytes() == want.data.tobytes()


def _shipped_vectorizers(model):
    for pipe in model.pipelines_.values():
        for _, transformer, _ in pipe.named_steps["features"].transformers_:
            if isinstance(transformer, TfidfVectorizer):
                yield transformer


def _random_texts(seed: int, n: int = 300) -> list[str]:
    """Texts over a small alphabet (so that many n-grams are in the vocabulary), with white space runs,
    digits, astral-plane and upper-case characters."""
    rng = np.random.default_rng(seed)
    alphabet = list("法治政府建设依法行政年0123 \t\n\u3000AaBb𠀀😀")
    return ["".join(rng.choice(alphabet, size=rng.integers(0, 60))) for _ in range(n)]


def test_the_shipped_vectorizers_on_the_seeds_the_reports_and_edge_cases(char_nlp):
    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))
    documents = _lines(sorted(SEEDS.glob("*.txt"))) + _lines(reports) + EDGE_CASES + _random_texts(0)
    vectorizers = list(_shipped_vectorizers(char_nlp.get_pipe("policy_nlp_themes").model))
    assert vectorizers and all(char_ngrams.covers(v) for v in vectorizers)
    for vectorizer in vectorizers:
        _assert_same(vectorizer, documents)
        _assert_same(vectorizer, [d for d in documents if "\x00" not in d])  # preprocessed as one batch
        for one in EDGE_CASES:
            _assert_same(vectorizer, [one])
        for transform in (vectorizer.transform, lambda docs: char_ngrams.transform(vectorizer, docs)):
            with pytest.raises(ValueError):  # no documents: scikit-learn's error, either way
                transform([])


def test_transform_equals_each_vectorizers_own_transform_in_any_order(char_nlp):
    shipped = list(_shipped_vectorizers(char_nlp.get_pipe("policy_nlp_themes").model))
    fitted = [TfidfVectorizer(analyzer="char", **params).fit(_random_texts(9)) for params in (
        {"ngram_range": (1, 2), "norm": "l1"}, {"ngram_range": (1, 3), "dtype": np.float32},
        {"ngram_range": (2, 3), "norm": None}, {"ngram_range": (1, 3), "norm": "l1", "sublinear_tf": True},
        {"ngram_range": (1, 4)}, {"ngram_range": (1, 3), "norm": "l1", "dtype": np.float32})]
    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))[:3]
    batches = [_lines(sorted(SEEDS.glob("*.txt"))), _random_texts(1), EDGE_CASES, ["法"], _lines(reports), [" "]]
    rng = np.random.default_rng(2)
    for _ in range(6):
        jobs = [(v, batches[rng.integers(len(batches))]) for v in rng.permutation(shipped + fitted)]
        for vectorizer, documents in jobs:
            got, want = char_ngrams.transform(vectorizer, documents), vectorizer.transform(documents)
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_array_equal(got.indptr, want.indptr)
            np.testing.assert_array_equal(got.indices, want.indices)
            assert got.data.tobytes() == want.data.tobytes()


def test_l1_and_l2_norms_applied_without_normalize_s_checks(monkeypatch):
    """The rows are normalised by the routine `normalize` runs on a CSR matrix, not through `normalize` (its
    input checks); a block of no rows still goes to `normalize`, which refuses it."""
    fitted = [TfidfVectorizer(analyzer="char", ngram_range=(1, 3), norm=norm, dtype=dtype).fit(_random_texts(10))
              for norm in ("l1", "l2") for dtype in (np.float32, np.float64)]
    want = [v.transform(_random_texts(11)) for v in fitted]
    calls = []
    monkeypatch.setattr(char_ngrams, "normalize", lambda X, **kw: calls.append(kw) or normalize(X, **kw))
    for vectorizer, expected in zip(fitted, want):
        assert char_ngrams.transform(vectorizer, _random_texts(11)).data.tobytes() == expected.data.tobytes()
    assert not calls
    with pytest.raises(ValueError):
        char_ngrams.transform(fitted[1], [])
    assert calls


@pytest.mark.parametrize("params", [
    {"ngram_range": (1, 1)}, {"ngram_range": (1, 2)}, {"ngram_range": (2, 3)}, {"ngram_range": (3, 3)},
    {"ngram_range": (1, 3), "preprocessor": canonical, "sublinear_tf": True, "dtype": np.float32},
    {"ngram_range": (1, 3), "lowercase": False, "norm": "l1", "use_idf": False},
    {"ngram_range": (2, 2), "norm": None, "smooth_idf": False, "sublinear_tf": True},
    {"ngram_range": (1, 3), "min_df": 2, "max_df": 0.5}, {"ngram_range": (1, 2), "max_features": 40},
    {"ngram_range": (1, 3), "strip_accents": "unicode", "dtype": np.float64},
])
def test_fitted_settings_on_random_and_edge_case_texts(params):
    vectorizer = TfidfVectorizer(analyzer="char", **params).fit(_random_texts(1) + EDGE_CASES)
    assert char_ngrams.covers(vectorizer)
    _assert_same(vectorizer, _random_texts(2) + EDGE_CASES)


class _Subclass(TfidfVectorizer):
    pass


@pytest.mark.parametrize("vectorizer", [
    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)), TfidfVectorizer(analyzer="word"),
    TfidfVectorizer(analyzer="char", ngram_range=(1, 4)), TfidfVectorizer(analyzer="char", binary=True),
    _Subclass(analyzer="char"),
])
def test_other_settings_take_the_vectorizers_own_transform(vectorizer):
    vectorizer.fit(_random_texts(3))
    assert not char_ngrams.covers(vectorizer)
    _assert_same(vectorizer, _random_texts(4))


def test_an_unfitted_vectorizer_is_not_covered():
    assert not char_ngrams.covers(TfidfVectorizer(analyzer="char"))


def test_the_lookup_table_stays_out_of_the_pickled_vectorizer():
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).fit(_random_texts(5))
    before = pickle.dumps(vectorizer)
    char_ngrams.transform(vectorizer, _random_texts(6))
    assert pickle.dumps(vectorizer) == before


def test_a_new_vocabulary_gets_a_new_table():
    vectorizer = TfidfVectorizer(analyzer="char").fit(["法治"])
    _assert_same(vectorizer, ["法治政府"])
    vectorizer.fit(["政府"])
    _assert_same(vectorizer, ["法治政府"])


@pytest.mark.parametrize("texts", [[], ["a"], ["1 2", "3.4\t5"], ["a\x00b", "c"], ["", "", ""], EDGE_CASES])
def test_per_text_equals_calling_the_function_on_each_text(texts):
    assert char_ngrams.per_text(canonical, texts) == [canonical(t) for t in texts]


def test_only_a_preprocessor_marked_nul_safe_is_run_on_joined_texts(monkeypatch):
    """A preprocessor not marked `nul_safe` sees each text alone, so one that would read across the joining
    NUL (here: counts every character) still gives each text's own figure."""
    calls = []

    def spy(text):
        calls.append(text)
        return str(len(text))

    vectorizer = TfidfVectorizer(analyzer="char", preprocessor=spy).fit(["12", "3"])
    assert char_ngrams._analysed(vectorizer, ["ab", "cde"]) == ["2", "3"] and calls[-2:] == ["ab", "cde"]
    assert canonical in char_ngrams._NUL_SAFE and spy not in char_ngrams._NUL_SAFE
    monkeypatch.setattr(char_ngrams, "_NUL_SAFE", set())
    char_ngrams.nul_safe(spy)  # marked: one call on the joined texts
    assert char_ngrams._analysed(vectorizer, ["ab", "cde"]) == ["6"] and calls[-1] == "ab\x00cde"


def test_canonical_removes_what_the_white_space_pattern_matches_on_every_code_point():
    """`canonical` removes white space with `str.split`, which splits where `\\s` matches: the same as the
    regex `\\s+` removed, on every code point and on texts of digits, runs of white space and NULs."""
    import re
    import sys

    def by_regex(text):
        return re.sub(r"\s+", "", re.sub(r"\d+(?:\.\d+)?", "0", text))

    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    assert canonical(every) == by_regex(every)
    for text in [*EDGE_CASES, " 1 2.5\u3000三\n\n4 ", "a\x00 b\x00\x85c\u2028", "\ud800 1"]:
        assert canonical(text) == by_regex(text)


def test_the_white_space_pass_is_left_out_only_for_a_preprocessor_marked_white_space_free(monkeypatch):
    def keeps_spaces(text):
        return text

    vectorizer = TfidfVectorizer(analyzer="char", preprocessor=keeps_spaces).fit(["a  b"])
    assert char_ngrams._analysed(vectorizer, ["a  b\t\tc"]) == ["a b c"]  # scikit-learn's `\s\s+` → " "
    assert canonical in char_ngrams._WHITE_SPACE_FREE and keeps_spaces not in char_ngrams._WHITE_SPACE_FREE
    monkeypatch.setattr(char_ngrams, "_WHITE_SPACE_FREE", set())
    char_ngrams.white_space_free(keeps_spaces)  # marked (wrongly, here): the text is left as it is
    assert char_ngrams._analysed(vectorizer, ["a  b\t\tc"]) == ["a  b\t\tc"]


@pytest.mark.parametrize("ngram_range", [(1, 2), (1, 3), (2, 3)])
def test_n_grams_looked_up_only_where_their_parts_are_terms_count_as_all_looked_up(ngram_range):
    """A vocabulary of all the n-grams seen is closed (each term's two shorter parts are terms), so `counts`
    looks an n-gram up only where both parts were found: on texts mostly of unseen characters most
    positions are skipped, and the counts stay the vectorizer's."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=ngram_range).fit(["法治政府建设", "依法行政年报"])
    assert char_ngrams._table(vectorizer).closed
    rng = np.random.default_rng(7)
    unseen = list("法治政府建设依法行政年报") + [chr(c) for c in range(0x4E00, 0x4E40)] + ["𠀀"]
    texts = ["".join(rng.choice(unseen, size=rng.integers(0, 80))) for _ in range(200)]
    _assert_same(vectorizer, texts + EDGE_CASES + ["法治政府建设依法行政年报"])


def test_a_vocabulary_missing_a_terms_part_is_looked_up_everywhere():
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), vocabulary=["法", "治", "政府", "法治政"])
    vectorizer.fit(["法治政府"])
    assert not char_ngrams._table(vectorizer).closed  # 法治政: 法治 is no term
    _assert_same(vectorizer, ["法治政府", "依法治政", "法治政" * 5, "𠀀法治政", "", "x法治政y"])


@pytest.mark.parametrize("n_docs, n_features", [(1, 1), (3, 0), (5, 7), (700, 120_000), (2 ** 15 - 1, 2 ** 17),
                                                 (2 ** 15, 2 ** 17), (2 ** 15 + 1, 2 ** 17), (2 ** 16, 2 ** 17 + 1)])
def test_cells_numbered_by_shift_give_the_matrix_a_coo_matrix_sums_up(n_docs, n_features):
    """`_count_matrix` of (document, column) cells numbered as `_cell_layout` says, 32- or 64-bit (the last
    row's end just past 32 bits, or just within), equals scipy's CSR of the same cells summed."""
    shift, cell = char_ngrams._cell_layout(n_docs, n_features)
    assert cell is (np.uint32 if n_docs * 2 ** shift < 2 ** 32 else np.uint64)
    assert n_features <= 2 ** shift and (n_features <= 1 or 2 ** (shift - 1) < n_features)
    rng = np.random.default_rng(n_docs)
    for n in (0, 1, 5000):
        docs = np.sort(rng.integers(0, n_docs, n))
        docs[n // 2:] = np.maximum(docs[n // 2:], n_docs - 1 - rng.integers(0, 2, n - n // 2))  # the last rows
        columns = rng.integers(0, max(n_features, 1), n) if n_features else np.zeros(0, dtype=np.int64)
        docs = docs[:len(columns)]
        cells = (docs.astype(cell) << cell(shift)) | columns.astype(cell)
        got = char_ngrams._count_matrix(rng.permutation(cells), n_docs, n_features, shift, np.float32)
        want = sp.coo_matrix((np.ones(len(cells), dtype=np.float32), (docs, columns)),
                             shape=(n_docs, n_features)).tocsr()
        want.sum_duplicates()
        assert got.shape == want.shape and got.dtype == want.dtype and got.has_sorted_indices
        np.testing.assert_array_equal(got.indptr, want.indptr)
        np.testing.assert_array_equal(got.indices, want.indices)
        np.testing.assert_array_equal(got.data, want.data)


def _dotted_numbers(seed: int, n: int = 400) -> list[str]:
    """Texts of digits (several scripts), dots, white space, NULs' neighbours and letters, where matches
    of `\\d+(?:\\.\\d+)?` chain (`1.2.3.4`), stop (`1..2`, `5.`, `.5`) and meet white space."""
    rng = np.random.default_rng(seed)
    alphabet = list("0123456789....  \t\n\u3000\x1c\x85\u00a0法治１２٣۴𝟘．a") + ["\ud800", "𠀀"]
    return ["".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(n)]


def test_canonical_on_codes_equals_canonical_text_by_text():
    """`canonical`'s code form on a batch joined by NULs gives the codes of each text's `canonical`, joined
    alike: on the seeds' and reports' lines, the edge cases, chains of dotted numbers and every code point."""
    from policy_nlp.model.features import _canonical_codes

    def assert_same(texts):
        want = char_ngrams.codes_of("\x00".join(canonical(t) for t in texts))
        np.testing.assert_array_equal(_canonical_codes(char_ngrams.codes_of("\x00".join(texts))), want)

    reports = sorted((ROOT / "training" / "corpus" / "work_reports").glob("*.txt"))
    assert_same(_lines(sorted(SEEDS.glob("*.txt"))) + _lines(reports))
    assert_same(EDGE_CASES + ["1.2.3.4.5", "1..2", "5.", ".5", "1.2 .3", "٣.٤.5", "0.\n5"])
    for seed in range(5):
        assert_same(_dotted_numbers(seed))
    for one in EDGE_CASES:
        assert_same([one])
    assert_same(["".join(map(chr, range(0x110000)))])


def test_the_code_form_is_taken_only_for_a_marked_preprocessor_and_texts_without_nuls(monkeypatch):
    """`_analysed_codes` gives the codes and lengths of `_analysed` whichever way it takes: the code form
    for `canonical` on texts without NULs, the strings otherwise (a text holding a NUL, an unmarked
    preprocessor)."""
    calls = []
    form = char_ngrams._CODE_FORMS[canonical]
    monkeypatch.setitem(char_ngrams._CODE_FORMS, canonical, lambda codes: calls.append(1) or form(codes))
    vectorizer = TfidfVectorizer(analyzer="char", preprocessor=canonical).fit(_random_texts(7))
    for texts, by_codes in [(_dotted_numbers(8), True), (["a\x001.5", "2 3"], False), (["", "1"], True)]:
        calls.clear()
        codes, lengths = char_ngrams._analysed_codes(vectorizer, texts)
        analysed = char_ngrams._analysed(vectorizer, texts)
        np.testing.assert_array_equal(codes, char_ngrams.codes_of("".join(analysed)))
        assert lengths.tolist() == [len(t) for t in analysed] and bool(calls) is by_codes
    plain = TfidfVectorizer(analyzer="char").fit(["ab"])
    codes, lengths = char_ngrams._analysed_codes(plain, ["A  b", "c"])
    assert lengths.tolist() == [3, 1] and char_ngrams._CODE_FORMS.get(plain.build_preprocessor()) is None
