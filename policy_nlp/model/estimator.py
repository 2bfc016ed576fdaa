"""The multi-label theme estimator, built from scikit-learn parts.

`ThemeEstimator` is a standard scikit-learn estimator (`get_params`, `set_params`, `clone` work): context
rows from `features.build_contexts` → two `Pipeline`s of a `ColumnTransformer` and a one-vs-rest
`LogisticRegression`: topic labels (what a unit is about) see what the unit and its paragraph say (text
n-grams, content cues); report-part labels (`shortcomings`, `plans`: what the unit does in the report) also
see where it sits (section-heading n-grams, position cues). Its decision thresholds are one fitted table,
`thresholds_` (label → probability): `fit(X, Y, groups)` chooses them on out-of-fold probabilities of the
training documents (`thresholds.out_of_fold_proba`, `thresholds.tune`); fitted without `groups` (or on one
document) every threshold is `thresholds.DEFAULT_THRESHOLD`. With `calibration="isotonic"` (the default) the
same out-of-fold probabilities first fit one isotonic map per label (`calibration.fit_calibrators`,
`calibrators_`), `predict_proba` returns calibrated probabilities and the thresholds are tuned on the calibrated
out-of-fold ones. Every random state is fixed.
"""
from __future__ import annotations

import hashlib
import pickle
import warnings
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_memory

from . import calibration, thresholds
from ..errors import ModelError
from .features import (COL, CONTENT_COLUMNS, POSITION_COLUMNS, CapScaler, ContentCues, PositionCues, canonical,
                       section_text)

LABELS = ("enforcement", "dispute_resolution", "business_environment", "shortcomings", "plans")
PART_LABELS = ("shortcomings", "plans")
RANDOM_STATE = 0
TOPIC_BLOCKS = ("text", "content")
ALL_BLOCKS = ("text", "content", "section", "position")
# The estimator settings of the shipped recipe (JSON-safe; the pipeline config and meta.json record them):
# the constructor's defaults, and the `hyperparameters` of the `policy_nlp_themes` component.
DEFAULT_HYPERPARAMETERS: dict[str, Any] = {
    "C": 4.0, "text_ngrams": [1, 3], "section_ngrams": [1, 2], "section_weight": 0.6, "cue_weight": 2.0,
    "lead_weight": 0.0, "min_df": 1, "class_weight": "balanced", "max_iter": 2000, "random_state": RANDOM_STATE,
    "part_labels": list(PART_LABELS), "blocks": list(ALL_BLOCKS), "calibration": "isotonic",
}
_D = DEFAULT_HYPERPARAMETERS


def _fit_key(pipelines: list, X: np.ndarray, Y: np.ndarray) -> str:
    """A fingerprint of a fit, the unfitted pipelines (all parameters) and the rows: the memo's key (joblib's
    own hashing and argument records take a second on these arguments)."""
    return hashlib.sha256(pickle.dumps((pipelines, X, Y), protocol=5)).hexdigest()


def _fit_groups(pipelines: list[tuple[str, list[int], Pipeline]], X: np.ndarray, Y: np.ndarray) -> dict:
    """Each label group's pipeline fitted on its columns of `Y`."""
    out = {}
    with warnings.catch_warnings():
        # a label on every row, or on none, is fitted as its constant (docs/training.md, "A label of one class")
        warnings.filterwarnings("ignore", message="Label (not )?.* is present in all training examples")
        for name, idx, pipe in pipelines:
            out[name] = pipe.fit(X, Y[:, idx] if len(idx) > 1 else Y[:, idx[0]])
    return out


def _pickled_fit(pipelines: list[tuple[str, list[int], Pipeline]], X: np.ndarray, Y: np.ndarray, key: str) -> bytes:
    """`_fit_groups`, pickled: what `fit`'s `memory` memoises, keyed on `key` (`_fit_key`) alone and stored as
    one bytes object (joblib's own pickler takes ten times as long on the n-gram vocabularies)."""
    return pickle.dumps(_fit_groups(pipelines, X, Y), protocol=5)


class ThemeEstimator(ClassifierMixin, BaseEstimator):
    """Context rows → per-label probabilities; `predict` applies the per-label threshold table.

    Parameters (all JSON-safe, recorded in the pipeline config and meta.json; defaults: `DEFAULT_HYPERPARAMETERS`):
    `labels`, `part_labels`, `rules` (the term lists and part cues as a rules JSON dict; None = the packaged
    default at fit time), `text_ngrams`, `section_ngrams`, `section_weight`, `cue_weight`, `min_df`, `C`,
    `class_weight`, `max_iter`, `random_state`, `lead_weight` (weight of the paragraph lead's cues for the topic
    labels; a unit's topics are what it says itself, its part may come from its paragraph), `blocks` (feature
    blocks of the part labels; topic labels always see `text`+`content` of them), `calibration` ("isotonic" or
    None: how the scores are calibrated when `fit` is given documents; see the module docstring).
    Fitted: `classes_`, `pipelines_` (label group → fitted pipeline), `calibrators_` (label → isotonic map; empty
    when nothing was calibrated), `thresholds_` (label → threshold on the calibrated probability).
    """

    def __init__(self, labels: Sequence[str] = (), part_labels: Sequence[str] = PART_LABELS,
                 rules: dict | None = None, text_ngrams: Sequence[int] = tuple(_D["text_ngrams"]),
                 section_ngrams: Sequence[int] = tuple(_D["section_ngrams"]),
                 section_weight: float = _D["section_weight"], cue_weight: float = _D["cue_weight"],
                 min_df: int = _D["min_df"], C: float = _D["C"], class_weight: str | None = _D["class_weight"],
                 max_iter: int = _D["max_iter"], random_state: int = RANDOM_STATE,
                 blocks: Sequence[str] = ALL_BLOCKS, lead_weight: float = _D["lead_weight"],
                 calibration: str | None = _D["calibration"]):
        self.labels = labels
        self.part_labels = part_labels
        self.rules = rules
        self.text_ngrams = text_ngrams
        self.section_ngrams = section_ngrams
        self.section_weight = section_weight
        self.cue_weight = cue_weight
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state
        self.blocks = blocks
        self.lead_weight = lead_weight
        self.calibration = calibration

    # Parameters added after a model was saved take the value that reproduces how it was trained.
    _LATER_PARAMS = {"lead_weight": 1.0, "calibration": None}

    def __setstate__(self, state):
        for name, value in self._LATER_PARAMS.items():
            state.setdefault(name, value)
        state.pop("thresholds", None)  # a parameter of models saved before the table became a fitted attribute
        if "pipelines_" in state:
            state.setdefault("calibrators_", {})
        super().__setstate__(state)

    # -- building ---------------------------------------------------------------------------------------------
    def _features(self, blocks: Sequence[str], lead_weight: float = 1.0) -> ColumnTransformer:
        parts = {
            "text": (TfidfVectorizer(analyzer="char", ngram_range=tuple(self.text_ngrams), sublinear_tf=True,
                                     min_df=self.min_df, preprocessor=canonical, dtype=np.float32), COL["text"]),
            "content": (Pipeline([("cues", ContentCues(self.rules, lead_weight)), ("scale", CapScaler())]), CONTENT_COLUMNS),
            "section": (TfidfVectorizer(analyzer="char", ngram_range=tuple(self.section_ngrams), sublinear_tf=True,
                                        min_df=self.min_df, preprocessor=section_text, dtype=np.float32),
                        COL["section"]),
            "position": (Pipeline([("cues", PositionCues(self.rules)), ("scale", CapScaler())]),
                         POSITION_COLUMNS),
        }
        weights = {"content": self.cue_weight, "section": self.section_weight, "position": self.cue_weight}
        return ColumnTransformer([(name, *parts[name]) for name in blocks],
                                 transformer_weights={b: weights[b] for b in blocks if b in weights},
                                 sparse_threshold=1.0)

    def _pipeline(self, blocks: Sequence[str], lead_weight: float = 1.0) -> Pipeline:
        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                 max_iter=self.max_iter, random_state=self.random_state)
        return Pipeline([("features", self._features(blocks, lead_weight)),
                         ("classifier", OneVsRestClassifier(clf))])

    def groups(self) -> list[tuple[str, list[int], tuple[str, ...]]]:
        """(name, label indices, feature blocks) of the label groups that share one pipeline."""
        labels = list(self.labels)
        part = [j for j, label in enumerate(labels) if label in self.part_labels]
        topic = [j for j, label in enumerate(labels) if label not in self.part_labels]
        topic_blocks = tuple(b for b in self.blocks if b in TOPIC_BLOCKS) or TOPIC_BLOCKS
        out = []
        if topic:
            out.append(("topic", topic, topic_blocks))
        if part:
            out.append(("part", part, tuple(self.blocks)))
        return out

    # -- fitting and prediction -------------------------------------------------------------------------------
    def fit(self, X, Y, groups: Sequence[str] | None = None, *, scored: Sequence[str] | None = None,
            memory=None, n_jobs: int | None = None):
        """X: context rows (`features.build_contexts`); Y: 0/1 matrix, one column per label in `labels`.

        `groups`: the document of each row; with two documents or more the threshold table is chosen on
        out-of-fold probabilities (grouped cross-validation, each fold fitted like this without `groups`),
        on the rows of the `scored` documents (see `thresholds.scored_rows`), which also fit the calibrators
        (`calibration`). `memory`: a `joblib.Memory` (or its directory) where the fits are memoised by
        parameters and rows, as `Pipeline(memory=...)` does for its transformers: a fit of the same rows is made
        once across folds and calls. `n_jobs`: worker processes for the folds (`thresholds.parallel_jobs`).
        Neither changes the model."""
        if self.calibration is not None and self.calibration not in calibration.METHODS:
            raise ModelError("E145", value=self.calibration, methods=", ".join(calibration.METHODS))
        X = np.asarray(X, dtype=object)
        Y = np.asarray(Y, dtype=int).reshape(len(X), len(self.labels))
        self.classes_ = np.asarray(list(self.labels), dtype=object)
        self.pipelines_ = self._fit_pipelines(X, Y, memory)
        self.thresholds_ = {label: thresholds.DEFAULT_THRESHOLD for label in self.labels}
        self.calibrators_ = {}
        if groups is not None and len(set(groups)) >= 2:
            oof = thresholds.out_of_fold_proba(self, X, Y, groups, memory=memory, n_jobs=n_jobs)
            rows = thresholds.scored_rows(groups, scored)
            if self.calibration is not None:
                self.calibrators_ = calibration.fit_calibrators(self.labels, Y[rows], oof[rows])
                oof = calibration.calibrate(self.calibrators_, self.labels, oof)
            self.thresholds_ = thresholds.tune(self.labels, Y[rows], oof[rows])
        return self

    def _fit_pipelines(self, X: np.ndarray, Y: np.ndarray, memory) -> dict:
        unfitted = [(name, idx, self._pipeline(blocks, self.lead_weight if name == "topic" else 1.0))
                    for name, idx, blocks in self.groups()]
        if memory is None:
            return _fit_groups(unfitted, X, Y)
        cached = check_memory(memory).cache(_pickled_fit, ignore=["pipelines", "X", "Y"])
        return pickle.loads(cached(unfitted, X, Y, _fit_key(unfitted, X, Y)))

    def per_group(self, n: int, output) -> np.ndarray:
        """Rows × labels from each label group's `output(name, fitted pipeline)` for `n` rows; a group of one
        label (one binary classifier) gives its positive class's column."""
        out = np.zeros((n, len(self.labels)), dtype=float)
        if not n:
            return out
        for name, idx, _ in self.groups():
            pipe = self.pipelines_[name]
            got = output(name, pipe)
            if len(idx) == 1:  # one binary classifier: its output for the positive class
                classes = list(pipe.classes_)
                if got.ndim == 2:
                    got = got[:, classes.index(1)] if 1 in classes else np.zeros(n)
                got = got.reshape(-1, 1)
            out[:, idx] = got
        return out

    def _per_group(self, X, method: str) -> np.ndarray:
        X = np.asarray(X, dtype=object)
        return self.per_group(len(X), lambda name, pipe: getattr(pipe, method)(X))

    def predict_proba(self, X) -> np.ndarray:
        """Probability per unit and label, shape (units, labels): calibrated when `calibrators_` has a map."""
        return calibration.calibrate(self.calibrators_, self.labels, self._per_group(X, "predict_proba"))

    def decision_function(self, X) -> np.ndarray:
        """The linear models' logits per unit and label (the uncalibrated probability is their sigmoid)."""
        return self._per_group(X, "decision_function")

    def raw_thresholds(self) -> dict[str, float]:
        """Per label, the uncalibrated probability at which the calibrated score reaches the threshold."""
        return {label: calibration.raw_threshold(self.calibrators_.get(label), t)
                for label, t in self.thresholds_.items()}

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Boolean decisions from probabilities and the threshold table."""
        t = np.asarray([self.thresholds_[label] for label in self.labels])
        return np.asarray(proba) >= t

    def predict(self, X) -> np.ndarray:
        return self.decide(self.predict_proba(X)).astype(int)

    def hyperparameters(self) -> dict:
        """The parameters as JSON-safe values, the rules replaced by their name and fingerprint."""
        from ..rules import ReportRules, default_rules

        params = self.get_params()
        rules = ReportRules.from_dict(self.rules) if self.rules else default_rules()
        params["rules"] = {"name": rules.name, "sha256": rules.fingerprint}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
