"""Scoring a batch of context rows with a fitted `ThemeEstimator`, each feature block computed once.

`ThemeEstimator.predict_proba` runs each label group's `Pipeline` (a `ColumnTransformer`, then the
one-vs-rest classifier). The topic and the part group both hold a text TF-IDF fitted on the same column with
the same settings, so they compute the same matrix twice; and a report's units share a handful of section
headings, whose TF-IDF is the same row again and again. `feature_matrices` builds each group's matrix as its
`ColumnTransformer` does (same blocks, weights and order, so the numbers are the same to the bit), computing a
block that two groups fitted alike once and a text column once per distinct value; `probabilities` applies
the groups' classifiers to them. `model.explain.explain_rows` reads the same matrices.
The text TF-IDF blocks are counted for the whole batch on arrays (`char_ngrams`); within one call the cue
blocks of equal rules share their texts' term counts and pattern matches (`features.shared_cues`).
"""
from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from . import calibration, char_ngrams
from .features import shared_cues


def checks_left_out():
    """scikit-learn's settings while a batch is scored: the matrices are the feature blocks of context rows,
    finite by construction, and the arguments the fitted estimator's own, so the library's scan of every
    matrix for NaN and infinity (`assume_finite`) and its argument checks of public helpers such as
    `normalize` (`skip_parameter_validation`) are left out: checks only, the estimators compute the same
    numbers (≈ 0.4 ms of a 16-report batch's fixed cost)."""
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


def _same_vectorizer(a, b) -> bool:
    return (isinstance(a, TfidfVectorizer) and isinstance(b, TfidfVectorizer) and a.get_params() == b.get_params()
            and a.vocabulary_ == b.vocabulary_ and np.array_equal(a.idf_, b.idf_))


# Per estimator object and fit (its `pipelines_`), outside its state: a memo in its __dict__ would be pickled
# with it, so that the model file's bytes (and the pipeline's fingerprint) would depend on whether it had
# scored anything yet.
_SHARED_BLOCKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _shared_blocks(estimator) -> dict[tuple[str, str], tuple[str, str]]:
    """(group, block) → the (group, block) fitted alike that computes it first (memoised per estimator)."""
    cached = _SHARED_BLOCKS.get(estimator)
    if cached is not None and cached[0] is estimator.pipelines_:
        return cached[1]
    seen: list[tuple[tuple[str, str], object, object]] = []
    out = {}
    for group, _, _ in estimator.groups():
        ct = estimator.pipelines_[group].named_steps["features"]
        for block, transformer, columns in ct.transformers_:
            first = next((key for key, t, c in seen if c == columns and _same_vectorizer(t, transformer)), None)
            out[(group, block)] = first or (group, block)
            seen.append(((group, block), transformer, columns))
    _SHARED_BLOCKS[estimator] = (estimator.pipelines_, out)
    return out


def feature_matrices(estimator, X) -> dict[str, sp.csr_matrix]:
    """Each label group's feature matrix for the context rows `X`, equal to its `ColumnTransformer`'s output."""
    X = np.asarray(X, dtype=object)
    shared = _shared_blocks(estimator)
    out = {}
    with shared_cues(), checks_left_out():
        done: dict[tuple[str, str], sp.csr_matrix] = {}
        for group, _, _ in estimator.groups():
            out[group] = _group_matrix(estimator, group, X, shared, done)
    return out


def _text_block(vectorizer, data: np.ndarray) -> sp.csr_matrix:
    """`vectorizer.transform(data)` by `char_ngrams.transform`, a text once per distinct value, its rows
    repeated where values repeat."""
    values = list(dict.fromkeys(data))
    index = {v: i for i, v in enumerate(values)}
    inverse = np.fromiter(map(index.__getitem__, data), dtype=np.intp, count=len(data))
    return char_ngrams.transform(vectorizer, values)[inverse]


def _group_matrix(estimator, group: str, X: np.ndarray, shared: dict, done: dict) -> sp.csr_matrix:
    """One group's matrix: its `ColumnTransformer`'s blocks, weights and order; a block `done` already
    (fitted alike in another group) is not computed again."""
    ct = estimator.pipelines_[group].named_steps["features"]
    weights = ct.transformer_weights or {}
    parts = []
    for block, transformer, columns in ct.transformers_:
        if transformer == "drop":
            continue
        key = shared[(group, block)]
        if key not in done:
            done[key] = (_text_block(transformer, X[:, columns]) if isinstance(transformer, TfidfVectorizer)
                         else transformer.transform(X[:, columns]))
        res = done[key]
        parts.append(res * weights[block] if weights.get(block) is not None else res)
    # all blocks CSR, so that scipy joins their rows directly instead of going through one COO matrix
    return sp.hstack([p if sp.issparse(p) else dense_csr(p) for p in parts], format="csr")


def dense_csr(block) -> sp.csr_matrix:
    """`scipy.sparse.csr_matrix(block)` of a dense 2-D block (the same data, indices, index dtype and row
    pointers): its nonzero cells found on a boolean mask, where scipy's `np.nonzero` of the float array
    costs four times as much on the cue blocks' few columns."""
    block = np.asarray(block)
    nonzero = block != 0  # NaN too, as `np.nonzero` counts it
    at = np.flatnonzero(nonzero)
    index_dtype = np.int32 if max(block.size, *block.shape) <= np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(block.shape[0] + 1, dtype=index_dtype)
    np.cumsum(nonzero.sum(axis=1, dtype=index_dtype), out=indptr[1:])
    columns = (at % block.shape[1] if block.shape[1] else at).astype(index_dtype)
    return sp.csr_matrix((block.ravel()[at], columns, indptr), shape=block.shape)


def probabilities(estimator, matrices: dict[str, sp.csr_matrix], n: int) -> np.ndarray:
    """Probability per row and label from `feature_matrices` (as `ThemeEstimator.predict_proba` gives them:
    calibrated where the estimator has a map)."""
    with checks_left_out():
        out = estimator.per_group(n, lambda name, pipe: pipe.named_steps["classifier"].predict_proba(matrices[name]))
        return calibration.calibrate(estimator.calibrators_, estimator.labels, out)
