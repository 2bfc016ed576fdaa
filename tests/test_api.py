import opencc
import pytest

import policy_nlp
from policy_nlp.errors import DataError, InputTypeError

from conftest import SEED_NAMES


def _variants(text):
    traditional = opencc.OpenCC("s2t").convert(text)
    full = text.replace(",", "，").replace("(", "（").replace(")", "）").replace(":", "：").replace("!", "！")
    return {"original": text, "traditional": traditional, "full_width": full}


@pytest.mark.parametrize("name", SEED_NAMES)
def test_offsets_index_the_input_for_every_variant(char_nlp, seeds, name):
    for kind, text in _variants(seeds[name]).items():
        doc = policy_nlp.annotate(text, nlp=char_nlp)
        assert doc.text == text
        assert doc.units, kind
        for unit in doc.units:
            assert text[unit.start:unit.end] == unit.text, (kind, unit)
            assert set(unit.labels) <= set(policy_nlp.LABELS)
            assert list(unit.labels) == [label for label in policy_nlp.LABELS if label in unit.labels]
            assert set(unit.scores) == set(policy_nlp.LABELS)


def test_pkuseg_offsets_on_every_seed(pkuseg_nlp, seeds):
    for text in seeds.values():
        doc = policy_nlp.annotate(text, nlp=pkuseg_nlp)
        assert all(text[u.start:u.end] == u.text for u in doc.units)


def test_traditional_seed_gives_the_units_of_its_simplified_conversion(char_nlp, seeds):
    text = seeds["000_5ec25145ee5b4dd1.txt"]
    simplified = opencc.OpenCC("t2s").convert(text)
    assert len(simplified) == len(text)
    a = policy_nlp.annotate(text, nlp=char_nlp)
    b = policy_nlp.annotate(simplified, nlp=char_nlp)
    assert a.script == "traditional" and b.script == "simplified"
    assert [(u.start, u.end, u.kind, u.labels) for u in a.units] == [(u.start, u.end, u.kind, u.labels) for u in b.units]


def test_segmenters_agree_on_labels(char_nlp, pkuseg_nlp, seeds):
    text = seeds["002_4ca8cfc4920ed3ee.txt"]
    a = policy_nlp.annotate(text, nlp=char_nlp)
    b = policy_nlp.annotate(text, nlp=pkuseg_nlp)
    assert [(u.start, u.end, u.labels) for u in a.units] == [(u.start, u.end, u.labels) for u in b.units]


def test_default_pipeline_is_the_shipped_model_with_pkuseg(seeds, pkuseg_nlp):
    doc = policy_nlp.annotate(seeds["001_29805cf611cff4c1.txt"])
    assert doc.model["segmenter"] == "pkuseg"
    assert doc.model["labels"] == list(policy_nlp.LABELS)
    plans = [u for u in doc.units if "plans" in u.labels]
    assert plans and plans[0].text == "三、下一步打算"


@pytest.mark.parametrize("bad", [None, b"\xe4\xb8\x80", 42, 3.5])
def test_non_text_input_is_a_type_error_saying_what_to_pass(char_nlp, bad):
    with pytest.raises(TypeError) as info:
        policy_nlp.annotate(bad, nlp=char_nlp)
    assert isinstance(info.value, InputTypeError)
    assert "Pass the report text as a str" in str(info.value)


def test_stream_of_texts(char_nlp, seeds):
    docs = list(policy_nlp.annotate(iter(seeds.values()), nlp=char_nlp))
    assert [d.text for d in docs] == list(seeds.values())
    with pytest.raises(TypeError):
        list(policy_nlp.annotate(["一、执法", None], nlp=char_nlp))


def test_empty_and_unpunctuated_text(char_nlp):
    assert policy_nlp.annotate("", nlp=char_nlp).units == []
    assert policy_nlp.annotate(" \n\u3000 ", nlp=char_nlp).units == []
    doc = policy_nlp.annotate("全面推进严格规范公正文明执法 开展行政执法检查", nlp=char_nlp)
    assert len(doc.units) == 1 and doc.units[0].start == 0


@pytest.mark.slow
def test_a_5_mb_report_works(char_nlp, seeds):
    base = "\n".join(seeds.values())
    text = (base + "\n") * (5_000_000 // len(base) + 1)
    doc = policy_nlp.annotate(text, nlp=char_nlp, max_chars=6_000_000)
    assert len(text) >= 5_000_000
    assert doc.units[-1].end <= len(text)
    assert len(doc.units) > 1000


def test_the_api_refuses_a_text_over_max_chars_with_a_coded_error(char_nlp):
    from policy_nlp.errors import PolicyNLPError

    with pytest.raises(PolicyNLPError) as info:
        policy_nlp.annotate("依法行政。" * 10, nlp=char_nlp, max_chars=20)
    assert info.value.code == "E102" and "max_chars=20" in str(info.value) and "MB" in str(info.value)
    assert "--max-chars" not in str(info.value)  # the Python call's limit, not the batch run's (E022)
    with pytest.raises(PolicyNLPError):
        list(policy_nlp.annotate(["好。", "依法行政。" * 10], nlp=char_nlp, max_chars=20))
    assert policy_nlp.annotate("依法行政。" * 10, nlp=char_nlp, max_chars=None).units


def test_threads_asking_for_the_default_pipeline_load_it_once(monkeypatch):
    import threading
    import time

    from policy_nlp import pipeline

    calls = []

    def slow_load(segmenter="pkuseg"):
        calls.append(segmenter)
        time.sleep(0.3)
        return object()

    monkeypatch.setattr(pipeline, "load", slow_load)
    monkeypatch.setattr(pipeline, "_DEFAULT", {})
    got = []
    threads = [threading.Thread(target=lambda: got.append(pipeline.default_pipeline("char"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["char"] and len(got) == 8 and len({id(g) for g in got}) == 1


def test_the_collector_runs_less_often_during_a_stream_and_is_restored_however_it_ends(char_nlp):
    import gc

    from policy_nlp.corpus.annotation import GC_THRESHOLD

    before = gc.get_threshold()
    assert before[0] < GC_THRESHOLD
    seen = [gc.get_threshold()[0] for _ in policy_nlp.annotate(["一、执法", "二、复议"], nlp=char_nlp)]
    assert seen == [GC_THRESHOLD, GC_THRESHOLD] and gc.get_threshold() == before
    for _ in policy_nlp.annotate(["一、执法", "二、复议"], nlp=char_nlp):
        break  # leaving the loop early closes the stream
    assert gc.get_threshold() == before
    with pytest.raises(TypeError):
        list(policy_nlp.annotate(["一、执法", None], nlp=char_nlp))
    assert gc.get_threshold() == before
    a, b = (policy_nlp.annotate(["一、执法", "二、复议"], nlp=char_nlp) for _ in range(2))
    next(a), next(b)  # two interleaved streams: the first to end leaves the other's setting alone
    a.close()
    assert gc.get_threshold()[0] == GC_THRESHOLD
    b.close()
    assert gc.get_threshold() == before
    policy_nlp.annotate("一、执法", nlp=char_nlp)
    assert gc.get_threshold() == before


def test_relaxed_gc_leaves_a_threshold_it_did_not_set_alone():
    import gc

    from policy_nlp.corpus.annotation import GC_THRESHOLD, relaxed_gc

    before = gc.get_threshold()
    try:
        for mine in (0, GC_THRESHOLD * 2):  # 0: automatic collection off; higher: already relaxed
            gc.set_threshold(mine, *before[1:])
            with relaxed_gc():
                assert gc.get_threshold()[0] == mine
            assert gc.get_threshold()[0] == mine
        gc.set_threshold(*before)
        with relaxed_gc():
            gc.set_threshold(123, *before[1:])  # changed inside the block: kept
        assert gc.get_threshold()[0] == 123
    finally:
        gc.set_threshold(*before)


def test_a_stream_is_annotated_in_batches_of_texts_and_characters(char_nlp, seeds, monkeypatch):
    """One `nlp.pipe` batch per `batches` list (the themes component scores each with one `predict`), and
    the same documents whatever the batching."""
    from policy_nlp.corpus.annotation import batches

    texts = [seeds[name] for name in sorted(seeds)] + [seeds[name][:500] for name in sorted(seeds)]
    themes = char_nlp.get_pipe("policy_nlp_themes")
    real = type(themes).predict
    sizes: list[int] = []
    monkeypatch.setattr(type(themes), "predict", lambda self, docs: sizes.append(len(docs)) or real(self, docs))
    outputs = []
    for size, chars in ((64, None), (64, 5_000), (2, None), (64, 1)):
        sizes.clear()
        outputs.append([d.to_json() for d in policy_nlp.annotate(iter(texts), nlp=char_nlp, batch_size=size,
                                                                  batch_chars=chars)])
        assert sizes == [len(b) for b in batches(texts, size, chars)]
    assert all(out == outputs[0] for out in outputs)
    assert outputs[0] == [policy_nlp.annotate(t, nlp=char_nlp).to_json() for t in texts]


def test_a_text_over_the_limit_in_a_stream_comes_after_the_documents_before_it(char_nlp):
    seen = []
    with pytest.raises(DataError) as info:
        for doc in policy_nlp.annotate(iter(["一、执法", "二、调解", "长" * 50, "三、营商"]), nlp=char_nlp,
                                       max_chars=20):
            seen.append(doc.text)
    assert info.value.code == "E102" and seen == ["一、执法", "二、调解"]


@pytest.mark.parametrize("size, chars", [(0, 1000), (-1, None), (1.5, None), (True, None), ("8", None),
                                         (8, 0), (8, -5), (8, 2.5)])
def test_batch_options_that_hold_no_text_are_refused_before_any_work(char_nlp, size, chars):
    for text in (iter(["一、执法"]), "一、执法"):
        with pytest.raises(DataError) as info:
            policy_nlp.annotate(text, nlp=char_nlp, batch_size=size, batch_chars=chars)
        assert info.value.code == "E017" and "batch_chars=None" in str(info.value)
