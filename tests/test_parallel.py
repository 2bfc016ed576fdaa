import json
import os

import pytest
from spacy.language import Language

from policy_nlp.corpus.parallel import annotate_items

_PARENT = os.getpid()


@Language.component("test_exit_in_worker_on_marker")
def _exit_in_worker_on_marker(doc):
    if "☠" in doc.text and os.getpid() != _PARENT:
        os._exit(3)  # a worker dying hard (as on a segfault or the OOM killer)
    return doc


def _items(seeds, n=12):
    texts = list(seeds.values())
    items = [(f"d{i}", texts[i % len(texts)][: 2000 + 37 * i], None) for i in range(n)]
    items[3] = ("d3", None, "[E056] Document 'd3' is empty: nothing to annotate.")
    return items


@pytest.mark.parametrize("n_process", [1, 2])
def test_records_come_in_input_order_and_match_single_documents(char_nlp, seeds, n_process):
    import policy_nlp

    items = _items(seeds)
    results = list(annotate_items(iter(items), char_nlp, n_process=n_process, batch_size=2))
    assert [r.id for r in results] == [doc_id for doc_id, _, _ in items]
    assert results[3].error.startswith("[E056]") and json.loads(results[3].line)["error"] == results[3].error
    for (doc_id, text, _), result in zip(items, results):
        if text is None:
            continue
        expected = policy_nlp.annotate(text, nlp=char_nlp)
        expected.id = doc_id
        assert json.loads(result.line) == expected.to_dict()
        assert result.units == len(expected.units) and result.characters == len(text)
        # the document itself stays in the process that made it; a worker sends the JSON line only
        assert result.document is None if n_process > 1 else result.document.to_dict() == expected.to_dict()
        assert result.label_counts == expected.label_counts()


def test_the_stream_is_read_lazily(char_nlp, seeds):
    consumed = []

    def source():
        for item in _items(seeds, n=40):
            consumed.append(item[0])
            yield item

    stream = annotate_items(source(), char_nlp, n_process=2, batch_size=2)
    next(stream)
    assert len(consumed) <= 2 * 2 * 2 + 2  # the batches in flight, not the whole stream
    assert len(list(stream)) == 39


def test_a_document_that_kills_its_worker_fails_alone(seeds):
    import policy_nlp

    nlp = policy_nlp.load(segmenter="char")
    nlp.add_pipe("test_exit_in_worker_on_marker", first=True)
    items = _items(seeds, n=10)
    items[5] = ("d5", "开展执法检查。☠", None)
    results = list(annotate_items(iter(items), nlp, n_process=2, batch_size=3))
    assert [r.id for r in results] == [doc_id for doc_id, _, _ in items]
    failed = {r.id: r.error for r in results if r.error}
    assert set(failed) == {"d3", "d5"} and failed["d5"].startswith("[E060]")
    assert all(r.units > 0 for r in results if r.id not in failed)


def test_an_error_reading_the_inputs_comes_after_what_was_read(char_nlp, seeds):
    def source():
        yield from _items(seeds, n=5)
        raise OSError("disk gone")

    seen = []
    with pytest.raises(OSError):
        for result in annotate_items(source(), char_nlp, n_process=2, batch_size=2):
            seen.append(result.id)
    assert seen == ["d0", "d1", "d2", "d3", "d4"]


def test_worker_processes_die_with_a_killed_parent(tmp_path):
    """A parent running a 2-process pool is killed with SIGKILL: its workers end too (no orphans)."""
    import signal
    import subprocess
    import sys
    import time

    pids = tmp_path / "pids"
    script = f"""
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from policy_nlp.corpus.parallel import _init_forked_worker
ex = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"), initializer=_init_forked_worker)
pids = [f.result() for f in [ex.submit(os.getpid) for _ in range(8)]]
open({str(pids)!r}, "w").write(" ".join(map(str, sorted(set(pids)))))
time.sleep(60)
"""
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 60
    while not pids.exists() or not pids.read_text():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.1)
    workers = [int(p) for p in pids.read_text().split()]
    assert workers and proc.pid not in workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    alive = workers
    while alive and time.time() < deadline:
        time.sleep(0.1)
        alive = [p for p in workers if _alive(p)]
    assert not alive, f"workers {alive} outlived their parent"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_annotating_to_a_directory_reads_no_json_back(char_nlp, seeds, tmp_path, monkeypatch):
    """The documents annotated in this process are handed on as they are, not parsed back from their lines."""
    from policy_nlp.corpus import batch
    from policy_nlp.corpus.document import AnnotatedDocument

    name, text = next(iter(seeds.items()))
    (tmp_path / name).write_text(text, encoding="utf-8")

    def no_parsing(*args, **kwargs):
        raise AssertionError("a document was read back from its JSON line")

    monkeypatch.setattr(AnnotatedDocument, "from_dict", no_parsing)
    monkeypatch.setattr(batch.jsonio, "loads", no_parsing)  # every JSON line batch reads goes through it
    [(doc_id, doc, error, _)] = list(batch.annotate_to_directory([tmp_path / name], None, nlp=char_nlp))
    assert error is None and doc.text == text and doc.units


def test_a_batch_runs_with_the_collector_relaxed_and_puts_it_back(char_nlp, seeds, monkeypatch):
    import gc

    from policy_nlp.corpus import parallel
    from policy_nlp.corpus.annotation import GC_THRESHOLD

    before, seen = gc.get_threshold(), []
    real = parallel.AnnotatedDocument.from_doc
    monkeypatch.setattr(parallel.AnnotatedDocument, "from_doc",
                        lambda *args, **kwargs: (seen.append(gc.get_threshold()[0]), real(*args, **kwargs))[1])
    out = parallel.annotate_batch(char_nlp, parallel.model_info(char_nlp), _items(seeds, 4))
    assert [a.error is None for a in out] == [True, True, True, False]
    assert seen == [GC_THRESHOLD] * 3 and gc.get_threshold() == before


def test_items_are_annotated_in_batches_of_items_and_characters(char_nlp, seeds, monkeypatch):
    """`annotate_items` batches by `batch_size` items and `batch_chars` characters (the text of an error item
    counts as none): the themes component sees those batches, and the records are those of one by one."""
    from policy_nlp.corpus.annotation import batches

    texts = [seeds[name] for name in sorted(seeds)] * 2
    items = [(f"d{k}", text, None) for k, text in enumerate(texts)] + [("bad", None, "[E022] too long")]
    themes = char_nlp.get_pipe("policy_nlp_themes")
    real = type(themes).predict
    sizes: list[int] = []
    monkeypatch.setattr(type(themes), "predict", lambda self, docs: sizes.append(len(docs)) or real(self, docs))
    lines = {}
    for size, chars in ((64, 9_000), (3, None), (64, None)):
        sizes.clear()
        lines[size, chars] = [r.line for r in annotate_items(iter(items), char_nlp, batch_size=size, batch_chars=chars)]
        expected = [sum(item[2] is None for item in batch)
                    for batch in batches(items, size, chars, length=lambda item: len(item[1] or ""))]
        assert sizes == expected
    assert len({tuple(v) for v in lines.values()}) == 1 and len(lines[64, None]) == len(items)


def test_the_directory_mode_batches_many_short_reports_together(char_nlp, seeds, tmp_path, monkeypatch):
    """`policy-nlp annotate … -o DIR` (`annotate_to_directory`) takes the API stream's batches, not the batch
    run's `--batch-size` of 8: ten short reports are one batch."""
    from policy_nlp.corpus.batch import annotate_to_directory

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(10):
        (folder / f"r{k}.txt").write_text(seeds[sorted(seeds)[k % 5]][:600], encoding="utf-8")
    themes = char_nlp.get_pipe("policy_nlp_themes")
    real = type(themes).predict
    sizes: list[int] = []
    monkeypatch.setattr(type(themes), "predict", lambda self, docs: sizes.append(len(docs)) or real(self, docs))
    results = list(annotate_to_directory([folder], tmp_path / "out", nlp=char_nlp))
    assert sizes == [10] and len(results) == 10 and all(error is None for _, _, error, _ in results)
