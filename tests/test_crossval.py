"""Cross-validation of the training recipe: grouped folds, fits shared through `EstimatorCache`."""
from __future__ import annotations

import pytest

from policy_nlp.errors import DataError
from policy_nlp.learn.crossval import EstimatorCache, cross_validate
from policy_nlp.learn.labelled_data import read_corpus

from conftest import SEED_NAMES, SEEDS, seed_records, write_jsonl

DOC_B, DOC_D = SEED_NAMES[1], SEED_NAMES[3]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = write_jsonl(tmp_path_factory.mktemp("cv") / "two.jsonl", seed_records(DOC_B, DOC_D))
    return read_corpus([path], SEEDS)


def test_cross_validate_two_documents_and_reuse_the_cache(corpus):
    cache = EstimatorCache()
    progress: list[str] = []
    metrics = cross_validate(corpus=corpus, cache=cache, progress=progress.append)
    assert metrics["mode"] == "lodo" and metrics["cv"] == "leave-one-document-out"
    assert metrics["documents"] == [DOC_B, DOC_D] and list(metrics["per_document"]) == [DOC_B, DOC_D]
    assert metrics["units"] == len(corpus.units)
    assert sum(m["units"] for m in metrics["per_document"].values()) == len(corpus.units)
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and metrics["labels"] == corpus.labels
    # two folds, each trained on one document (a single document tunes nothing): one fit per fold
    assert cache.fits == 2
    assert progress == ["fold 1: training without 1 document(s)", "fold 2: training without 1 document(s)"]
    again = cross_validate(corpus=corpus, cache=cache)
    assert cache.fits == 2  # every fit came from the cache
    assert again["per_label"] == metrics["per_label"]
    assert cross_validate(corpus=corpus)["per_label"] == metrics["per_label"]  # the cache changes nothing


def test_one_document_is_not_enough(tmp_path):
    corpus = read_corpus([write_jsonl(tmp_path / "one.jsonl", seed_records(DOC_B))], SEEDS)
    with pytest.raises(DataError) as info:
        cross_validate(corpus=corpus)
    assert info.value.code == "E041"


def test_documents_labelled_in_part_train_in_every_fold_and_are_never_scored(tmp_path, corpus):
    partial = seed_records(SEED_NAMES[0])[:5]
    path = write_jsonl(tmp_path / "three.jsonl", seed_records(DOC_B, DOC_D) + partial)
    mixed = read_corpus([path], SEEDS)
    assert mixed.fully_labelled() == [DOC_B, DOC_D]
    progress: list[str] = []
    cache = EstimatorCache()
    metrics = cross_validate(corpus=mixed, progress=progress.append, cache=cache)
    assert metrics["documents"] == [DOC_B, DOC_D] and metrics["training_only"] == [SEED_NAMES[0]]
    assert list(metrics["per_document"]) == [DOC_B, DOC_D] and metrics["units"] == len(corpus.units)
    assert progress == ["fold 1: training without 1 document(s)", "fold 2: training without 1 document(s)"]
    # each fold trains on the partial report and the other scored report, its thresholds tuned on the two:
    # fits on {D}, {partial} and {partial, D}, then on {B} and {partial, B} ({partial} comes from the memory)
    assert cache.fits == 5
